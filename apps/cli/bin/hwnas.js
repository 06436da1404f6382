#!/usr/bin/env node
// The hwnas command. Runs the built bundle (dist/apps/cli/dist/main.js, built by `npm run build`,
// which the root `prepare` script runs on `npm ci`) when it is at least as new as every source
// file it was built from; otherwise (sources edited since, or never built) it runs the TypeScript
// sources through tsx, so the development flow needs no rebuild. HWNAS_CLI=source forces the
// sources, HWNAS_CLI=bundle the bundle.
'use strict';
const { readFileSync, statSync } = require('node:fs');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..', '..', '..');
const BUNDLE_DIR = path.join(REPO, 'dist', 'apps', 'cli', 'dist');

/** The bundle, when it exists and no input of it is newer (or gone). */
function freshBundle() {
  const bundle = path.join(BUNDLE_DIR, 'main.js');
  try {
    const built = statSync(bundle).mtimeMs;
    const { inputs } = JSON.parse(readFileSync(path.join(BUNDLE_DIR, 'bundle-meta.json'), 'utf8'));
    for (const input of inputs) if (statSync(path.join(REPO, input)).mtimeMs > built) return undefined;
    return bundle;
  } catch {
    return undefined;
  }
}

async function load() {
  const mode = process.env.HWNAS_CLI;
  const bundle = mode === 'source' ? undefined : freshBundle();
  if (bundle) return require(bundle);
  if (mode === 'bundle') {
    process.stderr.write(`hwnas: HWNAS_CLI=bundle, but ${path.join(BUNDLE_DIR, 'main.js')} is missing or older than its sources; run npm run build\n`);
    process.exit(1);
  }
  // Commands are loaded with import(), which goes through the ES module loader: hook both loaders.
  await import('tsx/esm');
  require('tsx/cjs/api').register();
  return require('../src/main.ts');
}

load()
  .then((cli) => cli.main(process.argv.slice(2)))
  .then((code) => {
    process.exitCode = code;
  });
