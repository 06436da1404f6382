#!/usr/bin/env node
// Writes dist/apps/cli/dist/help.json: every help text of the built CLI (main.ts's helpTexts()),
// stamped with the bundle it came from, so that the bin answers `hwnas --help` and
// `hwnas <command> --help` without loading the bundle (bin/fast-help.cjs). Run by `npm run build`
// after the bundle is built; the bin ignores a help.json whose stamp is not the bundle's.
'use strict';
const { renameSync, statSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const { BUNDLE, HELP_FILE, bundleStamp } = require('../bin/bundle-files.cjs');

async function main() {
  const stamp = bundleStamp(statSync(BUNDLE));
  const texts = await require(BUNDLE).helpTexts();
  writeFileSync(`${HELP_FILE}.tmp`, JSON.stringify({ bundle: stamp, texts }) + '\n');
  renameSync(`${HELP_FILE}.tmp`, HELP_FILE);
  process.stdout.write(`build-help: ${path.relative(process.cwd(), HELP_FILE)} (${Object.keys(texts).length} texts)\n`);
}

main().then(
  // Loading every command may leave handles open (clients, timers): the texts are written.
  () => process.exit(0),
  (e) => {
    process.stderr.write(`build-help: ${e && e.stack ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
