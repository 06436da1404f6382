/**
 * Search outputs to compare across a change that must not alter results (a faster solver, a new
 * table-cache format, a different bundle):
 *
 *   npm run check:outputs -- --out DIR [--compare DIR] [--data DIR]
 *
 * Writes one file per search to --out:
 * - every table strategy with seeds 0 and 101 on NAS-Bench-201 (cifar10, `raspi4_latency<=15.72`,
 *   budget 300), through the built bin (`HWNAS_CLI=bundle node_modules/.bin/hwnas search ...
 *   --json --history --explain`), so the bundle, the data pack and its table cache are all on the path;
 * - two FBNet searches in-process over the FBNet lookup tables (the CLI would add the NASWOT proxy,
 *   minutes of ONNX Runtime per search): fox-nas on one cost objective under a constraint, and
 *   nsga2 on two cost objectives; the full run record (every told trial) as JSON.
 * With --compare DIR (an earlier --out), lists every file that differs or is missing and exits 1
 * when any does. The files hold no timings, so two runs of the same code are byte-identical.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Benchmark, costMetricInfo, fbnetSpace } from '@hwnas/bench-core';
import { createProblem, createStrategy, runInProcess, STRATEGY_NAMES, tabularSource } from '@hwnas/search';

const { values } = parseArgs({ options: { out: { type: 'string' }, compare: { type: 'string' }, data: { type: 'string' } } });
if (!values.out) {
  process.stderr.write('search-outputs: --out DIR is required\n');
  process.exit(2);
}
const out = path.resolve(values.out);
mkdirSync(out, { recursive: true });
const REPO = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(REPO, 'node_modules', '.bin', 'hwnas');
const dataArgs = values.data ? ['--data', values.data] : [];

for (const strategy of STRATEGY_NAMES) {
  for (const seed of [0, 101]) {
    const argv = ['search', '--space', 'nb201', '--dataset', 'cifar10', '--strategy', strategy, '--budget', '300', '--seed', String(seed)];
    argv.push('--constraint', 'raspi4_latency<=15.72', '--json', '--history', '--explain', ...dataArgs);
    const r = spawnSync(BIN, argv, { env: { ...process.env, HWNAS_CLI: 'bundle' }, encoding: 'utf8', maxBuffer: 1 << 28 });
    if (r.status !== 0) {
      process.stderr.write(`search-outputs: hwnas ${argv.join(' ')}: exit ${r.status}\n${r.stderr}`);
      process.exit(1);
    }
    writeFileSync(path.join(out, `nb201-${strategy}-seed${seed}.json`), r.stdout);
  }
}

const bench = Benchmark.open({ dataDir: values.data });
const fbnetRuns = [
  { name: 'fbnet-fox-nas-seed0', strategy: 'fox-nas', seed: 0, objectives: ['edgegpu_latency:min'], constraints: ['raspi4_latency<=20'] },
  { name: 'fbnet-nsga2-seed101', strategy: 'nsga2', seed: 101, objectives: ['raspi4_latency:min', 'edgegpu_energy:min'], constraints: [] },
];
for (const run of fbnetRuns) {
  const metrics = ['edgegpu_latency', 'edgegpu_energy', 'raspi4_latency'].map((m) => costMetricInfo(m));
  const problem = createProblem({ objectives: run.objectives, constraints: run.constraints }, metrics);
  const strategy = createStrategy(run.strategy, { space: fbnetSpace, problem, seed: run.seed });
  const result = runInProcess(strategy, fbnetSpace, problem, tabularSource(bench, fbnetSpace, 'cifar100'), { budget: 300 });
  writeFileSync(path.join(out, `${run.name}.json`), `${JSON.stringify(result)}\n`);
}
process.stderr.write(`search-outputs: ${STRATEGY_NAMES.length * 2 + fbnetRuns.length} searches written to ${out}\n`);

if (values.compare) {
  const before = path.resolve(values.compare);
  const names = new Set([...readdirSync(out), ...readdirSync(before)]);
  const differ = [...names].sort().filter((n) => !existsSync(path.join(before, n)) || !existsSync(path.join(out, n)) || !readFileSync(path.join(before, n)).equals(readFileSync(path.join(out, n))));
  for (const n of differ) process.stdout.write(`differs: ${n}\n`);
  process.stdout.write(`${names.size - differ.length} of ${names.size} outputs identical to ${before}\n`);
  if (differ.length > 0) process.exit(1);
}
