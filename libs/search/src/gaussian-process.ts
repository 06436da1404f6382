import type { ArchEncoding } from './arch-features';

/**
 * Kernel hyperparameters of {@link CategoricalGp}, on standardised targets (signal variance 1):
 * k(a, b) = (1 - features) * [additive * matches(a, b) / D + (1 - additive) * exp(-theta * hamming(a, b) / D)]
 *           + features * exp(-|f(a) - f(b)|^2 / (2 * FEATURE_LENGTH^2)),
 * plus `noise` on the diagonal, over the {@link ArchEncoding}s of the architectures. The first
 * term is the linear kernel of the one-hot encoding (an additive model over decisions: what costs
 * mostly are); the second is the exponentiated Hamming kernel of COMBO / CoCaBO, which carries
 * the interactions; the third compares whole-network summaries (op counts, connectivity,
 * effective depth), which generalise from a few dozen points where the decisions alone cannot
 * (`scripts/surrogate-quality.ts` measures the rank correlation on unseen NB201 cells).
 */
export interface GpHyper {
  readonly additive: number;
  readonly theta: number;
  readonly noise: number;
  /** Weight of the feature term (absent in snapshots taken before it existed: 0). */
  readonly features?: number;
}

/** Length scale of the feature term, in feature units (counts of ops, depth in layers). */
const FEATURE_LENGTH = 2;

/** The grid {@link selectHyper} searches (3 x 3 x 2 x 3 settings; cheap enough to refit now and then). */
export const HYPER_GRID: readonly GpHyper[] = (() => {
  const out: GpHyper[] = [];
  for (const additive of [0.2, 0.5, 0.8])
    for (const theta of [1, 3, 8]) for (const noise of [0.01, 0.1]) for (const features of [0, 0.6, 0.85]) out.push({ additive, theta, noise, features });
  return out;
})();

/** A Gaussian-process posterior at one architecture, in the units of the targets. */
export interface GpPrediction {
  readonly mean: number;
  readonly sd: number;
}

/**
 * Hamming distances and feature-term similarities of all pairs of a data set (lower triangles,
 * row-major n x n): what every kernel of the grid is built from, so that a hyperparameter search
 * computes them (and their exps) once.
 */
interface PairDistances {
  readonly hamming: Float64Array;
  readonly features: Float64Array;
}

function pairDistances(points: readonly ArchEncoding[]): PairDistances {
  const n = points.length;
  const hamming = new Float64Array(n * n);
  const features = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      hamming[i * n + j] = hammingOf(points[i], points[j]);
      features[i * n + j] = featureSimilarity(points[i], points[j]);
    }
  }
  return { hamming, features };
}

function hammingOf(a: ArchEncoding, b: ArchEncoding): number {
  let ham = 0;
  for (let i = 0; i < a.arch.length; i++) if (a.arch[i] !== b.arch[i]) ham++;
  return ham;
}

/**
 * exp(-d2 / (2 FEATURE_LENGTH^2)) for the integer squared distances 0..255: the features are
 * counts, so their squared distances are small integers, and an exp per pair is most of a kernel.
 */
const FEATURE_SIMILARITY_TABLE = Float64Array.from({ length: 256 }, (_, d2) => Math.exp(-d2 / (2 * FEATURE_LENGTH * FEATURE_LENGTH)));

/** The feature term's similarity exp(-|f(a) - f(b)|^2 / (2 FEATURE_LENGTH^2)) (1 when there are no features). */
function featureSimilarity(a: ArchEncoding, b: ArchEncoding): number {
  let d2 = 0;
  for (let i = 0; i < a.features.length; i++) d2 += (a.features[i] - b.features[i]) ** 2;
  return similarityAt(d2);
}

/** The feature similarity at squared distance `d2`, from the table when `d2` is a small integer. */
function similarityAt(d2: number): number {
  return d2 < 256 && (d2 | 0) === d2 ? FEATURE_SIMILARITY_TABLE[d2] : Math.exp(-d2 / (2 * FEATURE_LENGTH * FEATURE_LENGTH));
}

/**
 * Gaussian-process regression over architectures of categorical decisions with the kernel of
 * {@link GpHyper}. Targets are standardised internally; the fit is one dense Cholesky
 * factorisation (O(n^3 / 6)), a prediction O(n D + n^2 / 2). Callers keep n in the low hundreds.
 */
export class CategoricalGp {
  private readonly n: number;
  /** Lower-triangular Cholesky factor of K + noise I, row-major (L[i][j] at i * n + j). */
  private readonly l: Float64Array;
  private readonly alpha: Float64Array;
  private readonly mu: number;
  private readonly scale: number;
  /** Log marginal likelihood of the standardised targets (NaN when the factorisation failed). */
  readonly logLikelihood: number;
  private readonly work: Float64Array;
  /** The decisions' part of the kernel at each Hamming distance 0..D (an exp per pair is the cost of a prediction). */
  private readonly decisionTerm: Float64Array;
  /**
   * The data points' decisions and features as flat typed arrays (row i at i * width): a prediction
   * computes n kernels, and reading them from here instead of each point's arrays is several times
   * faster (15,625 predictions on 100 points: a cost screen's whole space).
   */
  private readonly flatArchs: Float64Array;
  private readonly flatFeatures: Float64Array;
  private readonly archWidth: number;
  private readonly featureWidth: number;

  /**
   * `distances`: the data's pair distances when the caller already has them (a hyperparameter
   * search). `previous`: a model fitted earlier whose data points are the first of `points`, with
   * the same hyperparameters; its factor is extended by the new rows (O(n^2) per new point instead
   * of O(n^3 / 6) for the whole, and the same numbers to the bit: the factorisation's operations
   * on the old rows do not depend on the new ones). Ignored when it does not apply.
   */
  constructor(
    private readonly points: readonly ArchEncoding[],
    ys: readonly number[],
    readonly hyper: GpHyper,
    distances?: PairDistances,
    previous?: CategoricalGp,
  ) {
    const n = points.length;
    this.n = n;
    const d = Math.max(points[0]?.arch.length ?? 1, 1);
    this.archWidth = points[0]?.arch.length ?? 0;
    this.featureWidth = points[0]?.features.length ?? 0;
    this.flatArchs = new Float64Array(n * this.archWidth);
    this.flatFeatures = new Float64Array(n * this.featureWidth);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < this.archWidth; k++) this.flatArchs[i * this.archWidth + k] = points[i].arch[k];
      for (let k = 0; k < this.featureWidth; k++) this.flatFeatures[i * this.featureWidth + k] = points[i].features[k];
    }
    this.decisionTerm = Float64Array.from({ length: d + 1 }, (_, ham) => hyper.additive * (1 - ham / d) + (1 - hyper.additive) * Math.exp((-hyper.theta * ham) / d));
    let mu = 0;
    for (const y of ys) mu += y;
    mu /= Math.max(n, 1);
    let v = 0;
    for (const y of ys) v += (y - mu) ** 2;
    this.mu = mu;
    this.scale = Math.sqrt(v / Math.max(n - 1, 1)) || 1;
    const z = ys.map((y) => (y - mu) / this.scale);
    const kept = previous && !distances ? previous.prefixOf(points, hyper) : 0;
    const l = new Float64Array(n * n);
    for (let i = 0; i < kept; i++) l.set(previous!.l.subarray(i * kept, i * kept + i + 1), i * n);
    if (distances) {
      const { hamming, features } = distances;
      for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) l[i * n + j] = this.kernelOf(hamming[i * n + j], features[i * n + j]);
    } else {
      for (let i = kept; i < n; i++) for (let j = 0; j <= i; j++) l[i * n + j] = this.kernelTo(points[i], j);
    }
    for (let i = kept; i < n; i++) l[i * n + i] += hyper.noise;
    const ok = choleskyInPlace(l, n, kept);
    this.l = l;
    this.alpha = Float64Array.from(z);
    this.work = new Float64Array(n);
    if (!ok) {
      this.alpha.fill(0);
      this.logLikelihood = NaN;
      return;
    }
    forwardSubstitute(l, n, this.alpha);
    let quad = 0;
    let logDet = 0;
    for (let i = 0; i < n; i++) {
      quad += this.alpha[i] ** 2;
      logDet += Math.log(l[i * n + i]);
    }
    this.logLikelihood = -0.5 * quad - logDet - 0.5 * n * Math.log(2 * Math.PI);
    backSubstitute(l, n, this.alpha);
  }

  /**
   * How many of `points` this model's factor serves as they are: all of its own data points when
   * they are the first of `points` and `hyper` is its own, else 0. A failed factorisation serves none.
   */
  private prefixOf(points: readonly ArchEncoding[], hyper: GpHyper): number {
    const h = this.hyper;
    if (Number.isNaN(this.logLikelihood) || this.n > points.length) return 0;
    if (h.additive !== hyper.additive || h.theta !== hyper.theta || h.noise !== hyper.noise || (h.features ?? 0) !== (hyper.features ?? 0)) return 0;
    for (let i = 0; i < this.n; i++) {
      const a = this.points[i];
      const b = points[i];
      if (a === b) continue;
      if (a.arch.length !== b.arch.length || a.features.length !== b.features.length) return 0;
      for (let k = 0; k < a.arch.length; k++) if (a.arch[k] !== b.arch[k]) return 0;
      for (let k = 0; k < a.features.length; k++) if (a.features[k] !== b.features[k]) return 0;
    }
    return this.n;
  }

  /** The kernel (without noise) between two encoded architectures. */
  kernel(a: ArchEncoding, b: ArchEncoding): number {
    const w = this.hyper.features ?? 0;
    return this.kernelOf(hammingOf(a, b), w === 0 ? 1 : featureSimilarity(a, b));
  }

  /** {@link kernel} between `point` and data point `i`, read from the flat arrays (the same number). */
  private kernelTo(point: ArchEncoding, i: number): number {
    const arch = point.arch;
    const aw = this.archWidth;
    let ham = 0;
    for (let k = 0, o = i * aw; k < aw; k++, o++) if (arch[k] !== this.flatArchs[o]) ham++;
    if ((this.hyper.features ?? 0) === 0) return this.decisionTerm[ham];
    const features = point.features;
    const fw = this.featureWidth;
    let d2 = 0;
    for (let k = 0, o = i * fw; k < fw; k++, o++) d2 += (features[k] - this.flatFeatures[o]) ** 2;
    return this.kernelOf(ham, similarityAt(d2));
  }

  private kernelOf(ham: number, similarity: number): number {
    const w = this.hyper.features ?? 0;
    const decisions = this.decisionTerm[ham];
    return w === 0 ? decisions : (1 - w) * decisions + w * similarity;
  }

  /**
   * The kernel between `point` and each data point: what {@link meanAt} and {@link predictAt}
   * take, so that a caller scoring a candidate first by its mean and later exactly computes it
   * once. Owned by the caller.
   */
  kernels(point: ArchEncoding): Float64Array {
    const k = new Float64Array(this.n);
    for (let i = 0; i < this.n; i++) k[i] = this.kernelTo(point, i);
    return k;
  }

  /** Posterior mean from a point's {@link kernels} (O(n)). */
  meanAt(kernels: Float64Array): number {
    let mean = 0;
    for (let i = 0; i < this.n; i++) mean += kernels[i] * this.alpha[i];
    return this.mu + this.scale * mean;
  }

  /** Posterior mean and standard deviation from a point's {@link kernels} (O(n^2); `kernels` is left unchanged). */
  predictAt(kernels: Float64Array): GpPrediction {
    const k = this.work;
    k.set(kernels);
    return this.posterior(k);
  }

  /**
   * An upper bound of the posterior sd from a point's {@link kernels} in O(n): the sd given only
   * the most similar data point, as conditioning on more data never widens a Gaussian posterior.
   * Near the data it is far tighter than {@link priorSd}.
   */
  sdBoundAt(kernels: Float64Array): number {
    let most = 0;
    for (let i = 0; i < this.n; i++) most = Math.max(most, Math.abs(kernels[i]));
    return this.scale * Math.sqrt(Math.max(1 - (most * most) / (1 + this.hyper.noise), 1e-12));
  }

  /** Prior standard deviation of the latent function (k(x, x) = 1 on standardised targets): an upper bound of every posterior sd. */
  get priorSd(): number {
    return this.scale;
  }

  /** Posterior mean at `point` (O(n), without the variance's O(n^2) solve). */
  mean(point: ArchEncoding): number {
    let mean = 0;
    for (let i = 0; i < this.n; i++) mean += this.kernelTo(point, i) * this.alpha[i];
    return this.mu + this.scale * mean;
  }

  /** Posterior mean and standard deviation (of the latent function, without noise) at `point`. */
  predict(point: ArchEncoding): GpPrediction {
    const k = this.work;
    for (let i = 0; i < this.n; i++) k[i] = this.kernelTo(point, i);
    return this.posterior(k);
  }

  /** The posterior from the kernel vector `k` (overwritten by the solve). */
  private posterior(k: Float64Array): GpPrediction {
    const { n, l } = this;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += k[i] * this.alpha[i];
    forwardSubstitute(l, n, k);
    let explained = 0;
    for (let i = 0; i < n; i++) explained += k[i] * k[i];
    const variance = Math.max(1 - explained, 1e-12);
    return { mean: this.mu + this.scale * mean, sd: this.scale * Math.sqrt(variance) };
  }
}

/**
 * The hyperparameters of {@link HYPER_GRID} with the highest marginal likelihood on the data
 * (type-II maximum likelihood over a grid: deterministic and robust on a few dozen points), or
 * of `grid` when given.
 */
export function selectHyper(points: readonly ArchEncoding[], ys: readonly number[], grid: readonly GpHyper[] = HYPER_GRID): GpHyper {
  const distances = pairDistances(points);
  let best = grid[0];
  let bestLl = -Infinity;
  for (const h of grid) {
    const ll = new CategoricalGp(points, ys, h, distances).logLikelihood;
    if (ll > bestLl) {
      best = h;
      bestLl = ll;
    }
  }
  return best;
}

/**
 * In-place Cholesky factorisation of the lower triangle of a row-major n x n matrix; false if not
 * positive definite. Rows before `from` already hold the factor of the leading block: only the
 * rows from `from` on are computed, by the same operations in the same order as a whole
 * factorisation would (so the result is the same to the bit).
 */
function choleskyInPlace(a: Float64Array, n: number, from = 0): boolean {
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    const d = j < from ? a[rj + j] : Math.sqrt(diagonalRemainder(a, rj, j));
    if (!(d > 0)) return false;
    a[rj + j] = d;
    for (let i = Math.max(j + 1, from); i < n; i++) {
      const ri = i * n;
      let t = a[ri + j];
      for (let k = 0; k < j; k++) t -= a[ri + k] * a[rj + k];
      a[ri + j] = t / d;
    }
  }
  return true;
}

/** a[j][j] minus the squares of row j's factor entries before the diagonal. */
function diagonalRemainder(a: Float64Array, rj: number, j: number): number {
  let s = a[rj + j];
  for (let k = 0; k < j; k++) s -= a[rj + k] * a[rj + k];
  return s;
}

/** Solves L x = b in place (L lower-triangular, row-major). */
function forwardSubstitute(l: Float64Array, n: number, b: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[ri + k] * b[k];
    b[i] = s / l[ri + i];
  }
}

/** Solves L^T x = b in place. */
function backSubstitute(l: Float64Array, n: number, b: Float64Array): void {
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * b[k];
    b[i] = s / l[i * n + i];
  }
}

/** Standard normal density. */
export function normalPdf(z: number): number {
  return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
}

/** Standard normal distribution function (Abramowitz-Stegun 7.1.26 on erf; absolute error < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** E[(Y - threshold)^+] for Y ~ N(mean, sd^2): expected improvement over `threshold`. */
export function expectedExcess(mean: number, sd: number, threshold: number): number {
  if (!(sd > 1e-12)) return Math.max(mean - threshold, 0);
  const z = (mean - threshold) / sd;
  return sd * (z * normalCdf(z) + normalPdf(z));
}
