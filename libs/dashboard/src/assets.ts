import { readFile } from 'node:fs/promises';
import * as path from 'node:path';

/** A served asset: its content type and bytes. */
export interface Asset {
  readonly type: string;
  readonly body: string;
}

const BROWSER_DIR = path.join(__dirname, 'browser');
/**
 * Where a bundled app finds the assets built beside it (`dashboard/app.js`, `dashboard/app.css`
 * next to its `main.js`: k8s/images/bundle-app.cjs writes them), as it has neither the sources
 * nor esbuild.
 */
export const PREBUILT_ASSETS_DIR = 'dashboard';
let script: Promise<string> | undefined;
const ESBUILD = 'esbuild';

/** A prebuilt asset beside the running bundle, or undefined when running from the sources. */
async function prebuilt(name: string): Promise<string | undefined> {
  try {
    return await readFile(path.join(__dirname, PREBUILT_ASSETS_DIR, name), 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The browser bundle: the prebuilt one beside a bundled app, else `browser/app.ts` and the chart
 * code it imports, bundled by esbuild on the first request and kept for the life of the process
 * (about 0.1 s once).
 */
function bundleScript(): Promise<string> {
  script ??= (async () => {
    const built = await prebuilt('app.js');
    if (built !== undefined) return built;
    // A module name in a variable: bundlers leave it alone, so a bundled app (which uses the
    // prebuilt assets above) does not list esbuild, a devDependency, among its runtime packages.
    const esbuild = (await import(ESBUILD)) as typeof import('esbuild');
    const out = await esbuild.build({
      entryPoints: [path.join(BROWSER_DIR, 'app.ts')],
      bundle: true,
      write: false,
      format: 'iife',
      target: 'es2020',
      minify: true,
      legalComments: 'none',
      logLevel: 'silent',
    });
    return out.outputFiles[0].text;
  })();
  // A failed bundle is not kept: the next request tries again.
  script.catch(() => (script = undefined));
  return script;
}

/** The asset called `name` (`app.js`, `app.css`), or undefined for any other name. */
export async function loadAsset(name: string): Promise<Asset | undefined> {
  if (name === 'app.js') return { type: 'text/javascript; charset=utf-8', body: await bundleScript() };
  if (name === 'app.css') return { type: 'text/css; charset=utf-8', body: (await prebuilt('app.css')) ?? (await readFile(path.join(BROWSER_DIR, 'app.css'), 'utf8')) };
  return undefined;
}
