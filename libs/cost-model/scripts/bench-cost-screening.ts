/**
 * Cost-first search on a device known only through its backend, with and without the cost model.
 * For each device (replay raspi4 and pixel3, NAS-Bench-201 CIFAR-10; pixel3 is removed from the
 * references so that it is as new as raspi4): calibrate with K measurements (`calibrateDevice`,
 * HELP's probe cells), then for each strategy and seed run the same search twice:
 * - full measurement: every cost the search needs is measured on the device;
 * - screened: costs are predicted, and the device measures only architectures within z std of
 *   the bound or that could change the result (see runScreenedSearch).
 * Task C: max accuracy s.t. latency <= the device's 25th percentile. Task P: Pareto front of
 * accuracy and latency. `--devices` also takes the 13 known devices of the device-latency table
 * (e.g. silver_4114, samsung_a50; `pixel3` stays HW-NAS-Bench's replay device): the device's column is its measurement, and it is left out of the
 * references (held-out devices). Reports whether the results agree and how many architectures the device
 * measured in each (the screened count includes the K calibration measurements).
 *
 *   node --import tsx libs/cost-model/scripts/bench-cost-screening.ts --help
 */
import { loadavg } from 'node:os';
import { ACCURACY_METRICS, Benchmark, costMetricInfo, nb201Space } from '@hwnas/bench-core';
import type { Arch } from '@hwnas/bench-core';
import { createBackend, REPLAY_DEVICE_IDS } from '@hwnas/device-backends';
import { createProblem, createStrategy, taskC } from '@hwnas/search';
import { archEncoder } from '@hwnas/search/internal';
import type { EvaluatedArch, SearchProblem } from '@hwnas/search';
import { calibrateDevice, calibrateWith, calibrationReferences, CostScreen, loadEvalSpace, runScreenedSearch } from '../src/index';
import { scriptFlags } from './script-flags';


const USAGE = `node --import tsx libs/cost-model/scripts/bench-cost-screening.ts [--data DIR] [--seeds 5] [--budget 100] [--z 2] [--samples 10]
    [--widen] [--conformal LEVEL] [--random-cells] [--no-residual] [--seed-start 0] [--devices raspi4,pixel3]
    [--strategies rea,random] [--tasks C,P] [--option KEY=VALUE ...]

  Cost-first searches with every cost measured and screened by the calibrated cost model (see the
  comment at the top of this file). --devices also takes the known devices of the device-latency table.`;
const flags = scriptFlags(USAGE, {
  seeds: { type: 'string' },
  'seed-start': { type: 'string' },
  budget: { type: 'string' },
  z: { type: 'string' },
  samples: { type: 'string' },
  devices: { type: 'string' },
  strategies: { type: 'string' },
  tasks: { type: 'string' },
  option: { type: 'string', multiple: true },
  widen: { type: 'boolean' },
  conformal: { type: 'string' },
  'random-cells': { type: 'boolean' },
  'no-residual': { type: 'boolean' },
});
const dataDir = flags.dataDir();
const seeds = flags.number('seeds', 5);
/** First seed (100 for the held-out seeds). */
const seedStart = flags.number('seed-start', 0);
const budget = flags.number('budget', 100);
const z = flags.number('z', 2);
const samples = flags.number('samples', 10);
const devices = flags.list('devices', 'raspi4,pixel3');
const strategies = flags.list('strategies', 'rea,random');
const tasks = flags.list('tasks', 'C,P');
/** Strategy options (e.g. screenCandidates=1), numbers where they parse as one. */
const strategyOptions: Record<string, string | number> = flags.strategyOptions();
const widenFromErrors = flags.has('widen');
/** Split-conformal band at this coverage level (CostScreenOptions.conformal). */
const conformal = flags.has('conformal') ? flags.number('conformal', 0.95) : undefined;
/** Calibrate on random cells (seed 0) instead of HELP's probe cells. */
const randomCells = flags.has('random-cells');
/** Correct the predictions with the residual GP over architecture encodings (CostScreenOptions.residualEncoding), as calibrationScreen does; `--no-residual`: the mixture alone. */
const residual = !flags.has('no-residual');

const load0 = loadavg()[0];
const bench = Benchmark.open({ dataDir });
const tables = bench.nb201;
const data = loadEvalSpace(dataDir, 'nb201');
const accuracy = tables.column('cifar10', 'accuracy');
const rowOf = (arch: Arch): number => tables.indexOf(arch);
const encode = archEncoder(nb201Space);
const residualEncoding = residual ? (row: number) => encode(data.archs[row]) : undefined;
for (const r of [0, 1, 777, 15624]) if (rowOf(data.archs[r]) !== r) throw new Error(`row order of the device-latency table and the NB201 index differ at ${r}`);

const keysOf = (items: readonly EvaluatedArch[]): string => items.map((e) => e.key).sort().join(' ');

interface Row {
  device: string;
  task: string;
  strategy: string;
  seed: number;
  same: boolean;
  /** Accuracy of the screened result's best minus the full-measurement run's (task C). */
  accuracyDelta: number;
  fullMeasured: number;
  screenedMeasured: number;
  ratio: number;
  costQueries: number;
  predictedFeasibleWrong: number;
  /** Of those, feasible architectures predicted infeasible (screened out, never evaluated). */
  wronglyRejected: number;
}
async function main(): Promise<void> {
const rows: Row[] = [];
for (const device of devices) {
  const metric = `${device}_latency`;
  // A replay backend when hwnas has one for the device; else one of the 13 known devices of the
  // device-latency table, measured by looking its column up (and left out of the references).
  // HW-NAS-Bench's pixel3 (a replay device) is preferred over HELP's column of the same name.
  const known = (REPLAY_DEVICE_IDS as readonly string[]).includes(device) ? undefined : data.table.devices.find((d) => d.name === device);
  const backend = known ? undefined : createBackend(device, { dataDir });
  const truth = known ? known.latencyMs : tables.column('cifar10', metric);
  let deviceCalls = 0;
  const measure = async (arch: Arch): Promise<number> => {
    deviceCalls++;
    if (!backend) return truth[rowOf(arch)];
    const m = await backend.measure({ space: 'nb201', dataset: 'cifar10', arch }, new AbortController().signal);
    return m.metrics.latency_ms;
  };
  const t0 = performance.now();
  const calibrationOptions = { samples, excludeReferences: [device], probeCells: !randomCells };
  const calibration = backend ? await calibrateDevice(backend, data, calibrationOptions) : await calibrateWith(device, measure, data, calibrationOptions);
  const calibrateSeconds = (performance.now() - t0) / 1000;
  const refs = calibrationReferences(data, [device]);
  const infos = [ACCURACY_METRICS.find((m) => m.name === 'accuracy')!, costMetricInfo(metric)];
  const bound = taskC(accuracy, truth).threshold;
  console.error(`${device}: calibrated on ${calibration.measured.length} cells in ${calibrateSeconds.toFixed(1)} s; bound ${bound.toFixed(3)} ms`);
  for (const task of tasks) {
    const problem: SearchProblem =
      task === 'C'
        ? createProblem({ objectives: ['accuracy:max'], constraints: [{ metric, bound }], costFirst: true }, infos)
        : createProblem({ objectives: ['accuracy:max', `${metric}:min`], costFirst: true }, infos);
    for (const strategy of strategies) {
      for (let seed = seedStart; seed < seedStart + seeds; seed++) {
        const evaluate = (arch: Arch) => ({ accuracy: accuracy[rowOf(arch)] });
        const full = await runScreenedSearch(createStrategy(strategy, { space: nb201Space, problem, seed }, strategyOptions), nb201Space, problem, { metric, measure, rowOf, evaluate }, { budget });
        const screen = new CostScreen(device, refs, calibration.measured, { noiseVariance: calibration.model.noiseVariance, priorVariance: calibration.model.priorVariance, bounds: task === 'C' ? [bound] : [], z, widenFromErrors, ...(residualEncoding ? { residualEncoding } : {}), ...(conformal !== undefined ? { conformal } : {}) });
        const screened = await runScreenedSearch(createStrategy(strategy, { space: nb201Space, problem, seed }, strategyOptions), nb201Space, problem, { metric, measure, rowOf, evaluate, screen }, { budget });
        const same = task === 'C' ? full.best?.key === screened.best?.key : keysOf(full.pareto ?? []) === keysOf(screened.pareto ?? []);
        // Predicted (not measured) costs, of cost queries and evaluations, that put an architecture on the wrong side of the bound.
        let wrong = 0;
        let rejected = 0;
        if (task === 'C') {
          for (const e of screened.trials) {
            const m = e.metrics;
            if (!m || e.cached) continue;
            if (m[`${metric}_measured`] === 0 && (m[metric] <= bound) !== (truth[rowOf(e.arch)] <= bound)) {
              wrong++;
              if (m[metric] > bound) rejected++;
            }
          }
        }
        const screenedMeasured = screened.deviceMeasurements + calibration.measured.length;
        const row: Row = {
          device,
          task,
          strategy,
          seed,
          same,
          accuracyDelta: task === 'C' ? (screened.best?.metrics?.accuracy ?? 0) - (full.best?.metrics?.accuracy ?? 0) : 0,
          fullMeasured: full.deviceMeasurements,
          screenedMeasured,
          ratio: screenedMeasured / full.deviceMeasurements,
          costQueries: screened.costQueries,
          predictedFeasibleWrong: wrong,
          wronglyRejected: rejected,
        };
        rows.push(row);
        console.error(JSON.stringify(row));
      }
    }
  }
  await backend?.close();
  console.error(`${device}: ${deviceCalls} device calls`);
}

const groups = new Map<string, Row[]>();
for (const r of rows) {
  const k = `${r.device} | ${r.task} | ${r.strategy}`;
  groups.set(k, [...(groups.get(k) ?? []), r]);
}
const lines = [
  `budget ${budget} full evaluations, ${seeds} seeds from ${seedStart}, K = ${samples}, z = ${z}${widenFromErrors ? ' (std widened from the errors seen)' : ''}${conformal !== undefined ? `, conformal band at ${conformal}` : ''}${residual ? ', residual GP' : ', no residual GP'}${randomCells ? ', calibrated on random cells' : ", calibrated on HELP's probe cells"}${Object.keys(strategyOptions).length ? `, strategy options ${JSON.stringify(strategyOptions)}` : ''}; load average ${load0.toFixed(1)} -> ${loadavg()[0].toFixed(1)}`,
  '',
  '| device | task | strategy | same result | best accuracy, screened - full (mean, min) | wrong side of the bound (mean; of which wrongly rejected) | measured, full (mean) | measured, screened incl. K (mean) | ratio (mean, max) |',
  '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
];
for (const [k, rs] of groups) {
  const mean = (f: (r: Row) => number) => rs.reduce((a, r) => a + f(r), 0) / rs.length;
  lines.push(
    `| ${k} | ${rs.filter((r) => r.same).length}/${rs.length} | ${mean((r) => r.accuracyDelta).toFixed(3)}, ${Math.min(...rs.map((r) => r.accuracyDelta)).toFixed(3)} | ${mean((r) => r.predictedFeasibleWrong).toFixed(1)}; ${mean((r) => r.wronglyRejected).toFixed(1)} | ${mean((r) => r.fullMeasured).toFixed(1)} | ${mean((r) => r.screenedMeasured).toFixed(1)} | ${mean((r) => r.ratio).toFixed(3)}, ${Math.max(...rs.map((r) => r.ratio)).toFixed(3)} |`,
  );
}
console.log(lines.join('\n'));
console.log(JSON.stringify({ rows }));
}

void main();
