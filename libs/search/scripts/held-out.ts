/**
 * Held-out check of a strategy on task C (or P) of bench/TASKS.md: seeds other than the
 * benchmark's 0..29 and latency columns other than the HW-NAS-Bench table's (the 13 measured
 * device settings of device-latency/nb201-devices.json, HELP), so that a strategy tuned on the
 * benchmark's own seeds and devices shows whether it generalises. Prints one line per device.
 *
 *   node --import tsx libs/search/scripts/held-out.ts --strategy gp-bo
 *        [--devices raspi4_latency,silver_4114,...] [--seeds 100-129] [--budget 100] [--task C]
 *        [--options '{"incumbents":10}'] [--data DIR]
 */
import { parseArgs } from 'node:util';
import { ACCURACY_METRICS, Benchmark, costMetricInfo, knownDevices, loadDeviceLatency, nb201Space, resolveDataDir } from '@hwnas/bench-core';
import { columnSource, createProblem, createStrategy, hvOf, regretOf, runInProcess, taskC, taskP } from '../src/index';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    strategy: { type: 'string', default: 'gp-bo' },
    devices: { type: 'string', default: 'raspi4_latency,pixel3_latency,silver_4114,gold_6240,samsung_a50,titanx_32' },
    seeds: { type: 'string', default: '100-129' },
    budget: { type: 'string', default: '100' },
    task: { type: 'string', default: 'C' },
    options: { type: 'string', default: '{}' },
  },
});
const dataDir = resolveDataDir(values.data);
const [s0, s1] = values.seeds!.split('-').map(Number);
const budget = Number(values.budget);
const task = values.task === 'P' ? 'P' : 'C';
const options = JSON.parse(values.options!) as Record<string, string | number | boolean>;
const bench = Benchmark.open({ dataDir });
const tables = bench.nb201;
const accuracy = tables.column('cifar10', 'accuracy');
// Through bench-core's loader, so that the data pack serves the file when no directory is given.
const help = loadDeviceLatency(dataDir, 'nb201');

for (const device of values.devices!.split(',')) {
  const table = device.endsWith('_latency');
  const cost: ArrayLike<number> = table ? tables.column('cifar10', device) : knownDevices(help, [device])[0].latencyMs;
  const metric = table ? device : `${device}_latency`;
  const infos = [ACCURACY_METRICS.find((m) => m.name === 'accuracy')!, costMetricInfo(metric)];
  const source = columnSource({ accuracy, [metric]: cost }, (a) => tables.indexOf(a));
  const infoC = taskC(accuracy, cost);
  const infoP = taskP(accuracy, cost);
  const problem =
    task === 'C'
      ? createProblem({ objectives: ['accuracy:max'], constraints: [{ metric, bound: infoC.threshold }] }, infos)
      : createProblem({ objectives: ['accuracy:max', `${metric}:min`] }, infos);
  const results: number[] = [];
  const c0 = process.cpuUsage();
  for (let seed = s0; seed <= s1; seed++) {
    const run = runInProcess(createStrategy(values.strategy!, { space: nb201Space, problem, seed }, options), nb201Space, problem, source, { budget });
    const indices = run.evaluated.map((e) => tables.indexOf(e.arch));
    results.push(task === 'C' ? regretOf(infoC, accuracy, cost, indices).regret : hvOf(infoP, accuracy, cost, indices).gap);
  }
  const u = process.cpuUsage(c0);
  const mean = results.reduce((a, b) => a + b, 0) / results.length;
  const what = task === 'C' ? 'regret' : 'HV gap';
  console.log(`${values.strategy} ${values.options} ${device} task ${task} N=${budget} seeds ${s0}..${s1}: mean ${what} ${mean.toFixed(4)}, worst ${Math.max(...results).toFixed(4)}, CPU ${((u.user + u.system) / 1000 / results.length).toFixed(0)} ms/run`);
}
