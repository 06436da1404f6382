import { readFile } from 'node:fs/promises';
import * as path from 'node:path';

/** A served asset: its content type and bytes. */
export interface Asset {
  readonly type: string;
  readonly body: string;
}

const BROWSER_DIR = path.join(__dirname, 'browser');
let script: Promise<string> | undefined;

/**
 * The browser bundle: `browser/app.ts` and the chart code it imports, bundled by esbuild on the
 * first request and kept for the life of the process (about 0.1 s once).
 */
function bundleScript(): Promise<string> {
  script ??= (async () => {
    const esbuild = await import('esbuild');
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
  if (name === 'app.css') return { type: 'text/css; charset=utf-8', body: await readFile(path.join(BROWSER_DIR, 'app.css'), 'utf8') };
  return undefined;
}
