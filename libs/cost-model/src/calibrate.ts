import { getSpace, InvalidArgumentError } from '@hwnas/bench-core';
import type { Arch, DeviceLatencyTable, SpaceId } from '@hwnas/bench-core';
import type { DeviceBackend } from '@hwnas/device-backends';
import { archEncoder } from '@hwnas/search/internal';
import type { EvalSpaceData } from './harness';
import { knownDeviceReferences } from './harness';
import { metaLearnNoise, sampleRows } from './meta';
import { FittedCostModel } from './model';
import type { CostModelJson } from './model';
import type { ReferenceCosts } from './references';
import { SpaceReferences } from './space-references';
import { CostScreen, predictedMetricName } from './cost-screen';
import type { CostScreenOptions } from './cost-screen';

/**
 * The architectures (rows) to measure for a calibration of `k` samples: the table's probe indices
 * first (HELP's ten, for NB201; none when `probeCells` is false), then distinct rows drawn from `seed`.
 */
export function calibrationRows(table: DeviceLatencyTable, k: number, seed = 0, probeCells = true): number[] {
  if (!Number.isInteger(k) || k < 1 || k > table.size) throw new InvalidArgumentError(`calibration needs 1..${table.size} samples, got ${k}`);
  const rows = probeCells ? (table.probeIndex ?? []).slice(0, k) : [];
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
  return knownDeviceReferences(data, data.table.devices.filter((d) => !exclude.includes(d.name)));
}

/** Options of {@link calibrateDevice} and {@link calibrateWith}. */
export interface CalibrateOptions {
  readonly samples: number;
  readonly seed?: number;
  /** The device's metric to learn (default `latency_ms`). */
  readonly metric?: string;
  readonly signal?: AbortSignal;
  /** Known devices to leave out of the references. */
  readonly excludeReferences?: readonly string[];
  /** Start with HELP's probe cells (default true); false: random cells from `seed` only. */
  readonly probeCells?: boolean;
}

/**
 * Measures `samples` architectures of the table on `backend` (one after another: a real device
 * measures best alone), meta-learns the noise variance on the known devices and fits the model.
 */
export async function calibrateDevice(backend: DeviceBackend, data: EvalSpaceData, options: CalibrateOptions): Promise<CalibrationFile> {
  const measure = backendMeasure(backend, data.space, data.dataset, options.metric ?? 'latency_ms', options.signal);
  return calibrateWith(backend.describe().id, measure, data, options);
}

/**
 * Measuring one architecture of `space`/`dataset` on `backend`: the value of `metric`, which must
 * be positive (else InvalidArgumentError naming the device and the metrics it returned).
 */
export function backendMeasure(backend: DeviceBackend, space: SpaceId, dataset: string, metric: string, signal = new AbortController().signal): (arch: Arch) => Promise<number> {
  const device = backend.describe().id;
  return async (arch) => {
    const m = await backend.measure({ space, dataset, arch }, signal);
    const value = m.metrics[metric];
    if (!(typeof value === 'number' && value > 0)) {
      throw new InvalidArgumentError(`device ${device} returned no positive "${metric}" (it has ${Object.keys(m.metrics).join(', ')})`);
    }
    return value;
  };
}

/**
 * {@link calibrateDevice} with any way of measuring (`measure` returns the metric's value for one
 * architecture, e.g. through a device agent over NATS): measures the calibration rows one after
 * another, then fits.
 */
export async function calibrateWith(device: string, measure: (arch: Arch) => Promise<number>, data: EvalSpaceData, options: CalibrateOptions): Promise<CalibrationFile> {
  const metric = options.metric ?? 'latency_ms';
  const rows = calibrationRows(data.table, options.samples, options.seed ?? 0, options.probeCells ?? true);
  const measured: { row: number; value: number }[] = [];
  for (const row of rows) {
    const value = await measure(data.archs[row]);
    if (!(Number.isFinite(value) && value > 0)) throw new InvalidArgumentError(`device ${device}: "${metric}" of row ${row} must be a positive number, got ${value}`);
    measured.push({ row, value });
  }
  const refs = calibrationReferences(data, options.excludeReferences);
  const { noiseVariance, priorVariance } = metaLearnNoise(refs, { devices: data.table.devices.map((d) => d.name).filter((n) => refs.names.includes(n)) });
  const model = FittedCostModel.fit(device, refs, measured, { noiseVariance, priorVariance });
  return {
    format: 'hwnas-calibration/1',
    device,
    space: data.space,
    dataset: data.dataset,
    metric,
    predictedMetric: predictedMetricName(metric),
    measured,
    model: model.toJSON(),
  };
}

/**
 * Checks a stored calibration (what `hwnas calibrate` writes) and returns it typed; `where` names
 * its origin (a file, a key) in the error. Throws InvalidArgumentError saying what is wrong.
 */
export function parseCalibration(doc: unknown, where: string): CalibrationFile {
  const bad = (what: string) => new InvalidArgumentError(`calibration ${where}: ${what}`);
  if (typeof doc !== 'object' || doc === null) throw bad('must be a JSON object');
  const c = doc as Record<string, unknown>;
  if (c.format !== 'hwnas-calibration/1') throw bad(`"format" must be "hwnas-calibration/1", got ${JSON.stringify(c.format)}`);
  for (const f of ['device', 'space', 'dataset', 'metric', 'predictedMetric'] as const) if (typeof c[f] !== 'string' || c[f] === '') throw bad(`"${f}" must be a non-empty string`);
  if (!Array.isArray(c.measured) || c.measured.length === 0) throw bad('"measured" must be a non-empty array of { row, value }');
  (c.measured as unknown[]).forEach((m, k) => {
    const s = m as Record<string, unknown>;
    if (!(Number.isInteger(s?.row) && (s.row as number) >= 0 && typeof s.value === 'number' && s.value > 0)) throw bad(`measured[${k}] must be { row: integer >= 0, value > 0 }`);
  });
  try {
    FittedCostModel.fromJSON(c.model);
  } catch (e) {
    throw bad(`"model": ${(e as Error).message}`);
  }
  return c as unknown as CalibrationFile;
}

/** A calibration's cost screen over a whole space: the screen, and the row it knows an architecture by. */
export interface SpaceScreen {
  readonly screen: CostScreen;
  /** The screen's row of `arch` (FBNet: architectures outside the table get rows as they are met). */
  rowOf(arch: Arch): number;
}

/**
 * The cost screen of a stored calibration: its measurements refitted against the references its
 * model was fitted with (a subset of {@link calibrationReferences}), with its noise and prior, and
 * corrected by the residual model over the space's architecture encodings (unless `options` gives
 * another `residualEncoding`). Its rows are those of {@link SpaceReferences}: the table's, then on
 * FBNet any other architecture {@link SpaceScreen.rowOf} is asked for.
 */
export function spaceScreen(calibration: CalibrationFile, data: EvalSpaceData, options: Omit<CostScreenOptions, 'noiseVariance' | 'priorVariance'> = {}): SpaceScreen {
  const model = FittedCostModel.fromJSON(calibration.model);
  const all = calibrationReferences(data);
  const missing = model.referenceNames.filter((n) => !all.names.includes(n));
  if (missing.length) throw new InvalidArgumentError(`calibration of ${calibration.device}: its model needs references ${missing.join(', ')}, which this data directory lacks`);
  const refs = new SpaceReferences(data, model.referenceNames, all);
  for (const m of calibration.measured) if (m.row >= refs.statRows) throw new InvalidArgumentError(`calibration of ${calibration.device}: measured row ${m.row} is outside the ${refs.statRows} architectures of ${data.space}`);
  const encode = archEncoder(getSpace(data.space));
  const residualEncoding = (row: number) => encode(refs.archAt(row));
  const screen = new CostScreen(calibration.device, refs, calibration.measured, { residualEncoding, ...options, noiseVariance: calibration.model.noiseVariance, priorVariance: calibration.model.priorVariance });
  return { screen, rowOf: (arch) => refs.rowOf(arch) };
}

/** {@link spaceScreen}'s screen alone, for callers that address the table's rows. */
export function calibrationScreen(calibration: CalibrationFile, data: EvalSpaceData, options: Omit<CostScreenOptions, 'noiseVariance' | 'priorVariance'> = {}): CostScreen {
  return spaceScreen(calibration, data, options).screen;
}
