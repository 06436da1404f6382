#!/usr/bin/env node
// The hwnas command. Runs the built bundle (dist/apps/cli/dist/main.js, built by `npm run build`,
// which the root `prepare` script runs on `npm ci`) when it is at least as new as every source
// file it was built from; otherwise (sources edited since, or never built) it runs the TypeScript
// sources through tsx, so the development flow needs no rebuild. HWNAS_CLI=source forces the
// sources, HWNAS_CLI=bundle the bundle. With the bundle, help texts come from the build's
// help.json without loading the bundle at all (bin/fast-help.cjs), and the bundle is compiled
// through a V8 code cache (bin/bundle-files.cjs).
'use strict';
const { BUNDLE, freshBundle, helpTexts, loadBundle } = require('./bundle-files.cjs');
const { fastHelp } = require('./fast-help.cjs');

const argv = process.argv.slice(2);

/** What runs the command: main(argv) -> exit code, and what to do after it (the bundle's code cache). */
async function load() {
  const mode = process.env.HWNAS_CLI;
  const bundle = mode === 'source' ? undefined : freshBundle();
  if (bundle) {
    const texts = helpTexts(bundle.stamp);
    const help = texts && fastHelp(argv, texts);
    if (help) return { main: async () => (process.stdout.write(help.text + '\n'), help.code) };
    const { exports, saveCache } = loadBundle(bundle);
    return { main: exports.main, saveCache };
  }
  if (mode === 'bundle') {
    process.stderr.write(`hwnas: HWNAS_CLI=bundle, but ${BUNDLE} is missing or older than its sources; run npm run build\n`);
    process.exit(1);
  }
  // Commands are loaded with import(), which goes through the ES module loader: hook both loaders.
  await import('tsx/esm');
  require('tsx/cjs/api').register();
  return { main: require('../src/main.ts').main };
}

load().then(async (cli) => {
  process.exitCode = await cli.main(argv);
  cli.saveCache?.();
});
