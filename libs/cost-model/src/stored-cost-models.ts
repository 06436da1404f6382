import { archKey, getSpace, InvalidArgumentError } from '@hwnas/bench-core';
import { deviceSearchMetric } from '@hwnas/device-backends';
import type { CostModels, CostScreener, LoadedCostModel } from '@hwnas/runtime';
import { calibrationScreen, parseCalibration } from './calibrate';
import type { CalibrationFile } from './calibrate';
import { loadEvalSpace, loadEvalSpaceAsync } from './harness';
import type { EvalSpaceData } from './harness';

/** Options of {@link storedCostModels}. */
export interface StoredCostModelsOptions {
  /** Benchmark data directory: the references the models are fitted against. */
  readonly dataDir: string;
  /** Reads the stored calibration document of `device` from `bucket` (undefined: the store's default); throws a NasError (not_found) without one. */
  readonly read: (device: string, bucket: string | undefined) => Promise<unknown>;
}

/** One line on a calibration: its samples and the references it resembles most. */
export function calibrationSummary(calibration: CalibrationFile): string {
  const top = [...calibration.model.terms].sort((a, b) => b.weight - a.weight).slice(0, 3);
  return `${calibration.measured.length} measured ${calibration.space} architectures; closest references ${top.map((t) => `${t.name} ${(100 * t.weight).toFixed(0)} %`).join(', ')}`;
}

/** The {@link CostModels} of stored calibrations, whose references can be prepared ahead of the first search. */
export interface StoredCostModels extends CostModels {
  /**
   * Starts computing the NAS-Bench-201 references of `dataDir` (each architecture's IR, MACs and
   * both simulators, and the index of canonical arch strings: over a second of CPU) in slices
   * between which the event loop runs; resolves with the milliseconds until they were ready. Once
   * per process: later calls return the same promise. {@link CostModels.load} waits for it, so no
   * screen computes them in one block; a screen built before (a restart replaying a journalled
   * model) computes whatever is still missing itself.
   */
  warm(): Promise<number>;
}

/**
 * The runtime's {@link CostModels} over stored calibrations (`hwnas calibrate`): `read` gets the
 * document (e.g. from the JetStream key-value bucket), and a screen is the calibration's
 * {@link CostScreen} over the references of `dataDir` (loaded once per process, seconds for
 * NAS-Bench-201, unless {@link StoredCostModels.warm} did it before), addressed by canonical arch string.
 */
export function storedCostModels(options: StoredCostModelsOptions): StoredCostModels {
  const rowsBySpace = new Map<string, Map<string, number>>();
  const rowsOf = (data: EvalSpaceData): Map<string, number> => {
    let rows = rowsBySpace.get(data.space);
    if (!rows) {
      const space = getSpace(data.space);
      rows = new Map(data.archs.map((a, i) => [archKey(space, a), i]));
      rowsBySpace.set(data.space, rows);
    }
    return rows;
  };
  let warming: Promise<number> | undefined;
  const warm = (): Promise<number> => {
    warming ??= (async () => {
      const t0 = performance.now();
      rowsOf(await loadEvalSpaceAsync(options.dataDir, 'nb201'));
      return performance.now() - t0;
    })();
    return warming;
  };
  return {
    warm,

    async load(spec, search): Promise<LoadedCostModel> {
      const where = `${spec.bucket ?? 'default bucket'}/${spec.device}`;
      const calibration = parseCalibration(await options.read(spec.device, spec.bucket), where);
      if (calibration.device !== spec.device) throw new InvalidArgumentError(`costModel.device: the calibration stored under ${where} is of device "${calibration.device}"`);
      // A screen needs the references of every architecture a search may ask for: FBNet's cover the 5,000 of its table only.
      if (search.space !== 'nb201') throw new InvalidArgumentError(`costModel: screening needs reference costs for every architecture of the space; only nb201 has them (not ${search.space})`);
      if (calibration.space !== search.space || calibration.dataset !== search.dataset) {
        throw new InvalidArgumentError(`costModel: the model of ${spec.device} predicts ${calibration.space} ${calibration.dataset} networks; the search is on ${search.space} ${search.dataset}`);
      }
      await warm();
      return { device: spec.device, metric: deviceSearchMetric(calibration.device, calibration.metric), document: calibration, summary: calibrationSummary(calibration) };
    },

    screen(model, o): CostScreener {
      const calibration = parseCalibration(model.document, `journalled model of ${model.device}`);
      const data = loadEvalSpace(options.dataDir, calibration.space as EvalSpaceData['space']);
      const screen = calibrationScreen(calibration, data, { bounds: o.bounds, z: o.z, ...(o.conformal !== undefined ? { conformal: o.conformal } : {}) });
      const rows = rowsOf(data);
      const rowOf = (arch: string): number => {
        const row = rows.get(arch);
        if (row === undefined) throw new InvalidArgumentError(`cost model of ${model.device}: "${arch}" is not an architecture of its ${data.space} table`);
        return row;
      };
      return {
        metric: model.metric,
        predict: (arch) => screen.predict(rowOf(arch)),
        mustMeasure: (arch) => screen.mustMeasure(rowOf(arch)),
        optimistic: (arch) => screen.optimistic(rowOf(arch)),
        record: (arch, value) => void screen.record(rowOf(arch), value),
        measured: (arch) => {
          const c = screen.cost(rowOf(arch));
          return c.measured ? c.value : undefined;
        },
      };
    },
  };
}
