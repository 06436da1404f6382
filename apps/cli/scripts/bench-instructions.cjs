#!/usr/bin/env node
// Instructions executed by a start of the installed hwnas bin, counted by valgrind (callgrind):
// `npm run bench:instructions [-- --baseline DIR] [-- --strategy NAME]`.
// On a machine shared with other work, wall and even CPU times of the same command vary by a
// third from run to run; the number of instructions executed (all threads, V8's compiler and
// garbage collector included) varies by a few per cent (when V8's background compiles finish
// differs), so a change of 5 % or more can be told from noise with one or two runs of each. It is no substitute
// for bench-startup.cjs's times (an instruction is not a fixed time), only a steadier comparison.
// Each command runs once unmeasured first (so that the bundle's V8 code cache and the table cache
// are in place, as for any start after the first), then once under valgrind (about 30 s each).
// --baseline DIR also counts DIR/apps/cli/bin/hwnas.js (another built checkout of hwnas); its
// table cache goes to an empty directory of its own, so that it does not read a cache a newer
// build wrote.
'use strict';
const { spawnSync } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..', '..', '..');
const option = (name) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const strategy = option('--strategy') ?? 'fox-nas';
const SEARCH = ['search', '--space', 'nb201', '--dataset', 'cifar10', '--strategy', strategy, '--budget', '300', '--constraint', 'raspi4_latency<=15.72'];
if (spawnSync('valgrind', ['--version']).status !== 0) {
  process.stderr.write('bench-instructions: needs valgrind on the PATH (Debian: apt-get install valgrind)\n');
  process.exit(2);
}
const scratch = mkdtempSync(path.join(tmpdir(), 'hwnas-bench-instructions-'));
const bins = [{ label: '', bin: path.join(REPO, 'apps', 'cli', 'bin', 'hwnas.js'), env: {} }];
const baseline = option('--baseline');
if (baseline) bins.unshift({ label: 'baseline: ', bin: path.join(path.resolve(baseline), 'apps', 'cli', 'bin', 'hwnas.js'), env: { HWNAS_CACHE_DIR: path.join(scratch, 'baseline-cache') } });
const cases = [{ name: 'node -e 0', argv: ['-e', '0'], env: {} }];
for (const b of bins) {
  cases.push({ name: `${b.label}hwnas --help`, argv: [b.bin, '--help'], env: b.env });
  cases.push({ name: `${b.label}hwnas search (nb201 cifar10, ${strategy}, budget 300, raspi4_latency<=15.72)`, argv: [b.bin, ...SEARCH], env: b.env });
}
const out = path.join(scratch, 'callgrind.out');
const rows = [];
for (const c of cases) {
  const env = { ...process.env, HWNAS_CLI: 'bundle', ...c.env };
  const warm = spawnSync(process.execPath, c.argv, { env, encoding: 'utf8' });
  if (warm.status !== 0) {
    process.stderr.write(`${c.name}: exit ${warm.status}\n${warm.stderr}`);
    process.exit(1);
  }
  // --smc-check: V8 writes and runs machine code on its heap.
  const r = spawnSync('valgrind', ['--tool=callgrind', '--smc-check=all-non-file', `--callgrind-out-file=${out}`, process.execPath, ...c.argv], { env, encoding: 'utf8' });
  const total = /^summary:\s+(\d+)/m.exec(readFileSync(out, 'utf8'));
  if (r.status !== 0 || !total) {
    process.stderr.write(`${c.name}: valgrind exit ${r.status}\n${r.stderr.slice(-2000)}`);
    process.exit(1);
  }
  rows.push({ name: c.name, millions: Number(total[1]) / 1e6 });
}
rmSync(scratch, { recursive: true, force: true });
const width = Math.max(...rows.map((r) => r.name.length));
process.stdout.write(`${process.version}, instructions executed (all threads), millions\n`);
for (const r of rows) process.stdout.write(`${r.name.padEnd(width)}  ${r.millions.toFixed(0).padStart(6)}\n`);
