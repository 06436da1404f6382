/**
 * The cost model on a real device: this machine's CPU (the host-cpu backend, ONNX Runtime, one
 * thread). Measures a fixed-seed sample of NAS-Bench-201 CIFAR-10 cells and HELP's ten probe cells,
 * then:
 * - calibrates with K = 10 probe cells and with K = 10 random cells (several seeds, measured on
 *   demand), and scores each model over the sample (cells it was calibrated on left out):
 *   Spearman, Kendall and MAPE of the mixture alone (FittedCostModel) and of the screen a search
 *   uses (mixture + residual GP, calibrationScreen), against MACs alone (ranks as they are; MAPE
 *   after a least-squares line a + b * MACs fitted on the same K cells);
 * - re-measures the first `--repeat` cells of the sample at the end: the relative difference
 *   between two measurements of the same cell is the noise any model has to live with;
 * - runs cost-first screened searches (task C: max accuracy s.t. hostcpu_latency <= the 25th
 *   percentile of the measured sample; the probe calibration) and reports device measurements
 *   per cost query, and whether the same search with every cost measured (unless `--no-full`)
 *   finds the same best architecture. Every architecture is measured on the device at most once per process: a
 *   search reuses what the sample or an earlier search measured (the measurement is the device's
 *   answer; measuring it again would only redraw the noise).
 *
 *   node --import tsx libs/cost-model/scripts/host-cpu-calibration.ts [--data DIR] [--sample 300] [--sample-seed 100]
 *     [--random-seeds 5] [--repeat 20] [--search-seeds 3] [--budget 100] [--strategies rea,random] [--z 2]
 *     [--threads 1] [--repeats 30] [--no-full]
 */
import { cpus, loadavg } from 'node:os';
import { ACCURACY_METRICS, Benchmark, costMetricInfo, nb201Space } from '@hwnas/bench-core';
import type { Arch } from '@hwnas/bench-core';
import { createBackend, deviceSearchMetric } from '@hwnas/device-backends';
import { createProblem, createStrategy } from '@hwnas/search';
import { quantile } from '@hwnas/onnx';
import { calibrateWith, calibrationScreen, FittedCostModel, kendallTau, loadEvalSpace, MACS_REFERENCE, mape, median, runScreenedSearch, sampleRows, spearman, calibrationReferences } from '../src/index';
import type { CalibrationFile } from '../src/index';
import { scriptFlags } from './script-flags';

const USAGE = `node --import tsx libs/cost-model/scripts/host-cpu-calibration.ts [--data DIR] [--sample 300] [--sample-seed 100]
    [--random-seeds 5] [--repeat 20] [--search-seeds 3] [--budget 100] [--strategies rea,random] [--z 2]
    [--threads 1] [--repeats 30] [--no-full]

  Calibrates the cost model on this machine's CPU (host-cpu) and scores it against MACs over a
  measured sample of NB201 cells; then screened cost-first searches against full measurement.`;
const num = { type: 'string' } as const;
const flags = scriptFlags(USAGE, {
  sample: num,
  'sample-seed': num,
  'random-seeds': num,
  repeat: num,
  'search-seeds': num,
  budget: num,
  strategies: num,
  z: num,
  threads: num,
  repeats: num,
  'no-full': { type: 'boolean' },
});
const dataDir = flags.dataDir();
const sampleSize = flags.number('sample', 300);
/** Seed of the scored sample: apart from the random calibrations' seeds 0, 1, ..., which draw with the same generator. */
const sampleSeed = flags.number('sample-seed', 100);
const randomSeeds = flags.number('random-seeds', 5);
const repeatCount = flags.number('repeat', 20);
const searchSeeds = flags.number('search-seeds', 3);
const budget = flags.number('budget', 100);
const strategies = flags.list('strategies', 'rea,random');
const z = flags.number('z', 2);
const threads = flags.number('threads', 1);
const repeats = flags.number('repeats', 30);
/** Also run each search with every cost measured, to compare results. */
const full = !flags.has('no-full');
const K = 10;
const DEVICE = 'host-cpu';
const METRIC = deviceSearchMetric(DEVICE, 'latency_ms');

interface Measured {
  readonly latencyMs: number;
  readonly unstable: boolean;
}

async function main(): Promise<void> {
  const wall0 = performance.now();
  const load0 = loadavg()[0];
  const bench = Benchmark.open({ dataDir });
  const tables = bench.nb201;
  const data = loadEvalSpace(dataDir, 'nb201');
  const rowOf = (arch: Arch): number => tables.indexOf(arch);
  for (const r of [0, 1, 777, 15624]) if (rowOf(data.archs[r]) !== r) throw new Error(`row order of the device-latency table and the NB201 index differ at ${r}`);
  const backend = createBackend(DEVICE, { dataDir, hostCpu: { threads, repeats } });

  /** Every device measurement of this run, by row: each architecture is measured once. */
  const byRow = new Map<number, Measured>();
  let measureSeconds = 0;
  const measureOnce = async (row: number): Promise<Measured> => {
    const t0 = performance.now();
    const m = await backend.measure({ space: 'nb201', dataset: 'cifar10', arch: data.archs[row] }, new AbortController().signal);
    measureSeconds += (performance.now() - t0) / 1000;
    return { latencyMs: m.metrics.latency_ms, unstable: m.method.unstable === true };
  };
  const measureRow = async (row: number): Promise<number> => {
    let m = byRow.get(row);
    if (!m) {
      m = await measureOnce(row);
      byRow.set(row, m);
    }
    return m.latencyMs;
  };

  const probe = data.table.probeIndex ?? [];
  const sample = sampleRows(data.table.size, sampleSize, sampleSeed);
  for (const row of probe) await measureRow(row);
  for (const [i, row] of sample.entries()) {
    await measureRow(row);
    if ((i + 1) % 50 === 0) console.error(`measured ${i + 1}/${sample.length} sample cells (${measureSeconds.toFixed(0)} s on the device)`);
  }
  const truth = sample.map((r) => byRow.get(r)!.latencyMs);
  const unstable = sample.filter((r) => byRow.get(r)!.unstable).length;

  // The noise: the same cells measured again, minutes later.
  const again = sample.slice(0, repeatCount);
  const relDiffs: number[] = [];
  for (const row of again) {
    const second = await measureOnce(row);
    relDiffs.push(Math.abs(second.latencyMs - byRow.get(row)!.latencyMs) / byRow.get(row)!.latencyMs);
  }
  const relSorted = Float64Array.from(relDiffs).sort();

  const macs = data.computed.find((c) => c.name === MACS_REFERENCE)!.values;
  const measureArch = (arch: Arch) => measureRow(rowOf(arch));
  const calibrations: { name: string; calibration: CalibrationFile }[] = [
    { name: 'K = 10, probe cells', calibration: await calibrateWith(DEVICE, measureArch, data, { samples: K }) },
  ];
  for (let seed = 0; seed < randomSeeds; seed++) {
    calibrations.push({ name: `K = 10, random cells (seed ${seed})`, calibration: await calibrateWith(DEVICE, measureArch, data, { samples: K, seed, probeCells: false }) });
  }
  const refs = calibrationReferences(data);

  interface Score {
    readonly spearman: number;
    readonly kendall: number;
    readonly mape: number;
  }
  const score = (pred: ArrayLike<number>, actual: ArrayLike<number>): Score => ({ spearman: spearman(pred, actual), kendall: kendallTau(pred, actual), mape: mape(pred, actual) });
  const modelRows: { name: string; scored: number; mixture: Score; screen: Score; macs: Score; top: string }[] = [];
  for (const { name, calibration } of calibrations) {
    const used = new Set(calibration.measured.map((m) => m.row));
    const rows = sample.filter((r) => !used.has(r));
    const actual = Float64Array.from(rows, (r) => byRow.get(r)!.latencyMs);
    const mixture = FittedCostModel.fromJSON(calibration.model).predictRows(refs).mean;
    const screen = calibrationScreen(calibration, data);
    // MACs alone: a + b * MACs, least squares on the same K cells (the constant is the CPU's per-inference overhead).
    const xs = calibration.measured.map((m) => macs[m.row]);
    const ys = calibration.measured.map((m) => m.value);
    const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
    const my = ys.reduce((a, b) => a + b, 0) / ys.length;
    const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
    const b = sxx > 0 ? xs.reduce((a, x, i) => a + (x - mx) * (ys[i] - my), 0) / sxx : 0;
    const a = my - b * mx;
    const weights = [...calibration.model.terms].sort((p, q) => q.weight - p.weight).slice(0, 3);
    modelRows.push({
      name,
      scored: rows.length,
      mixture: score(Float64Array.from(rows, (r) => mixture[r]), actual),
      screen: score(Float64Array.from(rows, (r) => screen.predict(r).mean), actual),
      macs: { ...score(Float64Array.from(rows, (r) => macs[r]), actual), mape: mape(Float64Array.from(rows, (r) => Math.max(1e-9, a + b * macs[r])), actual) },
      top: weights.map((t) => `${t.name} ${(100 * t.weight).toFixed(0)} %`).join(', '),
    });
    console.error(`${name}: ${JSON.stringify(modelRows.at(-1))}`);
  }

  // Cost-first screened search, task C on the measured sample's 25th percentile.
  const bound = quantile(Float64Array.from(truth).sort(), 0.25);
  const accuracy = tables.column('cifar10', 'accuracy');
  const infos = [ACCURACY_METRICS.find((m) => m.name === 'accuracy')!, costMetricInfo(METRIC)];
  const problem = createProblem({ objectives: ['accuracy:max'], constraints: [{ metric: METRIC, bound }], costFirst: true }, infos);
  const probeCalibration = calibrations[0].calibration;
  const searchRows: { strategy: string; seed: number; costQueries: number; deviceMeasurements: number; fullMeasurements?: number; sameBest?: boolean; bestMeasured: boolean; bestFeasible: boolean; bestAccuracy: number }[] = [];
  for (const strategy of strategies) {
    for (let seed = 0; seed < searchSeeds; seed++) {
      const screen = calibrationScreen(probeCalibration, data, { bounds: [bound], z });
      const evaluate = (arch: Arch) => ({ accuracy: accuracy[rowOf(arch)] });
      const run = await runScreenedSearch(createStrategy(strategy, { space: nb201Space, problem, seed }, {}), nb201Space, problem, { metric: METRIC, measure: measureArch, rowOf, evaluate, screen }, { budget });
      const reference = full ? await runScreenedSearch(createStrategy(strategy, { space: nb201Space, problem, seed }, {}), nb201Space, problem, { metric: METRIC, measure: measureArch, rowOf, evaluate }, { budget }) : undefined;
      const best = run.best?.metrics;
      searchRows.push({
        strategy,
        seed,
        costQueries: run.costQueries,
        deviceMeasurements: run.deviceMeasurements,
        ...(reference ? { fullMeasurements: reference.deviceMeasurements, sameBest: reference.best?.key === run.best?.key } : {}),
        bestMeasured: best?.[`${METRIC}_measured`] === 1,
        bestFeasible: best !== undefined && best[METRIC] <= bound,
        bestAccuracy: best?.accuracy ?? NaN,
      });
      console.error(JSON.stringify(searchRows.at(-1)));
    }
  }
  await backend.close();

  const f3 = (x: number) => x.toFixed(3);
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const wallSeconds = (performance.now() - wall0) / 1000;
  const lines = [
    `host-cpu: ${process.arch}, ${cpus()[0]?.model?.trim()}, ${cpus().length} cores; ONNX Runtime ${threads} thread(s), median of ${repeats} runs; ${byRow.size} distinct cells measured in ${measureSeconds.toFixed(0)} s of device time; wall ${wallSeconds.toFixed(0)} s; load average ${load0.toFixed(1)} -> ${loadavg()[0].toFixed(1)}`,
    '',
    `Sample: ${sample.length} NB201 CIFAR-10 cells (seed ${sampleSeed}), latency median ${median(truth).toFixed(3)} ms, range ${Math.min(...truth).toFixed(3)}-${Math.max(...truth).toFixed(3)} ms; ${unstable} flagged unstable (p90/p50 spread > 5 % after retries).`,
    `Noise: ${again.length} cells measured twice: |difference| / first median ${pct(quantile(relSorted, 0.5))}, 90th percentile ${pct(quantile(relSorted, 0.9))}, max ${pct(relSorted[relSorted.length - 1])}.`,
    '',
    '| calibration | cells scored | Spearman model / screen / MACs | Kendall model / screen / MACs | MAPE model / screen / MACs line | closest references |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
    ...modelRows.map((r) => `| ${r.name} | ${r.scored} | ${f3(r.mixture.spearman)} / ${f3(r.screen.spearman)} / ${f3(r.macs.spearman)} | ${f3(r.mixture.kendall)} / ${f3(r.screen.kendall)} / ${f3(r.macs.kendall)} | ${pct(r.mixture.mape)} / ${pct(r.screen.mape)} / ${pct(r.macs.mape)} | ${r.top} |`),
    '',
    `Screened search, task C: max accuracy s.t. ${METRIC} <= ${bound.toFixed(3)} ms (25th percentile of the sample), budget ${budget}, z = ${z}, probe calibration:`,
    '',
    '| strategy | seed | cost queries | device measurements | measured / queries | measured, every cost measured | same best as every cost measured | best measured | best accuracy |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...searchRows.map(
      (r) =>
        `| ${r.strategy} | ${r.seed} | ${r.costQueries} | ${r.deviceMeasurements} | ${f3(r.deviceMeasurements / r.costQueries)} | ${r.fullMeasurements ?? '-'} | ${r.sameBest === undefined ? '-' : r.sameBest ? 'yes' : 'no'} | ${r.bestMeasured && r.bestFeasible ? 'yes, within the bound' : 'no'} | ${r.bestAccuracy.toFixed(2)} |`,
    ),
  ];
  console.log(lines.join('\n'));
  console.log(JSON.stringify({ bound, relDiffs, models: modelRows, searches: searchRows }));
}

void main();
