/**
 * Cost-first screening as a cluster runs it: the runtime's coordinator (the code of
 * `apps/coordinator`) over the in-memory queue, journal and workers, each device reached through
 * a device client, and the calibration served by `storedCostModels` (on a cluster it is read from
 * the JetStream bucket; here from memory). For each device (replay raspi4 and pixel3, NB201
 * CIFAR-10; pixel3 is left out of the references so that it is as new as raspi4) it calibrates
 * with K measurements (HELP's probe cells), then for each strategy and seed submits the same
 * task-C search twice, with `maxInFlight` evaluations in flight (ordered):
 * - full measurement: `devices: [device]`, every cost measured on the device;
 * - screened: the same with `costModel: { device, z }`.
 * Counts the distinct architectures each run measured on the device (the screened count includes
 * the K calibration measurements) and whether both runs end on the same best architecture.
 *
 *   node --import tsx libs/cost-model/scripts/bench-cluster-screening.ts --help
 */
import { loadavg } from 'node:os';
import { Benchmark, nb201Space } from '@hwnas/bench-core';
import { createBackend, InProcessDevices } from '@hwnas/device-backends';
import { createTableSearchFactory, startEmbedded, TableTrialEvaluator } from '@hwnas/runtime';
import type { EvaluatedArch } from '@hwnas/runtime';
import { taskC } from '@hwnas/search';
import { calibrateDevice, loadEvalSpace, storedCostModels } from '../src/index';
import type { CalibrationFile } from '../src/index';
import { scriptFlags } from './script-flags';

const USAGE = `node --import tsx libs/cost-model/scripts/bench-cluster-screening.ts [--data DIR] [--seeds 5] [--seed-start 0] [--budget 100]
    [--z 2] [--conformal LEVEL] [--samples 10] [--in-flight 4] [--devices raspi4,pixel3] [--strategies random,rea]

  Task-C searches on an embedded cluster, each with every cost measured and screened by the
  calibrated cost model (see the comment at the top of this file).`;
const flags = scriptFlags(USAGE, {
  seeds: { type: 'string' },
  'seed-start': { type: 'string' },
  budget: { type: 'string' },
  z: { type: 'string' },
  conformal: { type: 'string' },
  samples: { type: 'string' },
  'in-flight': { type: 'string' },
  devices: { type: 'string' },
  strategies: { type: 'string' },
});
const dataDir = flags.dataDir();
const seeds = flags.number('seeds', 5);
const seedStart = flags.number('seed-start', 0);
const budget = flags.number('budget', 100);
const z = flags.number('z', 2);
const conformal = flags.has('conformal') ? flags.number('conformal', 0.95) : undefined;
const samples = flags.number('samples', 10);
const inFlight = flags.number('in-flight', 4);
const devices = flags.list('devices', 'raspi4,pixel3');
const strategies = flags.list('strategies', 'random,rea');

const load0 = loadavg()[0];
const bench = Benchmark.open({ dataDir });
const tables = bench.nb201;
const data = loadEvalSpace(dataDir, 'nb201');
const accuracy = tables.column('cifar10', 'accuracy');

interface Row {
  readonly device: string;
  readonly strategy: string;
  readonly seed: number;
  readonly same: boolean;
  readonly accuracyDelta: number;
  readonly fullMeasured: number;
  readonly screenedMeasured: number;
  readonly ratio: number;
  readonly costQueries: number;
  /** Trials told a predicted cost on the other side of the bound than the device's. */
  readonly wrongSide: number;
  readonly seconds: number;
}

/** One search on a fresh embedded cluster; returns its outcome and the distinct architectures the device measured. */
async function runSearch(spec: Record<string, unknown>, calibration: CalibrationFile): Promise<{ best?: EvaluatedArch; trials: readonly EvaluatedArch[]; costQueries: number; measured: number }> {
  const inner = new InProcessDevices(bench);
  const measured = new Set<string>();
  const client = {
    measure: (device: string, req: { space: string; dataset: string; arch: string }, signal?: AbortSignal) => {
      measured.add(req.arch);
      return inner.measure(device, req, signal);
    },
    metrics: (device: string) => inner.metrics(device),
  };
  const costModels = storedCostModels({ dataDir, read: async () => calibration });
  const embedded = await startEmbedded({ factory: createTableSearchFactory(bench, client), evaluator: new TableTrialEvaluator(bench, client), workers: 2, concurrency: 2, costModels });
  try {
    const id = await embedded.coordinator.submit(spec);
    const view = await embedded.coordinator.waitFor(id);
    if (view.state !== 'succeeded') throw new Error(`search ${JSON.stringify(spec)} ended ${view.state}: ${view.finishReason}`);
    return { ...(view.best ? { best: view.best } : {}), trials: embedded.coordinator.trials(id), costQueries: view.counts.costQueries, measured: measured.size };
  } finally {
    await embedded.stop();
    await inner.close();
  }
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const device of devices) {
    const metric = `${device}_latency`;
    const truth = tables.column('cifar10', metric);
    const backend = createBackend(device, { dataDir });
    const calibration = await calibrateDevice(backend, data, { samples, excludeReferences: [device] });
    await backend.close();
    const bound = taskC(accuracy, truth).threshold;
    console.error(`${device}: calibrated on ${calibration.measured.length} cells; bound ${bound.toFixed(4)} ms`);
    for (const strategy of strategies) {
      for (let seed = seedStart; seed < seedStart + seeds; seed++) {
        const spec = { space: 'nb201', dataset: 'cifar10', strategy, budget, seed, mode: 'cost-first', maxInFlight: inFlight, ordering: 'ordered', objectives: ['accuracy'], constraints: [`${metric}<=${bound}`], devices: [device] };
        const t0 = performance.now();
        const full = await runSearch(spec, calibration);
        const screened = await runSearch({ ...spec, costModel: { device, z, ...(conformal !== undefined ? { conformal } : {}) } }, calibration);
        const wrongSide = screened.trials.filter((t) => !t.cached && t.metrics?.[`${metric}_measured`] === 0 && (t.metrics[metric] <= bound) !== (truth[tables.indexOf(nb201Space.parse(t.key))] <= bound)).length;
        const screenedMeasured = screened.measured + calibration.measured.length;
        const row: Row = {
          device,
          strategy,
          seed,
          same: full.best?.key === screened.best?.key,
          accuracyDelta: (screened.best?.metrics?.accuracy ?? 0) - (full.best?.metrics?.accuracy ?? 0),
          fullMeasured: full.measured,
          screenedMeasured,
          ratio: screenedMeasured / full.measured,
          costQueries: screened.costQueries,
          wrongSide,
          seconds: (performance.now() - t0) / 1000,
        };
        if (screened.best && screened.best.metrics?.[`${metric}_measured`] !== 1) throw new Error(`the reported best of ${device} ${strategy} seed ${seed} was not measured`);
        rows.push(row);
        console.error(JSON.stringify(row));
      }
    }
  }
  const groups = new Map<string, Row[]>();
  for (const r of rows) groups.set(`${r.device} | ${r.strategy}`, [...(groups.get(`${r.device} | ${r.strategy}`) ?? []), r]);
  const lines = [
    `task C, budget ${budget} full evaluations, ${seeds} seeds from ${seedStart}, K = ${samples}, z = ${z}${conformal !== undefined ? `, conformal band at ${conformal}` : ''}, ${inFlight} in flight (ordered), 2 workers x 2 slots; load average ${load0.toFixed(1)} -> ${loadavg()[0].toFixed(1)}`,
    '',
    '| device | strategy | same best | best accuracy, screened - full (mean, min) | predicted on the wrong side of the bound (mean) | measured, full (mean) | measured, screened incl. K (mean) | ratio (mean, max) | seconds per pair (mean) |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const [k, rs] of groups) {
    const mean = (f: (r: Row) => number) => rs.reduce((a, r) => a + f(r), 0) / rs.length;
    lines.push(
      `| ${k} | ${rs.filter((r) => r.same).length}/${rs.length} | ${mean((r) => r.accuracyDelta).toFixed(3)}, ${Math.min(...rs.map((r) => r.accuracyDelta)).toFixed(3)} | ${mean((r) => r.wrongSide).toFixed(1)} | ${mean((r) => r.fullMeasured).toFixed(1)} | ${mean((r) => r.screenedMeasured).toFixed(1)} | ${mean((r) => r.ratio).toFixed(3)}, ${Math.max(...rs.map((r) => r.ratio)).toFixed(3)} | ${mean((r) => r.seconds).toFixed(1)} |`,
    );
  }
  console.log(lines.join('\n'));
  console.log(JSON.stringify({ rows }));
}

void main();
