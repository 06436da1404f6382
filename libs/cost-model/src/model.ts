import { InvalidArgumentError } from '@hwnas/bench-core';
import type { ReferenceCosts } from './references';

/**
 * A latency (or energy) predictor for one device, learned from a few measured architectures.
 *
 * Method (Bayesian model averaging over reference costs): for each reference cost m (a known
 * device's latency, MACs, a simulator's latency) the new device's cost, divided by the mean of
 * its measured samples, is modelled as `a + b * z_m`, with `z_m` the reference cost divided by its
 * mean over all architectures. The prior is an "average device that behaves like reference m":
 * (a, b) ~ N((0, 1), diag(priorVariance)), with Gaussian noise of variance `noiseVariance` (both
 * in units of the device's mean cost). Each reference gets its exact posterior over (a, b) and its
 * marginal likelihood (evidence) on the K samples; the prediction is the evidence-weighted mixture
 * of the references' predictive distributions, so a reference that behaves like the new device
 * takes over once a few samples agree with it, and with few samples the mixture stays broad.
 * Everything is closed-form 2x2 algebra: fitting is O(K x references), predicting O(references).
 *
 * A cost is positive, but a line with a negative intercept dips below zero on the cells a reference
 * finds cheapest (NB201's disconnected cells, ~0.01 ms on raspi4): each reference's line is
 * floored at {@link LINE_FLOOR_FRACTION} of the reference's own relative cost `z_m`, so every
 * predicted mean is positive and shrinks with the reference on its cheapest cells.
 */

/**
 * Each reference's predicted relative cost is at least this fraction of the reference's relative
 * cost. Small, so that the floor only replaces what would be negative (or nearly zero) and leaves
 * the line elsewhere: a fraction near 1 would lift cells the line rightly puts below the
 * reference's proportion. The effect on `hwnas cost-model eval` is in docs/benchmarks/cost-models.md.
 */
const LINE_FLOOR_FRACTION = 0.01;

/** Hyperparameters of the fit; `noiseVariance` is what meta-learning picks (see meta.ts). */
export interface CostModelOptions {
  /** Variance of a device's cost around the reference's line, relative to its mean cost squared. Default 0.01. */
  readonly noiseVariance?: number;
  /** Prior variance of the intercept and slope (relative units). Default 1. */
  readonly priorVariance?: number;
}

export const DEFAULT_NOISE_VARIANCE = 0.01;
export const DEFAULT_PRIOR_VARIANCE = 1;

/** One measured architecture: its row in the reference costs and its measured cost. */
export interface CostSample {
  readonly row: number;
  readonly value: number;
}

/** Mean (always positive) and standard deviation of predicted costs, in the unit of the measured samples. */
export interface CostPrediction {
  readonly mean: Float64Array;
  readonly std: Float64Array;
}

/** What one reference contributes, as stored in the JSON form. */
export interface ReferenceTerm {
  readonly name: string;
  /** Mean of the reference column over all architectures: the column is divided by it. */
  readonly columnMean: number;
  /** Posterior weight of this reference in the mixture (the weights sum to 1). */
  readonly weight: number;
  /** Posterior mean of (intercept, slope). */
  readonly coef: readonly [number, number];
  /** Posterior covariance of (intercept, slope), row-major [s00, s01, s11]. */
  readonly cov: readonly [number, number, number];
}

/** The JSON form of a fitted model (`format` names the version). */
export interface CostModelJson {
  readonly format: 'hwnas-cost-model/1';
  readonly target: string;
  readonly samples: number;
  /** The cost unit of the device: the mean of its measured samples. */
  readonly scale: number;
  readonly noiseVariance: number;
  readonly priorVariance: number;
  readonly terms: readonly ReferenceTerm[];
}

/** A fitted predictor: predict any architecture whose reference costs are known. */
export class FittedCostModel {
  private lastColumns?: { readonly refs: ReferenceCosts; readonly source: readonly Float64Array[]; readonly columns: readonly Float64Array[] };

  private constructor(private readonly json: CostModelJson) {}

  /** Name of the device (or metric) this model predicts. */
  get target(): string {
    return this.json.target;
  }

  /** Names of the reference costs a prediction needs. */
  get referenceNames(): readonly string[] {
    return this.json.terms.map((t) => t.name);
  }

  /** Mixture weight of each reference (what the model has learned the device resembles). */
  weights(): Record<string, number> {
    return Object.fromEntries(this.json.terms.map((t) => [t.name, t.weight]));
  }

  /** Predicts every row of `refs` (which must hold every reference the model was fitted with). */
  predictRows(refs: ReferenceCosts): CostPrediction {
    const n = refs.size;
    const sum = new Float64Array(n);
    const sumSq = new Float64Array(n);
    const { scale, noiseVariance } = this.json;
    const columns = this.columnsIn(refs);
    const terms = this.json.terms;
    for (let k = 0; k < terms.length; k++) {
      const t = terms[k];
      if (t.weight === 0) continue;
      const col = columns[k];
      const inv = 1 / t.columnMean;
      const [a, b] = t.coef;
      const [s00, s01, s11] = t.cov;
      for (let i = 0; i < n; i++) {
        const z = col[i] * inv;
        const m = lineMean(a, b, z);
        sum[i] += t.weight * m;
        sumSq[i] += t.weight * (lineVariance(s00, s01, s11, noiseVariance, z) + m * m);
      }
    }
    const std = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      std[i] = Math.sqrt(Math.max(0, sumSq[i] - sum[i] * sum[i])) * scale;
      sum[i] *= scale;
    }
    return { mean: sum, std };
  }

  /**
   * Predicts row `row` of `refs` alone: the same numbers as that row of {@link predictRows}, without
   * its arrays (a screen predicts cells one at a time). Throws InvalidArgumentError for a row
   * outside `refs`.
   */
  predictRow(refs: ReferenceCosts, row: number): { mean: number; std: number } {
    if (!Number.isInteger(row) || row < 0 || row >= refs.size) throw new InvalidArgumentError(`cost model for "${this.target}": row ${row} is outside 0..${refs.size - 1}`);
    const { scale, noiseVariance, terms } = this.json;
    const columns = this.columnsIn(refs);
    let sum = 0;
    let sumSq = 0;
    for (let k = 0; k < terms.length; k++) {
      const t = terms[k];
      if (t.weight === 0) continue;
      const z = columns[k][row] * (1 / t.columnMean);
      const m = lineMean(t.coef[0], t.coef[1], z);
      sum += t.weight * m;
      sumSq += t.weight * (lineVariance(t.cov[0], t.cov[1], t.cov[2], noiseVariance, z) + m * m);
    }
    return { mean: sum * scale, std: Math.sqrt(Math.max(0, sumSq - sum * sum)) * scale };
  }

  /**
   * The column of `refs` for each term, in term order (the last lookup is kept: a screen asks with
   * one `refs`; while its columns are the same arrays, which growing references replace).
   */
  private columnsIn(refs: ReferenceCosts): readonly Float64Array[] {
    const source = refs.columns;
    if (this.lastColumns?.refs === refs && this.lastColumns.source === source) return this.lastColumns.columns;
    const columns = this.json.terms.map((t) => {
      const k = refs.names.indexOf(t.name);
      if (k < 0) throw new InvalidArgumentError(`cost model for "${this.target}" needs reference "${t.name}", which the given references lack (${refs.names.join(', ')})`);
      return source[k];
    });
    this.lastColumns = { refs, source, columns };
    return columns;
  }

  /** Predicts one architecture from its reference costs, given by name. */
  predict(referenceValues: Readonly<Record<string, number>>): { mean: number; std: number } {
    const names = this.referenceNames;
    const columns = names.map((name) => {
      const v = referenceValues[name];
      if (!(Number.isFinite(v) && v > 0)) throw new InvalidArgumentError(`cost model for "${this.target}": reference "${name}" must be a positive number, got ${v}`);
      return Float64Array.of(v);
    });
    const p = this.predictRows({ names, columns, size: 1 });
    return { mean: p.mean[0], std: p.std[0] };
  }

  toJSON(): CostModelJson {
    return this.json;
  }

  /**
   * Fits the model for `target` from measured `samples` (rows of `refs`). Deterministic; throws
   * InvalidArgumentError for no samples, a row outside the references or a non-positive value.
   */
  static fit(target: string, refs: ReferenceCosts, samples: readonly CostSample[], options: CostModelOptions = {}): FittedCostModel {
    const s2 = options.noiseVariance ?? DEFAULT_NOISE_VARIANCE;
    const pv = options.priorVariance ?? DEFAULT_PRIOR_VARIANCE;
    if (!(s2 > 0) || !(pv > 0)) throw new InvalidArgumentError(`cost model: noiseVariance and priorVariance must be positive, got ${s2} and ${pv}`);
    if (samples.length === 0) throw new InvalidArgumentError(`cost model for "${target}": at least one measured sample is needed`);
    for (const [k, s] of samples.entries()) {
      if (!Number.isInteger(s.row) || s.row < 0 || s.row >= refs.size) throw new InvalidArgumentError(`cost model for "${target}": sample ${k} has row ${s.row}, outside 0..${refs.size - 1}`);
      if (!(Number.isFinite(s.value) && s.value > 0)) throw new InvalidArgumentError(`cost model for "${target}": sample ${k} (row ${s.row}) must have a positive measured value, got ${s.value}`);
    }
    const K = samples.length;
    const scale = samples.reduce((acc, s) => acc + s.value, 0) / K;
    const t = samples.map((s) => s.value / scale);

    const statRows = Math.min(refs.statRows ?? refs.size, refs.size);
    const fits = refs.names.map((name, m) => {
      const col = refs.columns[m];
      let colSum = 0;
      for (let i = 0; i < statRows; i++) colSum += col[i];
      const columnMean = colSum / statRows;
      const z = samples.map((s) => col[s.row] / columnMean);
      return { name, columnMean, ...posterior(z, t, s2, pv) };
    });
    // Evidence weights, normalised in a numerically safe way.
    const best = Math.max(...fits.map((f) => f.logEvidence));
    const raw = fits.map((f) => Math.exp(f.logEvidence - best));
    const total = raw.reduce((a, b) => a + b, 0);
    const terms: ReferenceTerm[] = fits.map((f, m) => ({ name: f.name, columnMean: f.columnMean, weight: raw[m] / total, coef: f.coef, cov: f.cov }));
    return new FittedCostModel({ format: 'hwnas-cost-model/1', target, samples: K, scale, noiseVariance: s2, priorVariance: pv, terms });
  }

  /** Restores a model from its JSON form, checking every field. */
  static fromJSON(doc: unknown): FittedCostModel {
    const bad = (what: string) => new InvalidArgumentError(`cost model JSON: ${what}`);
    if (typeof doc !== 'object' || doc === null) throw bad('must be an object');
    const j = doc as Record<string, unknown>;
    if (j.format !== 'hwnas-cost-model/1') throw bad(`"format" must be "hwnas-cost-model/1", got ${JSON.stringify(j.format)}`);
    if (typeof j.target !== 'string') throw bad('"target" must be a string');
    for (const f of ['samples', 'scale', 'noiseVariance', 'priorVariance'] as const) {
      if (typeof j[f] !== 'number' || !((j[f] as number) > 0)) throw bad(`"${f}" must be a positive number`);
    }
    if (!Array.isArray(j.terms) || j.terms.length === 0) throw bad('"terms" must be a non-empty array');
    const terms = (j.terms as unknown[]).map((raw, k): ReferenceTerm => {
      const t = raw as Record<string, unknown>;
      const nums = (v: unknown, n: number) => Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number' && Number.isFinite(x));
      if (typeof t?.name !== 'string' || !(typeof t.columnMean === 'number' && t.columnMean > 0) || !(typeof t.weight === 'number' && t.weight >= 0) || !nums(t.coef, 2) || !nums(t.cov, 3)) {
        throw bad(`terms[${k}] must be { name, columnMean > 0, weight >= 0, coef: [2 numbers], cov: [3 numbers] }`);
      }
      return { name: t.name, columnMean: t.columnMean, weight: t.weight, coef: t.coef as [number, number], cov: t.cov as [number, number, number] };
    });
    return new FittedCostModel({ ...(j as unknown as CostModelJson), terms });
  }
}

/**
 * A reference's predicted relative cost at relative reference cost `z`: its line `a + b z`,
 * floored (see the class doc). Scalars rather than the term: callers hoist them out of their loops.
 */
function lineMean(a: number, b: number, z: number): number {
  return Math.max(a + b * z, LINE_FLOOR_FRACTION * z);
}

/** The predictive variance of a reference's relative cost at `z`: the line's posterior variance (cov [s00, s01, s11]) plus the noise. */
function lineVariance(s00: number, s01: number, s11: number, noiseVariance: number, z: number): number {
  return s00 + 2 * s01 * z + s11 * z * z + noiseVariance;
}

/**
 * Exact Bayesian linear regression of t on [1, z] with prior N((0, 1), pv I) and noise s2:
 * posterior mean and covariance, and the log marginal likelihood of t.
 */
function posterior(z: readonly number[], t: readonly number[], s2: number, pv: number) {
  const K = z.length;
  let sz = 0;
  let szz = 0;
  let r0 = 0;
  let r1 = 0;
  let rr = 0;
  for (let i = 0; i < K; i++) {
    const r = t[i] - z[i]; // residual from the prior mean (a, b) = (0, 1)
    sz += z[i];
    szz += z[i] * z[i];
    r0 += r;
    r1 += z[i] * r;
    rr += r * r;
  }
  // Precision A = I/pv + X'X/s2, X = [1, z].
  const a00 = 1 / pv + K / s2;
  const a01 = sz / s2;
  const a11 = 1 / pv + szz / s2;
  const det = a00 * a11 - a01 * a01;
  const s00 = a11 / det;
  const s01 = -a01 / det;
  const s11 = a00 / det;
  // Posterior mean = w0 + S X'r / s2.
  const d0 = s00 * r0 + s01 * r1;
  const d1 = s01 * r0 + s11 * r1;
  const coef: [number, number] = [d0 / s2, 1 + d1 / s2];
  // Woodbury: r'(s2 I + X P X')^-1 r = r'r/s2 - (X'r)' S (X'r) / s2^2; |.| = s2^K pv^2 |A|.
  const quad = rr / s2 - (r0 * d0 + r1 * d1) / (s2 * s2);
  const logDet = K * Math.log(s2) + 2 * Math.log(pv) + Math.log(det);
  const logEvidence = -0.5 * quad - 0.5 * logDet - 0.5 * K * Math.log(2 * Math.PI);
  return { coef, cov: [s00, s01, s11] as [number, number, number], logEvidence };
}
