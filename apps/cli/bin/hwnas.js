#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), so `npx hwnas` works right after `npm ci`.
require('tsx/cjs/api').register();
require('../src/main.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
