import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { archKey, Benchmark, costMetricInfo, InvalidArgumentError } from '@hwnas/bench-core';
import type { Arch, Metrics, SearchSpace } from '@hwnas/bench-core';
import { backendMeasure, DEFAULT_SCREEN_Z, loadEvalSpace, parseCalibration, predictedMetricName, runScreenedSearch, spaceScreen } from '@hwnas/cost-model';
import type { CalibrationFile } from '@hwnas/cost-model';
import { createBackend, deviceSearchMetric } from '@hwnas/device-backends';
import { createProblem, createStrategy, isPareto } from '@hwnas/search';
import type { EvaluatedArch, RawOptionValue } from '@hwnas/search';
import { connectDeviceAgent } from '../device-agent';

/**
 * Where the calibration and the device come from: a calibration file and the device's backend in
 * this process, or the key-value bucket `hwnas calibrate --nats` stores into and the device agent
 * serving the device on that NATS server under the subject prefix `prefix` (default `hwnas`;
 * `bucket` default `<prefix>-cost-models`, `hwnas-cost-models` for the default prefix).
 */
export type CostModelSource = { readonly type: 'file'; readonly file: string } | { readonly type: 'nats'; readonly device: string; readonly url: string; readonly prefix?: string; readonly bucket?: string };

/** What `hwnas search --cost-model FILE|ID` runs with (already parsed by the search command). */
export interface CostModelSearchArgs {
  readonly source: CostModelSource;
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
  /** Split-conformal band at this coverage level (CostScreenOptions.conformal); default off. */
  readonly conformal?: number;
  readonly history: boolean;
}

/**
 * A cost-first search whose device cost comes from a calibrated cost model: the device (its
 * backend in this process, or its device agent over NATS) measures only the architectures near a constraint's bound or that
 * could change the result; every other cost is the model's prediction, marked as such.
 */
export async function runCostModelSearch(args: CostModelSearchArgs): Promise<Record<string, unknown>> {
  const dataDir = args.bench.dataDir;
  if (dataDir === undefined) throw new InvalidArgumentError('hwnas search: --cost-model needs a data directory (the references of the model)');
  const device = await openDevice(args, dataDir);
  try {
    return await searchWith(args, dataDir, device.calibration, device.measure);
  } finally {
    await device.close();
  }
}

/** The calibration of the search's device and a way to measure on it (its backend or its agent). */
async function openDevice(args: CostModelSearchArgs, dataDir: string): Promise<{ calibration: CalibrationFile; measure: (arch: Arch) => Promise<number>; close: () => Promise<void> }> {
  const source = args.source;
  if (source.type === 'nats') {
    const agent = await connectDeviceAgent(source.url, source.device, 'hwnas search', source.prefix);
    try {
      const calibration = await agent.readCalibration(source.bucket ?? agent.defaultBucket);
      return { calibration, measure: (arch) => agent.measure(args.space.id, args.dataset, archKey(args.space, arch), calibration.metric), close: () => agent.close() };
    } catch (e) {
      await agent.close();
      throw e;
    }
  }
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(source.file, 'utf8'));
  } catch (e) {
    throw new InvalidArgumentError(`hwnas search: --cost-model ${source.file}: ${(e as Error).message}`);
  }
  const calibration = parseCalibration(doc, path.basename(source.file));
  const backend = createBackend(calibration.device, { dataDir });
  return { calibration, measure: backendMeasure(backend, args.space.id, args.dataset, calibration.metric), close: () => backend.close() };
}

/** The screened search itself, on a device whose calibration and measurements are given. */
async function searchWith(args: CostModelSearchArgs, dataDir: string, calibration: CalibrationFile, measure: (arch: Arch) => Promise<number>): Promise<Record<string, unknown>> {
  if (args.space.id !== calibration.space || args.dataset !== calibration.dataset) {
    throw new InvalidArgumentError(`hwnas search: the cost model of ${calibration.device} predicts ${calibration.space} ${calibration.dataset} networks; the search is on ${args.space.id} ${args.dataset}`);
  }
  const metric = deviceSearchMetric(calibration.device, calibration.metric);
  const available = args.bench.metrics(args.space, args.dataset);
  const infos = available.some((m) => m.name === metric) ? available : [...available, costMetricInfo(metric)];
  const problem = createProblem({ objectives: args.objectives, constraints: args.constraints, costFirst: true }, infos);
  if (!problem.constraints.some((c) => c.metric === metric) && !problem.objectives.some((o) => o.metric === metric)) {
    throw new InvalidArgumentError(`hwnas search: --cost-model predicts "${metric}", which no --objective or --constraint uses`);
  }
  const data = loadEvalSpace(dataDir, args.space.id);
  const { screen, rowOf } = spaceScreen(calibration, data, { bounds: problem.constraints.filter((c) => c.metric === metric).map((c) => c.bound), z: args.z ?? DEFAULT_SCREEN_Z, ...(args.conformal !== undefined ? { conformal: args.conformal } : {}) });
  const evaluate = (arch: Arch): Metrics => {
    // The device metric comes from the device or the model, never from a table.
    const { [metric]: _fromTable, ...rest } = args.bench.metricsOf(args.space, args.dataset, arch);
    return rest;
  };
  const strategy = createStrategy(args.strategy, { space: args.space, problem, seed: args.seed }, args.strategyOptions);
  const run = await runScreenedSearch(strategy, args.space, problem, { metric, measure, rowOf, evaluate, screen }, { budget: args.budget });
  const show = (e: EvaluatedArch) => ({ arch: e.key, metrics: e.metrics ?? {} });
  return {
    space: args.space.id,
    dataset: args.dataset,
    strategy: args.strategy,
    seed: args.seed,
    mode: 'cost-first',
    costModel: { device: calibration.device, metric, predictedMetric: predictedMetricName(metric), calibrationMeasurements: calibration.measured.length, z: args.z ?? DEFAULT_SCREEN_Z, ...(args.conformal !== undefined ? { conformal: args.conformal } : {}) },
    problem: { objectives: problem.objectives, constraints: problem.constraints },
    ...(isPareto(problem) ? { pareto: (run.pareto ?? []).map(show) } : { best: run.best ? show(run.best) : null }),
    evaluations: run.evaluated.length,
    costQueries: run.costQueries,
    deviceMeasurements: run.deviceMeasurements,
    predictedOnly: run.trials.filter((t) => !t.cached && t.metrics?.[`${metric}_measured`] === 0).length,
    stop: run.stop,
    ...(args.history ? { history: run.trials.map((t) => ({ trial: t.trialId, need: t.need, arch: t.key, status: t.status, ...(t.metrics ? { metrics: t.metrics } : {}) })) } : {}),
  };
}
