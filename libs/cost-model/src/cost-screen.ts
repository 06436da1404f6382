import { InvalidArgumentError } from '@hwnas/bench-core';
import type { Metrics } from '@hwnas/bench-core';
import { FittedCostModel } from './model';
import type { CostModelOptions, CostSample } from './model';
import type { ReferenceCosts } from './references';
import { ResidualModel } from './residual';
import type { ArchEncoding } from '@hwnas/search/internal';

/** Name of the predicted counterpart of a device metric: `latency_ms` -> `latency_ms_pred`. */
export function predictedMetricName(metric: string): string {
  return `${metric}_pred`;
}

/** Default width of the band around a bound, in predicted standard deviations. */
export const DEFAULT_SCREEN_Z = 2;

/** What the screen knows of one architecture's cost: measured on the device, or predicted. */
export interface ScreenedCost {
  /** The value a search uses: the measurement when there is one, else the predicted mean. */
  readonly value: number;
  readonly measured: boolean;
  /** The model's prediction (before this architecture was measured, if it was). */
  readonly mean: number;
  readonly std: number;
}

/** Options of {@link CostScreen}. */
export interface CostScreenOptions extends CostModelOptions {
  /** Upper bounds on the metric (constraints `metric <= bound`) the screen decides against. */
  readonly bounds?: readonly number[];
  /** Band half-width in standard deviations: an architecture within z * std of a bound is measured. */
  readonly z?: number;
  /**
   * Widen the std by the errors seen so far ({@link CostScreen.stdInflation}); default false: fewer
   * wrong-side decisions, but many more measurements (docs/benchmarks/cost-models.md).
   */
  readonly widenFromErrors?: boolean;
  /**
   * Split-conformal band (a coverage level in (0, 1), e.g. 0.95; default off): the band's
   * half-width in std is the larger of z and the level's conformal quantile of the held-out
   * standardised errors |measured - predicted| / std seen so far (each calibration sample predicted
   * from the others, by the mixture alone; then each search measurement predicted before it was
   * made). Until there are enough errors for that quantile (19 at 0.95) every cost is measured. Robust to a biased or
   * heavy-tailed model, where the Gaussian std is too narrow (docs/benchmarks/cost-screening.md).
   */
  readonly conformal?: number;
  /**
   * The encoding of row `row` (`archEncoder` of the search library) for the residual model; when
   * given (default: none; `calibrationScreen` gives it), a Gaussian process over these encodings
   * on log(measured / predicted) of the measured architectures ({@link ResidualModel}) corrects
   * each prediction locally: mean and std are multiplied by exp(its posterior mean), so measured
   * neighbours pull a prediction towards what they measured, and far from every measurement the
   * correction falls back to the mean residual. Refitted with each measurement (tens of ms at a
   * hundred measurements).
   */
  readonly residualEncoding?: (row: number) => ArchEncoding;
}

/**
 * Cost-first screening with a fitted cost model: predicts an architecture's cost (mean and
 * std) and says whether it must be measured on the device, i.e. whether the prediction is within
 * z standard deviations of a constraint's bound (elsewhere the side of the bound is certain
 * enough to decide without the device). Every measurement recorded refits the model with the new
 * point (a closed-form fit, well under a millisecond), so the band narrows as the search goes.
 * Architectures are rows of `refs`. Deterministic.
 */
export class CostScreen {
  private model: FittedCostModel;
  private residual?: ResidualModel;
  private readonly samples: CostSample[];
  private readonly byRow = new Map<number, number>();
  private readonly bounds: readonly number[];
  private readonly z: number;
  /** Squared standardised errors of the predictions of architectures measured after calibration. */
  private squaredErrors = 0;
  private errorCount = 0;
  /** Held-out |standardised errors| (with `conformal`), sorted ascending. */
  private readonly heldOutErrors: number[] = [];

  constructor(
    readonly target: string,
    private readonly refs: ReferenceCosts,
    samples: readonly CostSample[],
    private readonly options: CostScreenOptions = {},
  ) {
    this.z = options.z ?? DEFAULT_SCREEN_Z;
    if (!(this.z >= 0)) throw new InvalidArgumentError(`cost screen for "${target}": z must be a non-negative number of standard deviations, got ${options.z}`);
    this.bounds = options.bounds ?? [];
    for (const b of this.bounds) if (!Number.isFinite(b)) throw new InvalidArgumentError(`cost screen for "${target}": bounds must be finite numbers, got ${b}`);
    this.samples = samples.map((s) => ({ row: s.row, value: s.value }));
    for (const s of this.samples) this.byRow.set(s.row, s.value);
    const conformal = options.conformal;
    if (conformal !== undefined && !(conformal > 0 && conformal < 1)) throw new InvalidArgumentError(`cost screen for "${target}": conformal must be a coverage level in (0, 1), got ${conformal}`);
    this.model = FittedCostModel.fit(target, refs, this.samples, options);
    this.fitResidual();
    if (conformal !== undefined && this.samples.length > 1) {
      for (const [k, s] of this.samples.entries()) {
        const others = FittedCostModel.fit(target, refs, this.samples.filter((_, j) => j !== k), options);
        const p = others.predictRow(refs, s.row);
        this.addHeldOutError(s.value, p.mean, p.std);
      }
    }
  }

  /** The model as fitted on every measurement so far. */
  get current(): FittedCostModel {
    return this.model;
  }

  /** Measurements the model is fitted on (the calibration's and the search's). */
  get measurements(): number {
    return this.samples.length;
  }

  /**
   * How much wider the model's errors have turned out than its std said: the root mean square of
   * (measured - predicted) / std over the architectures measured so far (the prediction made
   * before each was measured), never below 1; always 1 unless `widenFromErrors`. A device unlike every reference (raspi4 from
   * HELP's probe cells covers only 80-90 % of its cells within 2 std) widens its own band.
   */
  get stdInflation(): number {
    return !this.options.widenFromErrors || this.errorCount === 0 ? 1 : Math.max(1, Math.sqrt(this.squaredErrors / this.errorCount));
  }

  /**
   * Half-width of the band around a bound, in (widened) std: z, or with `conformal` the larger of
   * z and the conformal quantile of the held-out errors (Infinity while they are too few).
   */
  get bandStds(): number {
    const level = this.options.conformal;
    if (level === undefined) return this.z;
    const n = this.heldOutErrors.length;
    const k = Math.ceil((n + 1) * level);
    return k > n ? Infinity : Math.max(this.z, this.heldOutErrors[k - 1]);
  }

  /** The predicted mean and std of row `row` (the std widened by {@link stdInflation}). */
  predict(row: number): { mean: number; std: number } {
    this.checkRow(row);
    let { mean, std } = this.model.predictRow(this.refs, row);
    if (this.residual) {
      // The correction scales the whole predictive distribution; the std stays the mixture's
      // relative std (adding the residual model's sd calibrates it, but measures 2-4 times as
      // many cells: docs/benchmarks/cost-screening.md).
      const factor = Math.exp(this.residual.shift(this.options.residualEncoding!(row)));
      mean *= factor;
      std *= factor;
    }
    return { mean, std: std * this.stdInflation };
  }

  /** The cost of `row`: its measurement if it has one, else the prediction. */
  cost(row: number): ScreenedCost {
    const p = this.predict(row);
    const measured = this.byRow.get(row);
    return measured === undefined ? { value: p.mean, measured: false, ...p } : { value: measured, measured: true, ...p };
  }

  /** Whether `row` must be measured: not measured yet, and predicted within {@link bandStds} std of a bound. */
  mustMeasure(row: number): boolean {
    if (this.byRow.has(row)) return false;
    const { mean, std } = this.predict(row);
    const band = this.bandStds;
    return this.bounds.some((b) => band === Infinity || Math.abs(mean - b) < band * std);
  }

  /** The optimistic (lowest plausible) cost of `row`: its measurement, or mean - {@link bandStds} * std. */
  optimistic(row: number): number {
    const c = this.cost(row);
    if (c.measured) return c.value;
    const band = this.bandStds;
    return band === Infinity ? -Infinity : c.mean - band * c.std;
  }

  /** Records a measurement of `row` and refits the model with it. Returns the cost now known. */
  record(row: number, value: number): ScreenedCost {
    this.checkRow(row);
    if (!(Number.isFinite(value) && value > 0)) throw new InvalidArgumentError(`cost screen for "${this.target}": row ${row} measured a non-positive value ${value}`);
    const before = this.predict(row);
    if (!this.byRow.has(row)) {
      const raw = before.std / this.stdInflation;
      if (raw > 0) {
        this.squaredErrors += ((value - before.mean) / raw) ** 2;
        this.errorCount++;
      }
      if (this.options.conformal !== undefined) this.addHeldOutError(value, before.mean, raw);
      this.samples.push({ row, value });
      this.byRow.set(row, value);
      this.model = FittedCostModel.fit(this.target, this.refs, this.samples, this.options);
      this.fitResidual();
    }
    return { value: this.byRow.get(row)!, measured: true, ...before };
  }

  /** Fits the residual model (if any) to the current mixture's in-sample log errors. */
  private fitResidual(): void {
    const encode = this.options.residualEncoding;
    if (!encode) return;
    const rows = this.samples.map((s) => s.row);
    const fitted = this.model.predictRows({ names: this.refs.names, columns: this.refs.columns.map((c) => Float64Array.from(rows, (r) => c[r])), size: rows.length });
    this.residual = ResidualModel.fit(
      rows.map((r) => encode(r)),
      this.samples.map((s, k) => Math.log(s.value / fitted.mean[k])),
    );
  }

  private addHeldOutError(value: number, mean: number, std: number): void {
    const e = std > 0 ? Math.abs(value - mean) / std : value === mean ? 0 : Infinity;
    let i = this.heldOutErrors.length;
    while (i > 0 && this.heldOutErrors[i - 1] > e) i--;
    this.heldOutErrors.splice(i, 0, e);
  }

  private checkRow(row: number): void {
    if (!Number.isInteger(row) || row < 0 || row >= this.refs.size) throw new InvalidArgumentError(`cost screen for "${this.target}": row ${row} is outside 0..${this.refs.size - 1}`);
  }
}

/**
 * The metrics a screened cost reports under `metric`: the value the search uses under `metric`,
 * the prediction beside it (`<metric>_pred`, `<metric>_pred_std`) and `<metric>_measured` (1 when
 * the device measured it, 0 when the value is the prediction).
 */
export function screenedCostMetrics(metric: string, cost: ScreenedCost): Metrics {
  const pred = predictedMetricName(metric);
  return { [metric]: cost.value, [pred]: cost.mean, [`${pred}_std`]: cost.std, [`${metric}_measured`]: cost.measured ? 1 : 0 };
}
