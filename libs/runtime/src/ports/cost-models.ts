/**
 * What a search asks for when a stored cost model screens its device costs (`SearchSpec.costModel`):
 * the calibrated device, where its calibration is stored, and how wide the band around a bound is.
 */
export interface CostModelSpec {
  /** The calibrated device; its agent measures what the model does not predict (one of `SearchSpec.devices`). */
  readonly device: string;
  /** Store (e.g. key-value bucket) holding the calibration; absent: the store's default. */
  readonly bucket?: string;
  /** Band half-width in predicted standard deviations (> 0; >= 0 with `conformal`). */
  readonly z: number;
  /** Split-conformal band at this coverage level in (0, 1); absent: the Gaussian band alone. */
  readonly conformal?: number;
}

/**
 * A calibration as read from the store at submission. It is journalled with the search, so a
 * coordinator that replays the search rebuilds the same screen without reading the store again
 * (a later calibration of the device does not change a running search).
 */
export interface LoadedCostModel {
  readonly device: string;
  /** The search metric the model predicts, e.g. `raspi4_latency`. */
  readonly metric: string;
  /** The stored document as read (JSON, opaque to the runtime). */
  readonly document: unknown;
  /** One line on the model for status output (samples, closest references). */
  readonly summary: string;
}

/** A predicted cost: mean and standard deviation, in the metric's unit. */
export interface PredictedCost {
  readonly mean: number;
  readonly std: number;
}

/**
 * The screen of one search: predicts a device cost per architecture (canonical arch string),
 * says which must be measured, and learns from every measurement recorded. Deterministic: the
 * same records in the same order give the same answers. Not shared between searches.
 */
export interface CostScreener {
  /** The metric screened (as {@link LoadedCostModel.metric}). */
  readonly metric: string;
  /** The model's current prediction of `arch`. */
  predict(arch: string): PredictedCost;
  /** Whether `arch` must be measured: not measured yet and within the band of a constraint's bound. */
  mustMeasure(arch: string): boolean;
  /** The lowest plausible cost of `arch`: its measurement, or the lower edge of the band. */
  optimistic(arch: string): number;
  /** A device measurement of `arch` (idempotent per architecture); the model refits with it. */
  record(arch: string, value: number): void;
  /** The measurement of `arch` recorded so far, if any. */
  measured(arch: string): number | undefined;
}

/**
 * Stored cost models (calibrations made by `hwnas calibrate`), as the coordinator uses them to
 * screen device costs. Implementations live outside the runtime (a key-value store on a cluster).
 */
export interface CostModels {
  /**
   * Reads the calibration a search asks for. Throws a NasError: not_found without one,
   * invalid_argument when it does not fit the search (another space or dataset).
   */
  load(spec: CostModelSpec, search: { readonly space: string; readonly dataset: string }): Promise<LoadedCostModel>;
  /**
   * The screen of a search from a loaded calibration; synchronous (replay rebuilds it in the fold).
   * `bounds`: upper bounds of the search's constraints on the metric.
   */
  screen(model: LoadedCostModel, options: { readonly space: string; readonly dataset: string; readonly bounds: readonly number[]; readonly z: number; readonly conformal?: number }): CostScreener;
}
