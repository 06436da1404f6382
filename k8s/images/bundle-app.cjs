#!/usr/bin/env node
// Builds the runtime files of one app image; used by k8s/images/Dockerfile (APP=<app>) and by k8s/tests.
//
//   node k8s/images/bundle-app.cjs <app> --out DIR [--prune NODE_MODULES | --link-from NODE_MODULES]
//   node k8s/images/bundle-app.cjs <app> <app> ... --out DIR      (several apps; npm run build)
//
// 1. Bundles apps/<app>/src/main.ts with esbuild into DIR/apps/<app>/dist/main.js (CommonJS,
//    Node 20, linked source map). Only the workspace's own TypeScript (@hwnas/* and relative
//    imports, and the few packages of INLINE_PACKAGES) goes into the bundle; every other npm
//    package stays an external `require`/`import`,
//    loaded from node_modules exactly as in development. That keeps native addons
//    (onnxruntime-node), packages that read files beside their code (grpc-health-check,
//    @grpc/reflection and proto-loader load .proto files from __dirname), ESM-only packages loaded
//    with import() (@kubernetes/client-node) and OpenTelemetry's require hooks working.
// 2. When the bundle contains @hwnas/proto's loader (PROTO_DIR = <bundle dir>/..), copies
//    proto/hwnas/**/*.proto to DIR/apps/<app>/hwnas/ so that the loader finds them.
// 3. When the bundle reads the benchmark data pack (libs/bench-core/src/data/data-pack.ts) and DIR
//    is outside the repository, copies data/pack/ to DIR/apps/<app>/data/pack/, where the bundle
//    finds it (it looks for data/pack/manifest.json above its own directory; inside the
//    repository that is the repository's own data/pack/).
// 4. Writes DIR/apps/<app>/dist/bundle-meta.json: entry, bundled inputs, external packages.
// 5. --prune NODE_MODULES: deletes from a production node_modules every package the bundle does
//    not need (the transitive dependencies of its externals are kept), workspace links, .bin,
//    and onnxruntime-node binaries of other platforms. --link-from NODE_MODULES instead creates
//    DIR/node_modules with symlinks to the packages that would be kept (tests; run node with
//    --preserve-symlinks so that nothing resolves outside it).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { builtinModules } = require('node:module');

const REPO = path.resolve(__dirname, '..', '..');

function usage(msg) {
  process.stderr.write(`${msg ? `bundle-app: ${msg}\n` : ''}usage: node k8s/images/bundle-app.cjs <app>... --out DIR [--prune NODE_MODULES | --link-from NODE_MODULES]\n`);
  process.exit(2);
}

function parse(argv) {
  const opts = { apps: [], out: undefined, prune: undefined, linkFrom: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i] ?? usage(`${a} needs a value`);
    if (a === '--out') opts.out = path.resolve(next());
    else if (a === '--prune') opts.prune = path.resolve(next());
    else if (a === '--link-from') opts.linkFrom = path.resolve(next());
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else opts.apps.push(a);
  }
  if (opts.apps.length === 0 || !opts.out) usage();
  if (opts.prune && opts.linkFrom) usage('--prune and --link-from exclude each other');
  if ((opts.prune || opts.linkFrom) && opts.apps.length > 1) usage('--prune and --link-from take one app');
  return opts;
}

/** `@scope/name/sub` -> `@scope/name`, `name/sub` -> `name`. */
function packageName(spec) {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

const builtins = new Set(builtinModules);
function isBuiltin(spec) {
  return spec.startsWith('node:') || builtins.has(spec) || builtins.has(spec.split('/')[0]);
}

/**
 * Modules that most commands never use but that modules every command imports do: packages that
 * load a native library or a large generated module, and Node built-ins that pull in many internal
 * modules of their own (node:http loads net, streams and the HTTP parser; node:child_process loads
 * dgram; together about 12 ms of a CLI start; node:zlib about 2 ms, which a table search needs only
 * while no inflated table cache is in place). In the bundle each is a stand-in whose exports load
 * the real module on first access, so merely importing a module that uses it costs nothing. Their
 * export names are read at build time.
 */
const LAZY_EXTERNALS = ['onnxruntime-node', 'onnx-proto', 'node:http', 'node:child_process', 'node:readline', 'node:fs/promises', 'node:zlib', 'node:crypto'];

/**
 * npm packages compiled into an app's bundle instead of staying external. @opentelemetry/api is
 * 44 small CommonJS files that cost the CLI about 35 ms of every start to resolve and compile
 * (every search loads it for its spans); inside the bundle they come from the bundle's V8 code
 * cache. Only for apps that do not start an OpenTelemetry SDK: the services keep the one copy in
 * node_modules that the SDK registers its providers with.
 */
const INLINE_PACKAGES = { cli: ['@opentelemetry/api'] };

const lazyExternals = {
  name: 'lazy-externals',
  setup(build) {
    const filter = new RegExp(`^(${LAZY_EXTERNALS.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})$`);
    // The stand-in's own require of the package is the real, external one.
    build.onResolve({ filter }, (args) => (args.namespace === 'lazy-external' ? { path: args.path, external: true } : { path: args.path, namespace: 'lazy-external' }));
    build.onLoad({ filter: /.*/, namespace: 'lazy-external' }, (args) => {
      const names = Object.keys(require(require.resolve(args.path, { paths: [REPO] })));
      const contents = [
        `let real;`,
        `const load = () => (real ??= require(${JSON.stringify(args.path)}));`,
        `for (const name of ${JSON.stringify(names)}) Object.defineProperty(exports, name, { enumerable: true, get: () => load()[name] });`,
      ].join('\n');
      return { contents, loader: 'js', resolveDir: REPO };
    });
  },
};

async function bundle(app, out) {
  const esbuild = require('esbuild');
  const inline = new Set(INLINE_PACKAGES[app] ?? []);
  const entry = path.join('apps', app, 'src', 'main.ts');
  if (!fs.existsSync(path.join(REPO, entry))) throw new Error(`${entry} does not exist`);
  const appDir = path.join(out, 'apps', app);
  const outfile = path.join(appDir, 'dist', 'main.js');
  const result = await esbuild.build({
    absWorkingDir: REPO,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'linked',
    metafile: true,
    legalComments: 'none',
    // Non-ASCII characters escaped: the CLI's bin reads the bundle as latin1 (apps/cli/bin/bundle-files.cjs).
    charset: 'ascii',
    logLevel: 'warning',
    plugins: [
      lazyExternals,
      {
        name: 'npm-packages-external',
        setup(build) {
          // Bare specifiers other than the workspace's own packages stay runtime requires.
          build.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@hwnas/') || inline.has(packageName(args.path)) ? undefined : { path: args.path, external: true }));
        },
      },
    ],
  });
  const output = result.metafile.outputs[path.relative(REPO, outfile)] ?? Object.values(result.metafile.outputs).find((o) => o.entryPoint);
  const externals = [...new Set(output.imports.filter((i) => i.external && !isBuiltin(i.path)).map((i) => packageName(i.path)))].sort();
  // Files only: the stand-ins of LAZY_EXTERNALS are inputs of their own namespace.
  const inputs = Object.keys(result.metafile.inputs).filter((i) => !i.startsWith('lazy-external:')).sort();
  const protoFiles = [];
  if (inputs.includes('proto/src/proto-files.ts')) {
    const src = path.join(REPO, 'proto', 'hwnas');
    for (const rel of walk(src).filter((f) => f.endsWith('.proto'))) {
      const dest = path.join(appDir, 'hwnas', rel);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.copyFileSync(path.join(src, rel), dest);
      protoFiles.push(path.join('hwnas', rel));
    }
  }
  const dataPack = [];
  const insideRepo = !path.relative(REPO, out).startsWith('..') && !path.isAbsolute(path.relative(REPO, out));
  if (inputs.includes('libs/bench-core/src/data/data-pack.ts') && !insideRepo) {
    const src = path.join(REPO, 'data', 'pack');
    for (const name of fs.readdirSync(src).filter((f) => f === 'manifest.json' || f.endsWith('.bin'))) {
      const dest = path.join(appDir, 'data', 'pack', name);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.copyFileSync(path.join(src, name), dest);
      dataPack.push(path.join('data', 'pack', name));
    }
  }
  // The web dashboard (libs/dashboard) serves a browser bundle and a stylesheet: built here, beside
  // main.js, since the image has neither the sources nor esbuild (see libs/dashboard/src/assets.ts).
  const dashboardFiles = [];
  if (inputs.includes('libs/dashboard/src/assets.ts')) {
    const dir = path.join(appDir, 'dist', 'dashboard');
    await esbuild.build({ absWorkingDir: REPO, entryPoints: ['libs/dashboard/src/browser/app.ts'], outfile: path.join(dir, 'app.js'), bundle: true, format: 'iife', target: 'es2020', minify: true, legalComments: 'none', logLevel: 'warning' });
    fs.copyFileSync(path.join(REPO, 'libs/dashboard/src/browser/app.css'), path.join(dir, 'app.css'));
    dashboardFiles.push('dist/dashboard/app.js', 'dist/dashboard/app.css');
  }
  const meta = { app, entry, main: path.relative(out, outfile), externals, protoFiles, dataPack, dashboardFiles, inputs };
  fs.writeFileSync(path.join(appDir, 'dist', 'bundle-meta.json'), JSON.stringify(meta, null, 2) + '\n');
  return meta;
}

function walk(dir, prefix = '') {
  const files = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const rel = path.join(prefix, e.name);
    if (e.isDirectory()) files.push(...walk(path.join(dir, e.name), rel));
    else files.push(rel);
  }
  return files;
}

/** Directories of every package needed by `roots`, resolved like Node does (nearest node_modules up). */
function closure(nodeModules, roots) {
  const top = path.dirname(nodeModules);
  const keep = new Set();
  const resolveFrom = (fromDir, name) => {
    for (let dir = fromDir; ; dir = path.dirname(dir)) {
      const cand = path.join(dir, 'node_modules', name);
      if (fs.existsSync(path.join(cand, 'package.json'))) return cand;
      if (dir === top || dir === path.dirname(dir)) return undefined;
    }
  };
  const visit = (dir) => {
    if (keep.has(dir)) return;
    keep.add(dir);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const optional = new Set([...Object.keys(pkg.optionalDependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]);
    for (const name of new Set([...Object.keys(pkg.dependencies ?? {}), ...optional])) {
      const found = resolveFrom(dir, name);
      if (found) visit(found);
      else if (!optional.has(name)) throw new Error(`${path.relative(top, dir)} depends on ${name}, which is not installed`);
    }
  };
  for (const name of roots) {
    const found = resolveFrom(top, name);
    if (!found) throw new Error(`the bundle requires ${name}, which is not in ${nodeModules}`);
    visit(found);
  }
  return keep;
}

/** Top-level package directories of a node_modules (scoped ones expanded). */
function topLevel(nodeModules) {
  const dirs = [];
  for (const e of fs.readdirSync(nodeModules)) {
    if (e.startsWith('.')) continue;
    const p = path.join(nodeModules, e);
    if (e.startsWith('@')) for (const s of fs.readdirSync(p)) dirs.push(path.join(p, s));
    else dirs.push(p);
  }
  return dirs;
}

function prune(nodeModules, externals) {
  const keep = closure(nodeModules, externals);
  let removed = 0;
  for (const dir of topLevel(nodeModules)) {
    if (keep.has(dir)) continue;
    fs.rmSync(dir, { recursive: true, force: true });
    removed++;
  }
  fs.rmSync(path.join(nodeModules, '.bin'), { recursive: true, force: true });
  for (const e of fs.readdirSync(nodeModules).filter((n) => n.startsWith('@'))) {
    if (fs.readdirSync(path.join(nodeModules, e)).length === 0) fs.rmdirSync(path.join(nodeModules, e));
  }
  // onnxruntime-node ships CPU binaries for every OS and CPU (~240 MB of them are not ours).
  const ort = path.join(nodeModules, 'onnxruntime-node', 'bin');
  if (fs.existsSync(ort)) {
    for (const napi of fs.readdirSync(ort)) {
      for (const platform of fs.readdirSync(path.join(ort, napi))) {
        for (const arch of fs.readdirSync(path.join(ort, napi, platform))) {
          if (platform !== process.platform || arch !== process.arch) fs.rmSync(path.join(ort, napi, platform, arch), { recursive: true, force: true });
        }
        if (fs.readdirSync(path.join(ort, napi, platform)).length === 0) fs.rmdirSync(path.join(ort, napi, platform));
      }
    }
  }
  return { kept: keep.size, removed };
}

function link(from, out, externals) {
  const keep = closure(from, externals);
  const target = path.join(out, 'node_modules');
  fs.rmSync(target, { recursive: true, force: true });
  for (const dir of topLevel(from)) {
    if (!keep.has(dir)) continue;
    const dest = path.join(target, path.relative(from, dir));
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.symlinkSync(fs.realpathSync(dir), dest, 'dir');
  }
  return { kept: keep.size };
}

async function main() {
  const opts = parse(process.argv.slice(2));
  for (const app of opts.apps) await bundleOne(opts, app);
}

async function bundleOne(opts, app) {
  const meta = await bundle(app, opts.out);
  let deps = '';
  if (opts.prune) {
    const r = prune(opts.prune, meta.externals);
    deps = `; node_modules: kept ${r.kept} packages, removed ${r.removed}`;
  } else if (opts.linkFrom) {
    const r = link(opts.linkFrom, opts.out, meta.externals);
    deps = `; linked ${r.kept} packages`;
  }
  process.stdout.write(`bundle-app: ${meta.main} (${meta.inputs.length} inputs, externals: ${meta.externals.join(' ') || 'none'}${meta.protoFiles.length ? `, ${meta.protoFiles.length} .proto files` : ''}${meta.dataPack.length ? ', data pack' : ''})${deps}\n`);
}

main().catch((e) => {
  process.stderr.write(`bundle-app: ${e && e.stack ? e.stack : String(e)}\n`);
  process.exit(1);
});
