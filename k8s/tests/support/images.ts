import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { K8S_DIR, REPO } from './render';

/** The one Dockerfile of every app image, built with `--build-arg APP=<app>`. */
export const DOCKERFILE = path.join(K8S_DIR, 'images', 'Dockerfile');

/** The apps that have an image (k8s/images/Dockerfile with APP=<app>). */
export const APPS = ['coordinator', 'worker', 'device-agent'] as const;
export type App = (typeof APPS)[number];

/** One instruction of a Dockerfile stage (continuation lines joined, comments dropped, variables expanded). */
export interface Instruction {
  readonly op: string;
  readonly args: string;
}

/** A Dockerfile as stages of instructions, as one set of build arguments makes it. */
export interface Dockerfile {
  readonly stages: { readonly name?: string; readonly from: string; readonly instructions: Instruction[] }[];
  /** The last stage: the image that runs. */
  readonly runtime: {
    readonly from: string;
    readonly entrypoint: string[];
    readonly user?: string;
    readonly expose: number[];
    readonly workdir?: string;
    readonly labels: Record<string, string>;
    readonly env: Record<string, string>;
    readonly instructions: Instruction[];
  };
}

/** Words of an instruction's arguments, split at blanks outside quotes (quotes kept). */
function words(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\' && i + 1 < text.length) cur += ch + text[++i];
    else if (quote) {
      if (ch === quote) quote = undefined;
      cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      cur += ch;
    } else if (/\s/.test(ch)) {
      if (cur) out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (quote) throw new Error(`unterminated quote in: ${text}`);
  if (cur) out.push(cur);
  return out;
}

function unquote(word: string): string {
  return word.replace(/"((?:[^"\\]|\\.)*)"|'([^']*)'/g, (_m, dq: string | undefined, sq: string | undefined) => (dq !== undefined ? dq.replace(/\\(.)/g, '$1') : sq!));
}

/**
 * `$NAME`, `${NAME}`, `${NAME:-word}` and `${NAME:+word}` as Docker expands them: a name that no
 * ARG or ENV declared in scope expands to ''.
 */
function expand(text: string, vars: ReadonlyMap<string, string>): string {
  return text.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_m, braced: string | undefined, op: string | undefined, word: string | undefined, bare: string | undefined) => {
    const v = vars.get((braced ?? bare)!) ?? '';
    if (op === '-') return v || word!;
    if (op === '+') return v ? word! : '';
    return v;
  });
}

/** The `KEY=value` words of ARG, ENV and LABEL, unquoted; a bare `KEY` (ARG) has no value. */
function pairs(args: string): [string, string | undefined][] {
  return words(args).map((w) => {
    const eq = w.indexOf('=');
    return eq < 0 ? [w, undefined] : [w.slice(0, eq), unquote(w.slice(eq + 1))];
  });
}

/**
 * Parses a Dockerfile (k8s/images/Dockerfile) as `docker build --build-arg K=V ...` reads it, far
 * enough to compare it with the manifests. Variables are expanded where Docker expands them:
 * FROM with the global ARGs (those before the first FROM); ARG defaults, ENV, LABEL, COPY, USER,
 * WORKDIR, EXPOSE and the others with the ARGs and ENVs of the stage so far; RUN as the build's
 * shell does, which sees the same variables. Exec-form ENTRYPOINT and CMD stay verbatim, as
 * nothing expands them. A stage sees a build argument only after its own `ARG NAME`.
 */
export function readDockerfile(buildArgs: Readonly<Record<string, string>>, file = DOCKERFILE): Dockerfile {
  const text = readFileSync(file, 'utf8');
  const lines: string[] = [];
  let cur = '';
  for (const raw of text.split('\n')) {
    if (/^\s*#/.test(raw)) continue;
    if (raw.endsWith('\\')) {
      cur += raw.slice(0, -1) + ' ';
      continue;
    }
    cur += raw;
    if (cur.trim()) lines.push(cur.trim());
    cur = '';
  }
  const globals = new Map<string, string>();
  const stages: Dockerfile['stages'] = [];
  let vars = new Map<string, string>();
  for (const line of lines) {
    const m = /^(\S+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const op = m[1].toUpperCase();
    if (op === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(m[2])!;
      stages.push({ from: expand(f[1], globals), name: f[2], instructions: [] });
      vars = new Map();
      continue;
    }
    const scope = stages.length ? vars : globals;
    if (op === 'ARG') {
      for (const [key, def] of pairs(m[2])) {
        const value = buildArgs[key] ?? (def !== undefined ? expand(def, scope) : stages.length ? globals.get(key) : undefined);
        if (value !== undefined) scope.set(key, value);
      }
    }
    if (!stages.length) continue;
    const verbatim = op === 'ARG' || (['ENTRYPOINT', 'CMD'].includes(op) && m[2].trim().startsWith('['));
    const args = verbatim ? m[2] : expand(m[2], vars);
    if (op === 'ENV') for (const [key, value] of pairs(args)) vars.set(key, value ?? '');
    stages[stages.length - 1].instructions.push({ op, args });
  }
  const last = stages[stages.length - 1];
  const find = (op: string) => last.instructions.filter((i) => i.op === op);
  const entry = find('ENTRYPOINT').pop();
  const kv = (op: string) => Object.fromEntries(find(op).flatMap((i) => pairs(i.args).map(([k, v]) => [k, v ?? ''])));
  return {
    stages,
    runtime: {
      from: last.from,
      entrypoint: entry ? (JSON.parse(entry.args) as string[]) : [],
      user: find('USER').pop()?.args,
      expose: find('EXPOSE').flatMap((i) => i.args.split(/\s+/).map((p) => Number(p.split('/')[0]))),
      workdir: find('WORKDIR').pop()?.args,
      labels: kv('LABEL'),
      env: kv('ENV'),
      instructions: last.instructions,
    },
  };
}

/** The image of `app`: k8s/images/Dockerfile read with `--build-arg APP=<app>`. */
export function appDockerfile(app: App): Dockerfile {
  return readDockerfile({ APP: app });
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

/** An app's image as k8s/images/Dockerfile lays it out, built without Docker. */
export interface Bundle {
  readonly app: App;
  /** Stands for the build stage's `--out` directory: `apps/<app>/dist/main.js`, `apps/<app>/dist/bundle-meta.json`. */
  readonly out: string;
  /** Stands for the image's `/`: what the runtime stage's COPY instructions put there, at their paths. */
  readonly image: string;
  /** The image's WORKDIR, in {@link image}: the directory the entrypoint runs in. */
  readonly cwd: string;
  /** The script the image's entrypoint runs, in {@link image}. */
  readonly main: string;
  /** Arguments for `process.execPath` that run the entrypoint there (its node flags, {@link main}), symlinks preserved. */
  readonly command: string[];
  readonly meta: { readonly main: string; readonly externals: string[]; readonly protoFiles: string[]; readonly dataPack: string[]; readonly dashboardFiles: string[]; readonly inputs: string[] };
  /** The entrypoint's `--help`, run from the image layout. */
  readonly usage: string;
  /** Every HWNAS_* name that occurs in the bundled sources. */
  readonly envNames: Set<string>;
}

let tmpRoot: string | undefined;
const bundles = new Map<App, Bundle>();

/** The node binary of the distroless runtime image, which the entrypoint starts. */
const IMAGE_NODE = '/nodejs/bin/node';

/**
 * Builds the image of `app` as k8s/images/Dockerfile (read with APP=<app>) does, without Docker:
 * runs the build stage's `node k8s/images/bundle-app.cjs <app> --out OUT --prune NODE_MODULES`
 * into a temporary OUT, with `--link-from` instead of `--prune` (OUT/node_modules then links to
 * exactly the packages the pruned node_modules would keep); carries out the runtime stage's
 * `COPY --from=build` instructions into a temporary image root; then runs the ENTRYPOINT there
 * with `--help`, from the WORKDIR, with symlinks preserved so that nothing resolves outside the
 * layout. Throws when the Dockerfile does something this cannot reproduce. Cached per app; call
 * {@link cleanBundles} in afterAll.
 */
export function bundle(app: App): Bundle {
  const hit = bundles.get(app);
  if (hit) return hit;
  const df = appDockerfile(app);
  const runs = df.stages.find((s) => s.name === 'build')?.instructions.filter((i) => i.op === 'RUN') ?? [];
  const bundling = runs.length === 1 ? /^node (k8s\/images\/bundle-app\.cjs) (\S+) --out (\/\S+) --prune (\/\S+)$/.exec(runs[0].args) : null;
  if (!bundling) throw new Error(`${app}: the build stage must RUN node k8s/images/bundle-app.cjs <app> --out DIR --prune NODE_MODULES, and only that: ${JSON.stringify(runs)}`);
  const [, script, runApp, outDir, pruned] = bundling;
  tmpRoot ??= mkdtempSync(path.join(tmpdir(), 'hwnas-images-'));
  const out = path.join(tmpRoot, app, 'out');
  const image = path.join(tmpRoot, app, 'image');
  execFileSync(process.execPath, [path.join(REPO, script), runApp, '--out', out, '--link-from', path.join(REPO, 'node_modules')], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  const meta = JSON.parse(readFileSync(path.join(out, 'apps', runApp, 'dist', 'bundle-meta.json'), 'utf8')) as Bundle['meta'];

  // The build stage's paths, in the temporary build.
  const fromBuild = (src: string): string => {
    const under = (dir: string) => src === dir || src.startsWith(`${dir}/`);
    if (under(pruned)) return path.join(out, 'node_modules', path.posix.relative(pruned, src));
    if (under(outDir)) return path.join(out, path.posix.relative(outDir, src));
    throw new Error(`${app}: COPY --from=build ${src}: the build makes only ${outDir} and ${pruned}`);
  };
  let workdir = '/';
  for (const i of df.runtime.instructions) {
    if (i.op === 'WORKDIR') workdir = path.posix.resolve(workdir, i.args);
    if (i.op === 'ADD' || (i.op === 'COPY' && !i.args.startsWith('--from=build '))) throw new Error(`${app}: ${i.op} ${i.args}: the runtime stage may only COPY --from=build`);
    if (i.op !== 'COPY') continue;
    const w = words(i.args).slice(1);
    if (w.length !== 2 || w.some((x) => x.startsWith('--'))) throw new Error(`${app}: COPY ${i.args}: expected one source and one destination`);
    const [src, dest] = w.map(unquote);
    const from = fromBuild(src);
    if (!existsSync(from)) throw new Error(`${app}: COPY ${i.args}: the build made no ${src}`);
    const to = path.join(image, path.posix.resolve(workdir, dest));
    const target = statSync(from).isDirectory() || !dest.endsWith('/') ? to : path.join(to, path.basename(from));
    mkdirSync(path.dirname(target), { recursive: true });
    cpSync(from, target, { recursive: true, verbatimSymlinks: true });
  }
  const cwd = path.join(image, df.runtime.workdir ?? '/');

  const [node, ...nodeArgs] = df.runtime.entrypoint;
  const scriptAt = nodeArgs.findIndex((a) => !a.startsWith('-'));
  if (node !== IMAGE_NODE || scriptAt < 0) throw new Error(`${app}: ENTRYPOINT ${JSON.stringify(df.runtime.entrypoint)} does not run a script with ${IMAGE_NODE}`);
  const main = path.join(image, path.posix.resolve(df.runtime.workdir ?? '/', nodeArgs[scriptAt]));
  const command = ['--preserve-symlinks', '--preserve-symlinks-main', ...nodeArgs.map((a, i) => (i === scriptAt ? main : a))];
  const run = spawnSync(process.execPath, [...command, '--help'], { cwd, encoding: 'utf8', timeout: 30_000 });
  if (run.status !== 0) throw new Error(`${app}: the entrypoint ${JSON.stringify(df.runtime.entrypoint)} --help in the image layout exited ${run.status}: ${run.stderr}`);
  const envNames = new Set<string>();
  for (const input of meta.inputs) {
    const file = path.join(REPO, input);
    if (!existsSync(file)) continue;
    for (const m of readFileSync(file, 'utf8').matchAll(/\bHWNAS_[A-Z0-9_]+\b/g)) envNames.add(m[0]);
  }
  const b: Bundle = { app, out, image, cwd, main, command, meta, usage: run.stdout, envNames };
  bundles.set(app, b);
  return b;
}

/** Removes the temporary image layouts. */
export function cleanBundles(): void {
  if (tmpRoot) rmSync(tmpRoot, { recursive: true, force: true });
  tmpRoot = undefined;
  bundles.clear();
}

/**
 * The ports an app listens on, from its usage text: the port of `--listen HOST:PORT` as given by
 * the flag or its environment variable, else the documented default; none for an app without
 * `--listen`.
 */
export function listenPorts(usage: string, flags: ReadonlyMap<string, string>, env: Readonly<Record<string, string>>): number[] {
  const doc = /^\s*--listen HOST:PORT\b.*?\(default ([^)\s]+)\).*?(?:\((HWNAS_[A-Z_]+)\))?\s*$/m.exec(usage);
  if (!doc) {
    if (/--listen\b/.test(usage)) throw new Error(`--listen is documented without a default HOST:PORT: ${usage}`);
    return [];
  }
  const listen = flags.get('listen') ?? (doc[2] ? env[doc[2]] : undefined) ?? doc[1];
  const port = Number(/:(\d+)$/.exec(listen)?.[1]);
  if (!Number.isInteger(port)) throw new Error(`--listen ${listen} has no port`);
  // The coordinator's web dashboard: off by default, on with --http HOST:PORT (or its variable).
  const httpDoc = /^\s*--http HOST:PORT\b.*?(?:\((HWNAS_[A-Z_]+)\))?\s*$/m.exec(usage);
  const http = httpDoc ? (flags.get('http') ?? (httpDoc[1] ? env[httpDoc[1]] : undefined)) : undefined;
  if (http === undefined) return [port];
  const httpPort = Number(/:(\d+)$/.exec(http)?.[1]);
  if (!Number.isInteger(httpPort)) throw new Error(`--http ${http} has no port`);
  return [port, httpPort];
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
