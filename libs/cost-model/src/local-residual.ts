import { InvalidArgumentError } from '@hwnas/bench-core';
import type { ReferenceCosts } from './references';

/**
 * A local correction of a global cost model, learned from the device's own measurements: a
 * Gaussian process over each architecture's reference fingerprint (the log of every reference
 * cost, standardised over all rows) fitted to the log residuals log(measured / global mean).
 *
 * Why: the global model is one linear map of a reference device, so its error near a bound is
 * structured (whole families of cells, e.g. those heavy in one operation, are off together).
 * Architectures whose reference costs are alike tend to be mispredicted alike, so a few
 * measurements near the bound correct their neighbours while leaving the rest on the global
 * model (the GP reverts to a zero residual away from its data, and its variance says so).
 *
 * Hyperparameters (length scale, signal and noise variance) are chosen by the marginal
 * likelihood of the residuals on a small grid whenever the number of points doubles; in between,
 * each new point extends the Cholesky factor (O(n^2)). Only the posterior mean is used (see
 * CostScreenOptions.local). Deterministic.
 */
export class LocalResidual {
  /** Standardised log reference costs, row-major (rows x dims). */
  private readonly features: Float64Array;
  private readonly dims: number;
  private rows: number[] = [];
  /** Lower Cholesky factor of K + noise I, row-major with a stride of `capacity`. */
  private chol = new Float64Array(0);
  private capacity = 0;
  private alpha: Float64Array = new Float64Array(0);
  private hyper: LocalHyper = { lengthScale: 1, signal: 1, noise: 1 };
  private tunedAt = 0;

  constructor(refs: ReferenceCosts) {
    this.dims = refs.names.length;
    this.features = new Float64Array(refs.size * this.dims);
    refs.columns.forEach((col, d) => {
      let mean = 0;
      for (let i = 0; i < refs.size; i++) mean += Math.log(col[i]);
      mean /= refs.size;
      let sq = 0;
      for (let i = 0; i < refs.size; i++) sq += (Math.log(col[i]) - mean) ** 2;
      const sd = Math.sqrt(sq / refs.size) || 1;
      for (let i = 0; i < refs.size; i++) this.features[i * this.dims + d] = (Math.log(col[i]) - mean) / sd;
    });
  }

  /** Points the correction is fitted on. */
  get size(): number {
    return this.rows.length;
  }

  /** Whether the correction is in use: it needs {@link MIN_LOCAL_POINTS} points to choose its hyperparameters. */
  get active(): boolean {
    return this.rows.length >= MIN_LOCAL_POINTS;
  }

  /** The hyperparameters in use. */
  get hyperparameters(): LocalHyper {
    return this.hyper;
  }

  /**
   * Refits on `rows` with log residuals `targets` (same length). When `rows` extends the rows of
   * the last fit, the factor is extended; otherwise (or when the count has doubled since the
   * hyperparameters were chosen) it is rebuilt, choosing them again.
   */
  fit(rows: readonly number[], targets: readonly number[]): void {
    if (rows.length !== targets.length) throw new InvalidArgumentError(`local residual: ${rows.length} rows but ${targets.length} targets`);
    for (const t of targets) if (!Number.isFinite(t)) throw new InvalidArgumentError(`local residual: targets must be finite, got ${t}`);
    if (rows.length < MIN_LOCAL_POINTS) {
      this.rows = [];
      this.tunedAt = 0;
      return;
    }
    const extendsLast = rows.length >= this.rows.length && this.rows.every((r, i) => rows[i] === r);
    if (!extendsLast || this.tunedAt === 0 || rows.length >= 2 * this.tunedAt) {
      this.rows = [];
      this.hyper = this.selectHyper(rows, targets);
      this.tunedAt = rows.length;
    }
    for (let i = this.rows.length; i < rows.length; i++) this.append(rows[i]);
    this.alpha = this.solve(Float64Array.from(targets));
  }

  /** Posterior mean of the log residual at `row`; 0 while the correction is not {@link active}. */
  predict(row: number): number {
    if (!this.active) return 0;
    let mean = 0;
    for (let i = 0; i < this.rows.length; i++) mean += this.kernel(row, this.rows[i], this.hyper) * this.alpha[i];
    return mean;
  }

  private kernel(a: number, b: number, h: LocalHyper): number {
    const fa = a * this.dims;
    const fb = b * this.dims;
    let d = 0;
    for (let j = 0; j < this.dims; j++) d += (this.features[fa + j] - this.features[fb + j]) ** 2;
    return h.signal * Math.exp(-d / (2 * h.lengthScale * h.lengthScale));
  }

  /** Adds one row to the Cholesky factor of K + noise I. */
  private append(row: number): void {
    const n = this.rows.length;
    if (n + 1 > this.capacity) {
      const capacity = Math.max(16, this.capacity * 2);
      const grown = new Float64Array(capacity * capacity);
      for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) grown[i * capacity + j] = this.chol[i * this.capacity + j];
      this.chol = grown;
      this.capacity = capacity;
    }
    const c = this.capacity;
    const l = new Float64Array(n);
    for (let i = 0; i < n; i++) l[i] = this.kernel(row, this.rows[i], this.hyper);
    this.forward(l, n);
    let ll = 0;
    for (let i = 0; i < n; i++) {
      this.chol[n * c + i] = l[i];
      ll += l[i] * l[i];
    }
    // A duplicate row would make the diagonal vanish; the noise term keeps it positive.
    this.chol[n * c + n] = Math.sqrt(Math.max(this.hyper.noise * 1e-6, this.hyper.signal + this.hyper.noise - ll));
    this.rows.push(row);
  }

  /** Solves L x = b in place for the first n entries. */
  private forward(b: Float64Array, n: number): void {
    const c = this.capacity;
    for (let i = 0; i < n; i++) {
      let s = b[i];
      for (let k = 0; k < i; k++) s -= this.chol[i * c + k] * b[k];
      b[i] = s / this.chol[i * c + i];
    }
  }

  /** (K + noise I)^-1 b through the factor. */
  private solve(b: Float64Array): Float64Array {
    const n = this.rows.length;
    const c = this.capacity;
    this.forward(b, n);
    for (let i = n - 1; i >= 0; i--) {
      let s = b[i];
      for (let k = i + 1; k < n; k++) s -= this.chol[k * c + i] * b[k];
      b[i] = s / this.chol[i * c + i];
    }
    return b;
  }

  /** The grid point with the highest log marginal likelihood of `targets`. */
  private selectHyper(rows: readonly number[], targets: readonly number[]): LocalHyper {
    const n = rows.length;
    // The residuals' own spread sets the scale of the grid: no unit is assumed.
    const spread = Math.max(1e-6, targets.reduce((a, t) => a + t * t, 0) / n);
    let best: LocalHyper = this.hyper;
    let bestLml = -Infinity;
    for (const lengthScale of LENGTH_SCALES) {
      for (const noiseShare of NOISE_SHARES) {
        const h = { lengthScale, signal: spread * (1 - noiseShare), noise: spread * noiseShare };
        const a = new Float64Array(n * n);
        for (let i = 0; i < n; i++) {
          for (let j = 0; j <= i; j++) a[i * n + j] = this.kernel(rows[i], rows[j], h);
          a[i * n + i] += h.noise;
        }
        const lml = logMarginal(a, n, targets);
        if (lml > bestLml) {
          bestLml = lml;
          best = h;
        }
      }
    }
    return best;
  }
}

/** Hyperparameters of {@link LocalResidual}: RBF length scale (in standardised units), signal and noise variance (of log costs). */
export interface LocalHyper {
  readonly lengthScale: number;
  readonly signal: number;
  readonly noise: number;
}

/** Points the correction needs before it is used (and its hyperparameters chosen from them). */
export const MIN_LOCAL_POINTS = 16;
const LENGTH_SCALES: readonly number[] = [0.5, 1, 2, 4, 8];
/** Share of the residuals' variance the noise takes (the rest is the smooth part). */
const NOISE_SHARES: readonly number[] = [0.1, 0.3, 0.6];

/** Log marginal likelihood of `y` under N(0, A) (A's lower triangle, row-major; factored in place). */
function logMarginal(a: Float64Array, n: number, y: readonly number[]): number {
  for (let j = 0; j < n; j++) {
    let s = a[j * n + j];
    for (let k = 0; k < j; k++) s -= a[j * n + k] ** 2;
    if (!(s > 0)) return -Infinity;
    const d = Math.sqrt(s);
    a[j * n + j] = d;
    for (let i = j + 1; i < n; i++) {
      let t = a[i * n + j];
      for (let k = 0; k < j; k++) t -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = t / d;
    }
  }
  const z = Float64Array.from(y);
  let logDet = 0;
  for (let i = 0; i < n; i++) {
    let s = z[i];
    for (let k = 0; k < i; k++) s -= a[i * n + k] * z[k];
    z[i] = s / a[i * n + i];
    logDet += 2 * Math.log(a[i * n + i]);
  }
  let quad = 0;
  for (let i = 0; i < n; i++) quad += z[i] * z[i];
  return -0.5 * quad - 0.5 * logDet - 0.5 * n * Math.log(2 * Math.PI);
}
