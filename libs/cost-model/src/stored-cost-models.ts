import { getSpace, InvalidArgumentError } from '@hwnas/bench-core';
import type { SpaceId } from '@hwnas/bench-core';
import { deviceSearchMetric } from '@hwnas/device-backends';
import type { CostModels, CostScreener, LoadedCostModel } from '@hwnas/runtime';
import { parseCalibration, spaceScreen } from './calibrate';
import type { CalibrationFile } from './calibrate';
import { loadEvalSpace, loadEvalSpaceAsync } from './harness';
import { tableRows } from './space-references';

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

/** The spaces whose references a screen can have: every architecture of NB201 (its table) and of FBNet (per-layer tables). */
const SCREENED_SPACES: readonly SpaceId[] = ['nb201', 'fbnet'];

/**
 * The runtime's {@link CostModels} over stored calibrations (`hwnas calibrate`): `read` gets the
 * document (e.g. from the JetStream key-value bucket), and a screen is the calibration's
 * {@link CostScreen} over the references of `dataDir` (loaded once per process, seconds for
 * NAS-Bench-201, unless {@link StoredCostModels.warm} did it before), addressed by canonical arch
 * string: any NAS-Bench-201 cell, and any FBNet architecture (the known devices' per-layer tables
 * give the references of those outside the table).
 */
export function storedCostModels(options: StoredCostModelsOptions): StoredCostModels {
  const preparing = new Map<SpaceId, Promise<number>>();
  // The references and the table's row index of a space, computed in slices once per process.
  const prepare = (space: SpaceId): Promise<number> => {
    let p = preparing.get(space);
    if (!p) {
      p = (async () => {
        const t0 = performance.now();
        tableRows(await loadEvalSpaceAsync(options.dataDir, space));
        return performance.now() - t0;
      })();
      preparing.set(space, p);
    }
    return p;
  };
  return {
    warm: () => prepare('nb201'),

    async load(spec, search): Promise<LoadedCostModel> {
      const where = `${spec.bucket ?? 'default bucket'}/${spec.device}`;
      const calibration = parseCalibration(await options.read(spec.device, spec.bucket), where);
      if (calibration.device !== spec.device) throw new InvalidArgumentError(`costModel.device: the calibration stored under ${where} is of device "${calibration.device}"`);
      if (calibration.space !== search.space || calibration.dataset !== search.dataset) {
        throw new InvalidArgumentError(`costModel: the model of ${spec.device} predicts ${calibration.space} ${calibration.dataset} networks; the search is on ${search.space} ${search.dataset}`);
      }
      if (!SCREENED_SPACES.includes(calibration.space as SpaceId)) throw new InvalidArgumentError(`costModel: the calibration stored under ${where} is of space "${calibration.space}"; screens cover ${SCREENED_SPACES.join(' and ')}`);
      await prepare(calibration.space as SpaceId);
      return { device: spec.device, metric: deviceSearchMetric(calibration.device, calibration.metric), document: calibration, summary: calibrationSummary(calibration) };
    },

    screen(model, o): CostScreener {
      const calibration = parseCalibration(model.document, `journalled model of ${model.device}`);
      const data = loadEvalSpace(options.dataDir, calibration.space as SpaceId);
      const { screen, rowOf: rowOfArch } = spaceScreen(calibration, data, { bounds: o.bounds, z: o.z, ...(o.conformal !== undefined ? { conformal: o.conformal } : {}) });
      const space = getSpace(data.space);
      const table = tableRows(data, space);
      // Canonical strings of the table's architectures directly; any other (FBNet) parsed and appended.
      const rowOf = (arch: string): number => table.get(arch) ?? rowOfArch(space.parse(arch));
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
