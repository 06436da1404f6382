/**
 * Held-out check of a strategy on task C (or P) of bench/TASKS.md: seeds other than the
 * benchmark's 0..29 and latency columns other than the HW-NAS-Bench table's (the 13 measured
 * device settings of device-latency/nb201-devices.json, HELP), so that a strategy tuned on the
 * benchmark's own seeds and devices shows whether it generalises. Prints one line per device.
 * `--help` prints the usage.
 */
import { ACCURACY_METRICS, Benchmark, costMetricInfo, loadDeviceLatency, nb201Space, resolveDataDir } from '@hwnas/bench-core';
import { columnSource, createProblem, createStrategy, hvOf, regretOf, runInProcess, STRATEGY_NAMES, taskC, taskP } from '../src/index';
import { latencyColumn, parseStrategyRunFlags, runScript, scriptArgs, ScriptUsageError } from './script-args';

const DEFAULT_DEVICES = 'raspi4_latency,pixel3_latency,silver_4114,gold_6240,samsung_a50,titanx_32';
const USAGE = `node --import tsx libs/search/scripts/held-out.ts [--strategy gp-bo] [--devices LIST] [--seeds 100-129]
        [--budget 100] [--task C|P] [--options JSON] [--per-seed] [--data DIR]

  Runs a strategy on task C (max accuracy, latency <= the device's 25th percentile; mean regret)
  or task P (accuracy vs latency; mean HV gap) of NAS-Bench-201 CIFAR-10 for each device and seed,
  and prints one line per device: mean, worst seed, CPU per run.

  --strategy  one of ${STRATEGY_NAMES.join(', ')} (default gp-bo)
  --devices   comma-separated: latency columns of the table (raspi4_latency, pixel3_latency) or
              HELP's measured devices (device-latency/nb201-devices.json); default
              ${DEFAULT_DEVICES}
  --seeds     FIRST-LAST, inclusive (default 100-129, the held-out seeds)
  --budget    distinct evaluations per run (default 100)
  --task      C or P (default C)
  --options   the strategy's options as a JSON object, e.g. '{"incumbents":10}' (default {})
  --per-seed  also print each seed's value (one line per device, seeds in order), for paired
              comparisons of two variants
  --data      the benchmark data directory (default: HWNAS_DATA or the data pack)`;

const values = scriptArgs(USAGE, {
  data: { type: 'string' },
  strategy: { type: 'string', default: 'gp-bo' },
  devices: { type: 'string', default: DEFAULT_DEVICES },
  seeds: { type: 'string', default: '100-129' },
  budget: { type: 'string', default: '100' },
  task: { type: 'string', default: 'C' },
  options: { type: 'string', default: '{}' },
  'per-seed': { type: 'boolean', default: false },
});

void runScript(USAGE, () => {
  const { strategy, firstSeed: s0, lastSeed: s1, budget, options, devices } = parseStrategyRunFlags(values);
  if (values.task !== 'C' && values.task !== 'P') throw new ScriptUsageError(`--task must be C or P, got "${values.task}"`);
  const task = values.task;

  const dataDir = resolveDataDir(values.data);
  const bench = Benchmark.open({ dataDir });
  const tables = bench.nb201;
  const accuracy = tables.column('cifar10', 'accuracy');
  // Through bench-core's loader, so that the data pack serves the file when no directory is given.
  const help = loadDeviceLatency(dataDir, 'nb201');
  // Every device is looked up before the first run, so that a typo fails at once.
  const columns = devices.map((device) => ({ device, ...latencyColumn(tables, help, device) }));

  for (const { device, metric, cost } of columns) {
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
      const run = runInProcess(createStrategy(strategy, { space: nb201Space, problem, seed }, options), nb201Space, problem, source, { budget });
      const indices = run.evaluated.map((e) => tables.indexOf(e.arch));
      results.push(task === 'C' ? regretOf(infoC, accuracy, cost, indices).regret : hvOf(infoP, accuracy, cost, indices).gap);
    }
    const u = process.cpuUsage(c0);
    const mean = results.reduce((a, b) => a + b, 0) / results.length;
    const what = task === 'C' ? 'regret' : 'HV gap';
    console.log(`${strategy} ${values.options} ${device} task ${task} N=${budget} seeds ${s0}..${s1}: mean ${what} ${mean.toFixed(5)}, worst ${Math.max(...results).toFixed(4)}, CPU ${((u.user + u.system) / 1000 / results.length).toFixed(0)} ms/run`);
    if (values['per-seed']) console.log(`  per seed: ${results.map((r) => r.toFixed(5)).join(' ')}`);
  }
});
