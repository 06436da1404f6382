/**
 * How close to the bound a cost-first search works, i.e. how many of the architectures it measures
 * a screen could leave unmeasured at all. For each device and strategy, runs the search with full
 * measurement (task C: max accuracy s.t. latency <= the device's 25th percentile, NAS-Bench-201
 * CIFAR-10, budget 100) and counts the distinct architectures it measured whose true latency is
 * within 10 % and 20 % of the bound, beside the quarter of the measured count the target allows
 * (calibration included). It also reports the device's own spread between cells with identical
 * reference costs (same MACs and simulator latencies, i.e. the same network up to an isomorphism
 * the simulators cannot tell apart): no model built on those references can be more accurate.
 *
 *   node --import tsx libs/cost-model/scripts/screening-floor.ts --help
 */
import { ACCURACY_METRICS, Benchmark, costMetricInfo, nb201Space } from '@hwnas/bench-core';
import type { Arch } from '@hwnas/bench-core';
import { createProblem, createStrategy, taskC } from '@hwnas/search';
import { loadEvalSpace, runScreenedSearch } from '../src/index';
import { scriptFlags } from './script-flags';

const USAGE = `node --import tsx libs/cost-model/scripts/screening-floor.ts [--data DIR] [--devices raspi4,pixel3] [--strategies rea,random]
    [--seeds 5] [--seed-start 0] [--option KEY=VALUE ...]

  How many of the cells a fully measured task-C search measures lie near the bound (see the
  comment at the top of this file).`;
const flags = scriptFlags(USAGE, {
  devices: { type: 'string' },
  strategies: { type: 'string' },
  seeds: { type: 'string' },
  'seed-start': { type: 'string' },
  option: { type: 'string', multiple: true },
});
const dataDir = flags.dataDir();
const devices = flags.list('devices', 'raspi4,pixel3');
const strategies = flags.list('strategies', 'rea,random');
const seeds = flags.number('seeds', 5);
const seedStart = flags.number('seed-start', 0);
const strategyOptions: Record<string, string | number> = flags.strategyOptions();
const K = 10;
const tables = Benchmark.open({ dataDir }).nb201;
const data = loadEvalSpace(dataDir, 'nb201');
const accuracy = tables.column('cifar10', 'accuracy');
const rowOf = (arch: Arch): number => tables.indexOf(arch);

/** Quantiles of |latency / group mean - 1| over cells that share their reference costs with another. */
function twinSpread(truth: ArrayLike<number>): number[] {
  const groups = new Map<string, number[]>();
  for (let r = 0; r < data.table.size; r++) {
    const key = data.computed.map((c) => c.values[r].toPrecision(12)).join(',');
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const dev: number[] = [];
  for (const g of groups.values()) {
    if (g.length < 2) continue;
    const mean = g.reduce((a, r) => a + truth[r], 0) / g.length;
    for (const r of g) dev.push(Math.abs(truth[r] / mean - 1));
  }
  dev.sort((a, b) => a - b);
  return [0.5, 0.9, 0.95].map((q) => dev[Math.floor(q * (dev.length - 1))]);
}

async function main(): Promise<void> {
  const lines = [
    `budget 100 full evaluations, seeds ${seedStart}..${seedStart + seeds - 1}${Object.keys(strategyOptions).length ? `, strategy options ${JSON.stringify(strategyOptions)}` : ''}`,
    '',
    '| device | strategy | measured, full (mean) | a quarter, minus K = 10 | measured within 10 % / 20 % of the bound (mean) | evaluated within 10 % / 20 % (mean) | twin spread 50 / 90 / 95 % |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const device of devices) {
    const metric = `${device}_latency`;
    const known = device === 'raspi4' || device === 'pixel3' ? undefined : data.table.devices.find((d) => d.name === device);
    const truth = known ? known.latencyMs : tables.column('cifar10', metric);
    const bound = taskC(accuracy, truth).threshold;
    const spread = twinSpread(truth).map((v) => `${(100 * v).toFixed(1)} %`).join(' / ');
    const problem = createProblem({ objectives: ['accuracy:max'], constraints: [{ metric, bound }], costFirst: true }, [ACCURACY_METRICS.find((m) => m.name === 'accuracy')!, costMetricInfo(metric)]);
    for (const strategy of strategies) {
      let measured = 0;
      const near = [0, 0];
      const nearEvaluated = [0, 0];
      for (let seed = seedStart; seed < seedStart + seeds; seed++) {
        const rows = new Set<number>();
        const run = await runScreenedSearch(
          createStrategy(strategy, { space: nb201Space, problem, seed }, strategy === 'random' ? {} : strategyOptions),
          nb201Space,
          problem,
          { metric, measure: async (a) => (rows.add(rowOf(a)), truth[rowOf(a)]), rowOf, evaluate: (a) => ({ accuracy: accuracy[rowOf(a)] }) },
          { budget: 100 },
        );
        measured += rows.size;
        const within = (r: number, f: number) => Math.abs(truth[r] / bound - 1) <= f;
        [0.1, 0.2].forEach((f, k) => {
          near[k] += [...rows].filter((r) => within(r, f)).length;
          nearEvaluated[k] += run.evaluated.filter((e) => within(rowOf(e.arch), f)).length;
        });
      }
      const m = (x: number) => (x / seeds).toFixed(1);
      lines.push(`| ${device} | ${strategy} | ${m(measured)} | ${(measured / seeds / 4 - K).toFixed(1)} | ${m(near[0])} / ${m(near[1])} | ${m(nearEvaluated[0])} / ${m(nearEvaluated[1])} | ${spread} |`);
    }
  }
  console.log(lines.join('\n'));
}
void main();
