import { InvalidArgumentError } from '@hwnas/bench-core';
import type { DeviceLatencyTable } from '@hwnas/bench-core';
import type { DeviceBackend } from '@hwnas/device-backends';
import type { EvalSpaceData } from './harness';
import { metaLearnNoise, sampleRows } from './meta';
import { FittedCostModel } from './model';
import type { CostModelJson } from './model';
import type { ReferenceCosts } from './references';
import { referenceCosts } from './references';

/** Name of the predicted counterpart of a device metric: `latency_ms` -> `latency_ms_pred`. */
export function predictedMetricName(metric: string): string {
  return `${metric}_pred`;
}

/**
 * The architectures (rows) to measure for a calibration of `k` samples: the table's probe indices
 * first (HELP's ten, for NB201), then distinct rows drawn from `seed`.
 */
export function calibrationRows(table: DeviceLatencyTable, k: number, seed = 0): number[] {
  if (!Number.isInteger(k) || k < 1 || k > table.size) throw new InvalidArgumentError(`calibration needs 1..${table.size} samples, got ${k}`);
  const rows = (table.probeIndex ?? []).slice(0, k);
  if (rows.length < k) {
    const chosen = new Set(rows);
    for (const row of sampleRows(table.size, Math.min(table.size, k * 2 + 10), seed)) {
      if (chosen.size >= k) break;
      chosen.add(row);
    }
    let next = 0;
    while (chosen.size < k) chosen.add(next++);
    return [...chosen];
  }
  return rows;
}

/** What `hwnas calibrate` stores: the measurements and the fitted model of one device metric. */
export interface CalibrationFile {
  readonly format: 'hwnas-calibration/1';
  readonly device: string;
  readonly space: string;
  readonly dataset: string;
  readonly metric: string;
  /** The name a search uses for the prediction. */
  readonly predictedMetric: string;
  readonly measured: readonly { readonly row: number; readonly value: number }[];
  readonly model: CostModelJson;
}

/**
 * The references a calibration is fitted against: every known device, MACs and both simulators;
 * `exclude` names known devices to leave out (a device of the pool calibrated as if it were new).
 */
export function calibrationReferences(data: EvalSpaceData, exclude: readonly string[] = []): ReferenceCosts {
  const devices = data.table.devices.filter((d) => !exclude.includes(d.name));
  return referenceCosts([...devices.map((d) => ({ name: d.name, values: d.latencyMs })), ...data.computed]);
}

/**
 * Measures `samples` architectures of the table on `backend` (one after another: a real device
 * measures best alone), meta-learns the noise variance on the known devices and fits the model.
 * `metric` is the backend's metric to learn (default `latency_ms`).
 */
export async function calibrateDevice(
  backend: DeviceBackend,
  data: EvalSpaceData,
  options: { readonly samples: number; readonly seed?: number; readonly metric?: string; readonly signal?: AbortSignal; readonly excludeReferences?: readonly string[] },
): Promise<CalibrationFile> {
  const metric = options.metric ?? 'latency_ms';
  const rows = calibrationRows(data.table, options.samples, options.seed ?? 0);
  const signal = options.signal ?? new AbortController().signal;
  const measured: { row: number; value: number }[] = [];
  for (const row of rows) {
    const m = await backend.measure({ space: data.space, dataset: data.dataset, arch: data.archs[row] }, signal);
    const value = m.metrics[metric];
    if (!(typeof value === 'number' && value > 0)) {
      throw new InvalidArgumentError(`device ${backend.describe().id} returned no positive "${metric}" (it has ${Object.keys(m.metrics).join(', ')})`);
    }
    measured.push({ row, value });
  }
  const refs = calibrationReferences(data, options.excludeReferences);
  const { noiseVariance, priorVariance } = metaLearnNoise(refs, { devices: data.table.devices.map((d) => d.name).filter((n) => refs.names.includes(n)) });
  const model = FittedCostModel.fit(backend.describe().id, refs, measured, { noiseVariance, priorVariance });
  return {
    format: 'hwnas-calibration/1',
    device: backend.describe().id,
    space: data.space,
    dataset: data.dataset,
    metric,
    predictedMetric: predictedMetricName(metric),
    measured,
    model: model.toJSON(),
  };
}
