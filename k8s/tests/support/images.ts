import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { K8S_DIR, REPO } from './render';

/** The apps that have an image (apps/<app>/Dockerfile). */
export const APPS = ['coordinator', 'worker', 'device-agent'] as const;
export type App = (typeof APPS)[number];

/** One instruction of a Dockerfile stage (continuation lines joined, comments dropped). */
export interface Instruction {
  readonly op: string;
  readonly args: string;
}

/** A Dockerfile as stages of instructions. */
export interface Dockerfile {
  readonly stages: { readonly name?: string; readonly from: string; readonly instructions: Instruction[] }[];
  /** The last stage: the image that runs. */
  readonly runtime: { readonly entrypoint: string[]; readonly user?: string; readonly expose: number[]; readonly workdir?: string; readonly instructions: Instruction[] };
}

/** Parses apps/<app>/Dockerfile far enough to compare it with the manifests. */
export function readDockerfile(app: App): Dockerfile {
  const text = readFileSync(path.join(REPO, 'apps', app, 'Dockerfile'), 'utf8');
  const lines: string[] = [];
  let cur = '';
  for (const raw of text.split('\n')) {
    if (/^\s*#/.test(raw) && cur === '') continue;
    if (/^\s*#/.test(raw)) continue;
    if (raw.endsWith('\\')) {
      cur += raw.slice(0, -1) + ' ';
      continue;
    }
    cur += raw;
    if (cur.trim()) lines.push(cur.trim());
    cur = '';
  }
  const stages: Dockerfile['stages'] = [];
  for (const line of lines) {
    const m = /^(\S+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const op = m[1].toUpperCase();
    if (op === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(m[2])!;
      stages.push({ from: f[1], name: f[2], instructions: [] });
    } else if (stages.length) {
      stages[stages.length - 1].instructions.push({ op, args: m[2] });
    }
  }
  const last = stages[stages.length - 1];
  const find = (op: string) => last.instructions.filter((i) => i.op === op);
  const entry = find('ENTRYPOINT').pop();
  return {
    stages,
    runtime: {
      entrypoint: entry ? (JSON.parse(entry.args) as string[]) : [],
      user: find('USER').pop()?.args,
      expose: find('EXPOSE').flatMap((i) => i.args.split(/\s+/).map((p) => Number(p.split('/')[0]))),
      workdir: find('WORKDIR').pop()?.args,
      instructions: last.instructions,
    },
  };
}

/** The repository path's last segment of an image reference: `registry:5000/hwnas/worker:1.0` -> `hwnas/worker`, `worker`. */
export function imageParts(image: string): { repo: string; name: string; tag?: string; digest?: string } {
  const [ref, digest] = image.split('@');
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  const tag = colon > slash ? ref.slice(colon + 1) : undefined;
  const repo = colon > slash ? ref.slice(0, colon) : ref;
  return { repo, name: repo.slice(repo.lastIndexOf('/') + 1), tag, digest };
}

/** The hwnas app an image runs, or undefined for a third-party image. */
export function appOfImage(image: string): App | undefined {
  const { repo, name } = imageParts(image);
  return (APPS as readonly string[]).includes(name) && /(^|\/)hwnas\/[^/]+$/.test(repo) ? (name as App) : undefined;
}

/** What k8s/images/bundle-app.cjs built for an app, and where. */
export interface Bundle {
  readonly app: App;
  /** Root of the image layout: `<root>/apps/<app>/dist/main.js`, `<root>/node_modules`. */
  readonly root: string;
  readonly meta: { readonly main: string; readonly externals: string[]; readonly protoFiles: string[]; readonly inputs: string[] };
  /** `main.js --help`, run from the image layout. */
  readonly usage: string;
  /** Every HWNAS_* name that occurs in the bundled sources. */
  readonly envNames: Set<string>;
}

let tmpRoot: string | undefined;
const bundles = new Map<App, Bundle>();

/**
 * Runs k8s/images/bundle-app.cjs for `app` into a temporary image layout (node_modules linked to
 * the packages the image would keep), then `node apps/<app>/dist/main.js --help` there with
 * symlinks preserved, so that nothing resolves outside the layout. Cached per app; call
 * {@link cleanBundles} in afterAll.
 */
export function bundle(app: App): Bundle {
  const hit = bundles.get(app);
  if (hit) return hit;
  tmpRoot ??= mkdtempSync(path.join(tmpdir(), 'hwnas-images-'));
  const root = path.join(tmpRoot, app);
  execFileSync(process.execPath, [path.join(K8S_DIR, 'images', 'bundle-app.cjs'), app, '--out', root, '--link-from', path.join(REPO, 'node_modules')], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const meta = JSON.parse(readFileSync(path.join(root, 'apps', app, 'dist', 'bundle-meta.json'), 'utf8')) as Bundle['meta'];
  const run = spawnSync(process.execPath, ['--preserve-symlinks', '--preserve-symlinks-main', '--enable-source-maps', meta.main, '--help'], { cwd: root, encoding: 'utf8', timeout: 30_000 });
  if (run.status !== 0) throw new Error(`${app}: \`node ${meta.main} --help\` in the image layout exited ${run.status}: ${run.stderr}`);
  const envNames = new Set<string>();
  for (const input of meta.inputs) {
    const file = path.join(REPO, input);
    if (!existsSync(file)) continue;
    for (const m of readFileSync(file, 'utf8').matchAll(/\bHWNAS_[A-Z0-9_]+\b/g)) envNames.add(m[0]);
  }
  const b: Bundle = { app, root, meta, usage: run.stdout, envNames };
  bundles.set(app, b);
  return b;
}

/** Removes the temporary image layouts. */
export function cleanBundles(): void {
  if (tmpRoot) rmSync(tmpRoot, { recursive: true, force: true });
  tmpRoot = undefined;
  bundles.clear();
}

/** The `--flags` an app's usage text documents. */
export function documentedFlags(usage: string): Set<string> {
  return new Set([...usage.matchAll(/--([a-z][a-z0-9-]*)/g)].map((m) => m[1]));
}

/** `--name=value` and `--name value` pairs of a container's args; bare `--name` gets ''. */
export function parseFlags(args: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!a.startsWith('--')) throw new Error(`positional argument "${a}": the apps accept flags only`);
    const eq = a.indexOf('=');
    if (eq > 0) out.set(a.slice(2, eq), a.slice(eq + 1));
    else if (i + 1 < args.length && !args[i + 1].startsWith('--')) out.set(a.slice(2), args[++i]);
    else out.set(a.slice(2), '');
  }
  return out;
}
