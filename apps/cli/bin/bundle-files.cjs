// The built CLI beside the repository (dist/apps/cli/dist, written by `npm run build`) as the bin
// uses it: whether the bundle is current, its help texts, and loading it through a V8 code cache.
'use strict';
const { readFileSync, renameSync, statSync, unlinkSync, writeFileSync } = require('node:fs');
const { createRequire, wrap } = require('node:module');
const path = require('node:path');
const vm = require('node:vm');

const REPO = path.resolve(__dirname, '..', '..', '..');
const BUNDLE_DIR = path.join(REPO, 'dist', 'apps', 'cli', 'dist');
const BUNDLE = path.join(BUNDLE_DIR, 'main.js');
/** The help texts of the build (written by scripts/build-help.cjs). */
const HELP_FILE = path.join(BUNDLE_DIR, 'help.json');

/** Identifies one build of the bundle (size and modification time): what help.json and the code cache were made from. */
function bundleStamp(stat) {
  return `${stat.size}:${stat.mtimeMs}`;
}

/**
 * The bundle's path and stamp when it exists and no input of it (bundle-meta.json) is newer or
 * gone; undefined otherwise (the bin then runs the TypeScript sources).
 */
function freshBundle() {
  try {
    const stat = statSync(BUNDLE);
    const { inputs } = JSON.parse(readFileSync(path.join(BUNDLE_DIR, 'bundle-meta.json'), 'utf8'));
    // A plain concatenation per input (they are normalised relative paths) and no exception for a
    // missing one: path.join and a throw per file cost several milliseconds over the 240 inputs.
    const prefix = REPO + path.sep;
    for (const input of inputs) {
      const s = statSync(prefix + input, { throwIfNoEntry: false });
      if (s === undefined || s.mtimeMs > stat.mtimeMs) return undefined;
    }
    return { file: BUNDLE, stamp: bundleStamp(stat) };
  } catch {
    return undefined;
  }
}

/** The help texts of help.json when it was built from the bundle with `stamp`; undefined otherwise. */
function helpTexts(stamp) {
  try {
    const help = JSON.parse(readFileSync(HELP_FILE, 'utf8'));
    return help.bundle === stamp ? help.texts : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Loads the bundle (a CommonJS module) like require() would, but compiles it with the V8 code cache
 * in <file>.v8cache when that cache belongs to this build of the bundle (`stamp`) and this node,
 * which saves most of the compilation of its 0.8 MB. Returns the module's exports, whether the
 * cache was used, and `saveCache()`: when there was no usable cache, it writes one (atomically; any failure is ignored: the cache
 * only saves time) with every function compiled so far, so call it once the command has run.
 * V8 itself rejects a cache of another V8 version or flags; the header guards against another build.
 */
function loadBundle(bundle) {
  const cacheFile = `${bundle.file}.v8cache`;
  const header = Buffer.from(`hwnas-v8cache ${bundle.stamp} ${process.version} ${process.arch}\n`);
  let cachedData;
  try {
    const data = readFileSync(cacheFile);
    if (data.subarray(0, header.length).equals(header)) cachedData = data.subarray(header.length);
  } catch {
    // No cache yet.
  }
  // The bundle is ASCII (esbuild's charset: 'ascii', see k8s/images/bundle-app.cjs): latin1 reads
  // it into the same string without UTF-8 decoding.
  const script = new vm.Script(wrap(readFileSync(bundle.file, 'latin1')), {
    filename: bundle.file,
    cachedData,
    // import() inside the bundle resolves as in any CommonJS module.
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const module = { exports: {}, filename: bundle.file };
  script.runInThisContext().call(module.exports, module.exports, createRequire(bundle.file), module, bundle.file, path.dirname(bundle.file));
  const cacheUsed = cachedData !== undefined && !script.cachedDataRejected;
  const saveCache = () => {
    if (cacheUsed) return;
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, Buffer.concat([header, script.createCachedData()]));
      renameSync(tmp, cacheFile);
    } catch {
      try {
        unlinkSync(tmp);
      } catch {
        // Nothing was written.
      }
    }
  };
  return { exports: module.exports, cacheUsed, saveCache };
}

module.exports = { BUNDLE, HELP_FILE, bundleStamp, freshBundle, helpTexts, loadBundle };
