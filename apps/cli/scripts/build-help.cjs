#!/usr/bin/env node
// Writes dist/apps/cli/dist/help.json: every help text of the built CLI (main.ts's helpTexts()),
// stamped with the bundle it came from, so that the bin answers `hwnas --help` and
// `hwnas <command> --help` without loading the bundle (bin/fast-help.cjs). Run by `npm run build`
// after the bundle is built; the bin ignores a help.json whose stamp is not the bundle's.
'use strict';
const { renameSync, statSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const { bundleStamp } = require('../bin/bundle-files.cjs');

const BUNDLE_DIR = path.resolve(__dirname, '..', '..', '..', 'dist', 'apps', 'cli', 'dist');

async function main() {
  const bundle = path.join(BUNDLE_DIR, 'main.js');
  const stamp = bundleStamp(statSync(bundle));
  const texts = await require(bundle).helpTexts();
  const file = path.join(BUNDLE_DIR, 'help.json');
  writeFileSync(`${file}.tmp`, JSON.stringify({ bundle: stamp, texts }) + '\n');
  renameSync(`${file}.tmp`, file);
  process.stdout.write(`build-help: ${path.relative(process.cwd(), file)} (${Object.keys(texts).length} texts)\n`);
}

main().then(
  // Loading every command may leave handles open (clients, timers): the texts are written.
  () => process.exit(0),
  (e) => {
    process.stderr.write(`build-help: ${e && e.stack ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
