#!/usr/bin/env node
// Start-up benchmark of the installed hwnas bin: `npm run bench:startup [-- --runs N]`.
// Runs each command N times (default 10) one after the other as a fresh process, through
// node_modules/.bin/hwnas exactly as a user would (but without npx, whose own start-up hwnas
// cannot change), and prints the wall time per command (min, median, max in milliseconds) and the
// median CPU time (user + system, from GNU time when /usr/bin/time exists): on a machine shared
// with other work the wall times grow with the load, the CPU times much less.
// `node -e 0` is measured the same way as the floor. HWNAS_CLI=bundle makes the bin refuse to
// fall back to the TypeScript sources, so a stale or missing build fails instead of being timed.
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { cpus, loadavg, tmpdir } = require('node:os');
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
const GNU_TIME = '/usr/bin/time';
const scratch = mkdtempSync(path.join(tmpdir(), 'hwnas-bench-startup-'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = [];
for (const c of CASES) {
  const times = [];
  const cpu = [];
  for (let i = 0; i < RUNS; i++) {
    const timeFile = path.join(scratch, 'time');
    // GNU time adds a fork and exec of its own (about 1 ms); it is the same for every command.
    const argv = existsSync(GNU_TIME) ? [GNU_TIME, '-f', '%U %S', '-o', timeFile, ...c.argv] : c.argv;
    const t0 = process.hrtime.bigint();
    const r = spawnSync(argv[0], argv.slice(1), { env, encoding: 'utf8' });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) {
      process.stderr.write(`${c.name}: exit ${r.status}\n${r.stderr}`);
      process.exit(1);
    }
    times.push(ms);
    if (existsSync(GNU_TIME)) cpu.push(readFileSync(timeFile, 'utf8').trim().split(/\s+/).reduce((n, x) => n + Number(x) * 1000, 0));
  }
  times.sort((a, b) => a - b);
  results.push({ command: c.name, runs: RUNS, min_ms: +times[0].toFixed(1), median_ms: +times[Math.floor(RUNS / 2)].toFixed(1), max_ms: +times[RUNS - 1].toFixed(1), cpu_median_ms: cpu.length ? Math.round(median(cpu)) : undefined });
}
rmSync(scratch, { recursive: true, force: true });
const width = Math.max(...results.map((r) => r.command.length));
process.stdout.write(`${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${process.version}, ${RUNS} runs each\n`);
process.stdout.write(`${'command'.padEnd(width)}  min ms  median ms  max ms  CPU median ms\n`);
for (const r of results) {
  process.stdout.write(`${r.command.padEnd(width)}  ${String(r.min_ms).padStart(6)}  ${String(r.median_ms).padStart(9)}  ${String(r.max_ms).padStart(6)}  ${String(r.cpu_median_ms ?? '-').padStart(13)}\n`);
}
