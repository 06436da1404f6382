import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Benchmark, costMetricInfo, InvalidArgumentError } from '@hwnas/bench-core';
import type { Arch, Metrics, SearchSpace } from '@hwnas/bench-core';
import { calibrationScreen, DEFAULT_SCREEN_Z, loadEvalSpace, parseCalibration, predictedMetricName, runScreenedSearch } from '@hwnas/cost-model';
import { createBackend } from '@hwnas/device-backends';
import { createProblem, createStrategy, isPareto } from '@hwnas/search';
import type { EvaluatedArch, RawOptionValue } from '@hwnas/search';

/** What `hwnas search --cost-model FILE` runs with (already parsed by the search command). */
export interface CostModelSearchArgs {
  readonly file: string;
  readonly bench: Benchmark;
  readonly space: SearchSpace;
  readonly dataset: string;
  readonly strategy: string;
  readonly strategyOptions: Readonly<Record<string, RawOptionValue>>;
  readonly objectives: readonly string[];
  readonly constraints: readonly string[];
  readonly budget: number;
  readonly seed: number;
  readonly z?: number;
  readonly history: boolean;
}

/** The problem metric of a calibrated device metric: `raspi4` + `latency_ms` -> `raspi4_latency`. */
export function deviceMetricName(device: string, metric: string): string {
  return `${device}_${metric.replace(/_(ms|mj)$/, '')}`;
}

/**
 * A cost-first search whose device cost comes from a calibrated cost model: the device (its
 * backend in this process) measures only the architectures near a constraint's bound or that
 * could change the result; every other cost is the model's prediction, marked as such.
 */
export async function runCostModelSearch(args: CostModelSearchArgs): Promise<Record<string, unknown>> {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(args.file, 'utf8'));
  } catch (e) {
    throw new InvalidArgumentError(`hwnas search: --cost-model ${args.file}: ${(e as Error).message}`);
  }
  const calibration = parseCalibration(doc, path.basename(args.file));
  if (args.space.id !== calibration.space || args.dataset !== calibration.dataset) {
    throw new InvalidArgumentError(`hwnas search: --cost-model ${args.file} predicts ${calibration.space} ${calibration.dataset} networks; the search is on ${args.space.id} ${args.dataset}`);
  }
  const metric = deviceMetricName(calibration.device, calibration.metric);
  const available = args.bench.metrics(args.space, args.dataset);
  const infos = available.some((m) => m.name === metric) ? available : [...available, costMetricInfo(metric)];
  const problem = createProblem({ objectives: args.objectives, constraints: args.constraints, costFirst: true }, infos);
  if (!problem.constraints.some((c) => c.metric === metric) && !problem.objectives.some((o) => o.metric === metric)) {
    throw new InvalidArgumentError(`hwnas search: --cost-model predicts "${metric}", which no --objective or --constraint uses`);
  }
  const dataDir = args.bench.dataDir;
  if (dataDir === undefined) throw new InvalidArgumentError('hwnas search: --cost-model needs a data directory (the references of the model)');
  const data = loadEvalSpace(dataDir, 'nb201');
  const screen = calibrationScreen(calibration, data, { bounds: problem.constraints.filter((c) => c.metric === metric).map((c) => c.bound), z: args.z ?? DEFAULT_SCREEN_Z });
  const backend = createBackend(calibration.device, { dataDir });
  try {
    const tables = args.bench.nb201;
    const signal = new AbortController().signal;
    const evaluate = (arch: Arch): Metrics => {
      // The device metric comes from the device or the model, never from a table.
      const { [metric]: _fromTable, ...rest } = args.bench.metricsOf(args.space, args.dataset, arch);
      return rest;
    };
    const measure = async (arch: Arch): Promise<number> => {
      const m = await backend.measure({ space: args.space.id, dataset: args.dataset, arch }, signal);
      const v = m.metrics[calibration.metric];
      if (!(typeof v === 'number' && v > 0)) throw new InvalidArgumentError(`device ${calibration.device} returned no positive "${calibration.metric}"`);
      return v;
    };
    const strategy = createStrategy(args.strategy, { space: args.space, problem, seed: args.seed }, args.strategyOptions);
    const run = await runScreenedSearch(strategy, args.space, problem, { metric, measure, rowOf: (a) => tables.indexOf(a), evaluate, screen }, { budget: args.budget });
    const show = (e: EvaluatedArch) => ({ arch: e.key, metrics: e.metrics ?? {} });
    return {
      space: args.space.id,
      dataset: args.dataset,
      strategy: args.strategy,
      seed: args.seed,
      mode: 'cost-first',
      costModel: { device: calibration.device, metric, predictedMetric: predictedMetricName(metric), calibrationMeasurements: calibration.measured.length, z: args.z ?? DEFAULT_SCREEN_Z },
      problem: { objectives: problem.objectives, constraints: problem.constraints },
      ...(isPareto(problem) ? { pareto: (run.pareto ?? []).map(show) } : { best: run.best ? show(run.best) : null }),
      evaluations: run.evaluated.length,
      costQueries: run.costQueries,
      deviceMeasurements: run.deviceMeasurements,
      predictedOnly: run.trials.filter((t) => !t.cached && t.metrics?.[`${metric}_measured`] === 0).length,
      stop: run.stop,
      ...(args.history ? { history: run.trials.map((t) => ({ trial: t.trialId, need: t.need, arch: t.key, status: t.status, ...(t.metrics ? { metrics: t.metrics } : {}) })) } : {}),
    };
  } finally {
    await backend.close();
  }
}
