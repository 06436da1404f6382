#!/usr/bin/env node
// Start-up benchmark of the installed hwnas bin: `npm run bench:startup [-- --runs N]`.
// Runs each command N times (default 10) one after the other as a fresh process, through
// node_modules/.bin/hwnas exactly as a user would (but without npx, whose own start-up hwnas
// cannot change), and prints the wall time per command: min, median, max in milliseconds.
// `node -e 0` is measured the same way as the floor. HWNAS_CLI=bundle makes the bin refuse to
// fall back to the TypeScript sources, so a stale or missing build fails instead of being timed.
'use strict';
const { spawnSync } = require('node:child_process');
const { cpus, loadavg } = require('node:os');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(REPO, 'node_modules', '.bin', 'hwnas');
const runsAt = process.argv.indexOf('--runs');
const RUNS = runsAt > 0 ? Number(process.argv[runsAt + 1]) : 10;

const CASES = [
  { name: 'node -e 0', argv: [process.execPath, '-e', '0'] },
  { name: 'hwnas --help', argv: [BIN, '--help'] },
  {
    name: 'hwnas search (nb201 cifar10, fox-nas, budget 300, raspi4_latency<=15.72)',
    argv: [BIN, 'search', '--space', 'nb201', '--dataset', 'cifar10', '--strategy', 'fox-nas', '--budget', '300', '--constraint', 'raspi4_latency<=15.72'],
  },
];

const env = { ...process.env, HWNAS_CLI: 'bundle' };
const results = [];
for (const c of CASES) {
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(c.argv[0], c.argv.slice(1), { env, encoding: 'utf8' });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) {
      process.stderr.write(`${c.name}: exit ${r.status}\n${r.stderr}`);
      process.exit(1);
    }
    times.push(ms);
  }
  times.sort((a, b) => a - b);
  results.push({ command: c.name, runs: RUNS, min_ms: +times[0].toFixed(1), median_ms: +times[Math.floor(RUNS / 2)].toFixed(1), max_ms: +times[RUNS - 1].toFixed(1) });
}
const width = Math.max(...results.map((r) => r.command.length));
process.stdout.write(`${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${process.version}, ${RUNS} runs each\n`);
process.stdout.write(`${'command'.padEnd(width)}  min ms  median ms  max ms\n`);
for (const r of results) process.stdout.write(`${r.command.padEnd(width)}  ${String(r.min_ms).padStart(6)}  ${String(r.median_ms).padStart(9)}  ${String(r.max_ms).padStart(6)}\n`);
