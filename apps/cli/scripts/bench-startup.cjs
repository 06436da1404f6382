#!/usr/bin/env node
// Start-up benchmark of the installed hwnas bin: `npm run bench:startup [-- --runs N] [-- --baseline DIR]`.
// Runs each command N times (default 10) as a fresh process, through node_modules/.bin/hwnas
// exactly as a user would (but without npx, whose own start-up hwnas cannot change), and prints
// the wall time per command (min, median, max in milliseconds) and the median CPU time (user +
// system, from GNU time when /usr/bin/time exists): on a machine shared with other work the wall
// times grow with the load, the CPU times much less. The commands take turns (one run of each per
// round), so that a change of load during the benchmark affects them alike; the 1-minute load
// average is sampled at each round and its range printed.
// `node -e 0` is measured the same way as the floor. HWNAS_CLI=bundle makes the bin refuse to
// fall back to the TypeScript sources, so a stale or missing build fails instead of being timed.
// --baseline DIR also times DIR/apps/cli/bin/hwnas.js (another built checkout of hwnas, e.g. the
// commit before a change) in the same rounds, for a before/after comparison at the same load.
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { cpus, loadavg, tmpdir } = require('node:os');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(REPO, 'node_modules', '.bin', 'hwnas');
const option = (name) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const RUNS = Number(option('--runs') ?? 10);
const BASELINE = option('--baseline');
if (!Number.isInteger(RUNS) || RUNS < 1) {
  process.stderr.write(`bench-startup: --runs must be a positive integer, got ${option('--runs')}\n`);
  process.exit(2);
}

const SEARCH = ['search', '--space', 'nb201', '--dataset', 'cifar10', '--strategy', 'fox-nas', '--budget', '300', '--constraint', 'raspi4_latency<=15.72'];
const hwnasCases = (bin, label) => [
  { name: `${label}--help`, argv: [bin, '--help'] },
  { name: `${label}search (nb201 cifar10, fox-nas, budget 300, raspi4_latency<=15.72)`, argv: [bin, ...SEARCH] },
];
const CASES = [{ name: 'node -e 0', argv: [process.execPath, '-e', '0'] }];
if (BASELINE) {
  const baselineBin = path.join(path.resolve(BASELINE), 'apps', 'cli', 'bin', 'hwnas.js');
  if (!existsSync(baselineBin)) {
    process.stderr.write(`bench-startup: --baseline ${BASELINE}: ${baselineBin} does not exist\n`);
    process.exit(2);
  }
  CASES.push(...hwnasCases(baselineBin, 'baseline: hwnas '));
}
CASES.push(...hwnasCases(BIN, 'hwnas '));

const env = { ...process.env, HWNAS_CLI: 'bundle' };
const GNU_TIME = '/usr/bin/time';
const scratch = mkdtempSync(path.join(tmpdir(), 'hwnas-bench-startup-'));
const timeFile = path.join(scratch, 'time');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const samples = CASES.map(() => ({ wall: [], cpu: [] }));
const loads = [];
for (let round = 0; round < RUNS; round++) {
  loads.push(loadavg()[0]);
  CASES.forEach((c, k) => {
    // GNU time adds a fork and exec of its own (about 1 ms); it is the same for every command.
    const argv = existsSync(GNU_TIME) ? [GNU_TIME, '-f', '%U %S', '-o', timeFile, ...c.argv] : c.argv;
    const t0 = process.hrtime.bigint();
    const r = spawnSync(argv[0], argv.slice(1), { env, encoding: 'utf8' });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) {
      process.stderr.write(`${c.name}: exit ${r.status}\n${r.stderr}`);
      process.exit(1);
    }
    samples[k].wall.push(ms);
    if (existsSync(GNU_TIME)) samples[k].cpu.push(readFileSync(timeFile, 'utf8').trim().split(/\s+/).reduce((n, x) => n + Number(x) * 1000, 0));
  });
}
rmSync(scratch, { recursive: true, force: true });
const results = CASES.map((c, k) => {
  const times = [...samples[k].wall].sort((a, b) => a - b);
  const cpu = samples[k].cpu;
  return { command: c.name, min_ms: +times[0].toFixed(1), median_ms: +median(times).toFixed(1), max_ms: +times[times.length - 1].toFixed(1), cpu_median_ms: cpu.length ? Math.round(median(cpu)) : undefined };
});
const width = Math.max(...results.map((r) => r.command.length));
const range = `${Math.min(...loads).toFixed(2)}-${Math.max(...loads).toFixed(2)}`;
process.stdout.write(`${cpus().length} CPUs, 1-minute load average ${range} during the runs, ${process.version}, ${RUNS} runs each\n`);
process.stdout.write(`${'command'.padEnd(width)}  min ms  median ms  max ms  CPU median ms\n`);
for (const r of results) {
  process.stdout.write(`${r.command.padEnd(width)}  ${String(r.min_ms).padStart(6)}  ${String(r.median_ms).padStart(9)}  ${String(r.max_ms).padStart(6)}  ${String(r.cpu_median_ms ?? '-').padStart(13)}\n`);
}
