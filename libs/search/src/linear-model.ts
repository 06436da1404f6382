import { InvalidArgumentError } from '@hwnas/bench-core';
import type { Arch, SearchSpace } from '@hwnas/bench-core';

/** Which pairwise interaction terms a {@link LinearFeatures} encoding has. */
export type InteractionMode = 'all' | 'none';

/**
 * The explainable encoding FOX-NAS regresses on, for any space of categorical decisions:
 * an intercept, one indicator per (decision, option) except each decision's first option (the
 * reference level, so the design is identifiable), and, with `interactions: 'all'`, one indicator
 * per pair of decisions and pair of non-reference options (both chosen). Feature vectors are
 * sparse: {@link active} lists the indices that are 1.
 */
export class LinearFeatures {
  /** Number of features, intercept included. */
  readonly count: number;
  /** Index of the first interaction feature (= count when there are none). */
  readonly firstInteraction: number;
  private readonly mainOffset: number[];
  private readonly pairOffset: number[][];
  /** Options minus one (the non-reference levels) per decision, for the prediction hot loop. */
  private readonly levels: Int32Array;
  /** pairOffset flattened: pairFlat[a * L + b] for a < b (L decisions). */
  private readonly pairFlat: Int32Array;

  constructor(
    readonly space: SearchSpace,
    readonly interactions: InteractionMode,
  ) {
    const sizes = space.decisions.map((d) => d.options.length);
    this.mainOffset = [];
    let next = 1;
    for (const n of sizes) {
      this.mainOffset.push(next - 1); // option o >= 1 -> mainOffset + o
      next += n - 1;
    }
    this.firstInteraction = next;
    this.pairOffset = sizes.map(() => []);
    if (interactions === 'all') {
      for (let a = 0; a < sizes.length; a++) {
        for (let b = a + 1; b < sizes.length; b++) {
          this.pairOffset[a][b] = next;
          next += (sizes[a] - 1) * (sizes[b] - 1);
        }
      }
    }
    this.count = next;
    const L = sizes.length;
    this.levels = Int32Array.from(sizes, (n) => n - 1);
    this.pairFlat = new Int32Array(L * L);
    for (let a = 0; a < L; a++) for (let b = a + 1; b < L; b++) this.pairFlat[a * L + b] = this.pairOffset[a][b] ?? 0;
  }

  /** Number of features of `space` under `interactions`, without building the encoding. */
  static countFor(space: SearchSpace, interactions: InteractionMode): number {
    const sizes = space.decisions.map((d) => d.options.length - 1);
    let n = 1 + sizes.reduce((a, b) => a + b, 0);
    if (interactions === 'all') for (let a = 0; a < sizes.length; a++) for (let b = a + 1; b < sizes.length; b++) n += sizes[a] * sizes[b];
    return n;
  }

  /** Indices of the features that are 1 for `arch` (the intercept, 0, first). */
  active(arch: Arch): number[] {
    const out = [0];
    const L = arch.length;
    for (let d = 0; d < L; d++) if (arch[d] > 0) out.push(this.mainOffset[d] + arch[d]);
    if (this.interactions === 'all') {
      for (let a = 0; a < L; a++) {
        if (arch[a] === 0) continue;
        const nb = this.space.decisions;
        for (let b = a + 1; b < L; b++) {
          if (arch[b] === 0) continue;
          out.push(this.pairOffset[a][b] + (arch[a] - 1) * (nb[b].options.length - 1) + (arch[b] - 1));
        }
      }
    }
    return out;
  }

  /**
   * Linear prediction `coefficients . features(arch)` without building the feature vector (the
   * annealing hot loop).
   */
  predictArch(coefficients: Float64Array, arch: Arch): number {
    let y = coefficients[0];
    const L = arch.length;
    const mainOffset = this.mainOffset;
    for (let d = 0; d < L; d++) if (arch[d] > 0) y += coefficients[mainOffset[d] + arch[d]];
    if (this.interactions === 'all') {
      // The same terms in the same order as active() lists them (the sum is order-sensitive).
      const { levels, pairFlat } = this;
      for (let a = 0; a < L; a++) {
        const oa = arch[a];
        if (oa === 0) continue;
        const row = a * L;
        for (let b = a + 1; b < L; b++) {
          const ob = arch[b];
          if (ob === 0) continue;
          y += coefficients[pairFlat[row + b] + (oa - 1) * levels[b] + (ob - 1)];
        }
      }
    }
    return y;
  }

  /** Human-readable name of feature `index`, e.g. `edge 0->1=nor_conv_3x3 x edge 1->3=skip_connect`. */
  name(index: number): string {
    if (index === 0) return '(intercept)';
    const ds = this.space.decisions;
    if (index < this.firstInteraction) {
      for (let d = ds.length - 1; d >= 0; d--) {
        if (index > this.mainOffset[d]) return `${ds[d].name}=${ds[d].options[index - this.mainOffset[d]]}`;
      }
    }
    for (let a = 0; a < ds.length; a++) {
      for (let b = a + 1; b < ds.length; b++) {
        const start = this.pairOffset[a][b];
        const size = (ds[a].options.length - 1) * (ds[b].options.length - 1);
        if (index >= start && index < start + size) {
          const k = index - start;
          const nb = ds[b].options.length - 1;
          return `${ds[a].name}=${ds[a].options[1 + Math.floor(k / nb)]} x ${ds[b].name}=${ds[b].options[1 + (k % nb)]}`;
        }
      }
    }
    throw new InvalidArgumentError(`feature index ${index} out of range 0..${this.count - 1}`);
  }
}

/** A fitted linear predictor over {@link LinearFeatures}. */
export interface LinearModel {
  readonly coefficients: Float64Array;
  /** Number of samples it was fitted on. */
  readonly samples: number;
  /** Coefficient of determination on the fitting data (NaN when not computed). */
  readonly r2: number;
  /** Root-mean-square residual on the fitting data (NaN when not computed). */
  readonly rmse: number;
}

/** Prediction of `model` for the active features `active`. */
export function predict(model: LinearModel, active: readonly number[]): number {
  let y = 0;
  for (const i of active) y += model.coefficients[i];
  return y;
}

/**
 * Ridge-regularised least squares over a sparse binary design, updated one row at a time: it
 * keeps the Cholesky factor L of (diag(penalty) + X'X) and applies a rank-1 update per row
 * (O(p^2)), so a refit after each new sample costs two triangular solves instead of a fresh
 * O(p^3) factorisation. With zero penalties this is ordinary least squares; callers put a small
 * ridge term on features the data cannot yet identify (never on the intercept).
 */
export class RidgeSolver {
  /** Lower-triangular factor, column-major: L[i][k] at k * p + i. */
  private readonly l: Float64Array;
  private readonly work: Float64Array;
  private n = 0;

  constructor(
    readonly p: number,
    penalty: (feature: number) => number,
  ) {
    this.l = new Float64Array(p * p);
    this.work = new Float64Array(p);
    for (let i = 0; i < p; i++) this.l[i * p + i] = Math.sqrt(Math.max(penalty(i), 0) + 1e-8);
  }

  /** An independent copy (same factor and row count). */
  clone(): RidgeSolver {
    const c = new RidgeSolver(this.p, () => 0);
    c.l.set(this.l);
    c.n = this.n;
    return c;
  }

  /** Rows added so far. */
  get rows(): number {
    return this.n;
  }

  /** Adds one row of the design: the indices of its features that are 1. */
  addRow(active: readonly number[]): void {
    const { p, l } = this;
    const x = this.work;
    x.fill(0);
    let first = p;
    for (const i of active) {
      x[i] = 1;
      first = Math.min(first, i);
    }
    for (let k = first; k < p; k++) {
      const xk = x[k];
      if (xk === 0) continue;
      const col = k * p;
      const lkk = l[col + k];
      const r = Math.sqrt(lkk * lkk + xk * xk);
      const c = r / lkk;
      const s = xk / lkk;
      const invC = 1 / c;
      l[col + k] = r;
      for (let i = k + 1; i < p; i++) {
        const li = (l[col + i] + s * x[i]) * invC;
        l[col + i] = li;
        x[i] = c * x[i] - s * li;
      }
    }
    this.n++;
  }

  /** Solves L^T u = rhs (the back substitution alone). */
  solveTransposed(rhs: ArrayLike<number>): Float64Array {
    return this.backSubstitute(Float64Array.from(rhs));
  }

  /** Solves (diag(penalty) + X'X) b = rhs (`rhs` = X'y) and returns b. */
  solve(rhs: ArrayLike<number>): Float64Array {
    return this.backSubstitute(this.forwardSubstitute(Float64Array.from(rhs)));
  }

  /**
   * L v = b, solved in place in `b` (which it returns). Its own small loop, like the back
   * substitution, rather than inline in solve(): V8 optimises the two short loops better than
   * one function holding both.
   */
  private forwardSubstitute(b: Float64Array): Float64Array {
    const { p, l } = this;
    for (let k = 0; k < p; k++) {
      const col = k * p;
      const v = b[k] / l[col + k];
      b[k] = v;
      if (v !== 0) for (let i = k + 1; i < p; i++) b[i] -= l[col + i] * v;
    }
    return b;
  }

  /** L^T u = b, solved in place in `b` (which it returns). */
  private backSubstitute(b: Float64Array): Float64Array {
    const { p, l } = this;
    for (let i = p - 1; i >= 0; i--) {
      const col = i * p;
      let s = b[i];
      for (let k = i + 1; k < p; k++) s -= l[col + k] * b[k];
      b[i] = s / l[col + i];
    }
    return b;
  }
}

/**
 * A draw from the Gaussian posterior of a Bayesian linear regression with the ridge penalties as
 * prior precisions: coefficients ~ N(mean, scale^2 (diag(penalty) + X'X)^-1), computed as
 * mean + scale * L^-T z with z standard normal (one triangular solve). Used for Thompson sampling.
 */
export function samplePosterior(solver: RidgeSolver, mean: Float64Array, scale: number, normal: () => number): Float64Array {
  const z = new Float64Array(solver.p);
  for (let i = 0; i < z.length; i++) z[i] = normal();
  const u = solver.solveTransposed(z);
  for (let i = 0; i < u.length; i++) u[i] = mean[i] + scale * u[i];
  return u;
}

/**
 * Fits `solver`'s design (whose rows are `rows`, added in the same order) to the targets `ys`:
 * X'y and the solve. `r2` and `rmse` are computed on the fitting data only when `withR2` is set
 * (it costs a pass over the data); otherwise they are NaN.
 */
export function fitRidge(solver: RidgeSolver, rows: readonly (readonly number[])[], ys: readonly number[], withR2 = false): LinearModel {
  const xty = new Float64Array(solver.p);
  let mean = 0;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    const y = ys[r];
    for (let j = 0; j < row.length; j++) xty[row[j]] += y;
    mean += y;
  }
  mean /= Math.max(rows.length, 1);
  const coefficients = solver.solve(xty);
  const model = { coefficients, samples: rows.length, r2: NaN, rmse: NaN };
  if (!withR2) return model;
  let sse = 0;
  let sst = 0;
  for (let r = 0; r < rows.length; r++) {
    sse += (ys[r] - predict(model, rows[r])) ** 2;
    sst += (ys[r] - mean) ** 2;
  }
  return { ...model, r2: sst > 0 ? 1 - sse / sst : 1, rmse: Math.sqrt(sse / Math.max(rows.length, 1)) };
}
