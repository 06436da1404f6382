import type { Rng } from '@hwnas/bench-core';

/** JSON state of {@link CostStrata}: the normalised cost stratum and score of each evaluation. */
export interface CostStrataState {
  readonly strata: number[];
  readonly scores: number[];
}

/**
 * A Beta-Bernoulli Thompson-sampling model of WHERE on the cost axis the good architectures are,
 * for cost-first search: the feasible cost range [0, bound] is cut into `bins` strata by
 * cost / bound; an evaluation is a "hit" when its score is in the top `topFraction` of all scores
 * so far. {@link draw} samples each stratum's hit rate from Beta(1 + hits, 1 + misses). It learns,
 * for instance, that under a latency bound the most accurate architectures sit just below it
 * (the accuracy/cost front rises with cost), without being told so. Plain data; deterministic.
 */
export class CostStrata {
  private readonly strata: number[];
  private readonly scores: number[];

  constructor(
    readonly bins: number,
    readonly topFraction: number,
    state?: CostStrataState,
  ) {
    this.strata = state ? state.strata.slice() : [];
    this.scores = state ? state.scores.slice() : [];
  }

  /** Stratum of a cost normalised by its bound (values outside [0, 1] are clamped). */
  stratum(normalisedCost: number): number {
    if (!(normalisedCost > 0)) return 0;
    return Math.min(this.bins - 1, Math.floor(normalisedCost * this.bins));
  }

  /** Records the score of one evaluated, feasible architecture in its stratum. */
  record(stratum: number, score: number): void {
    this.strata.push(stratum);
    this.scores.push(score);
  }

  /** Number of evaluations recorded. */
  get size(): number {
    return this.scores.length;
  }

  /** One Thompson draw of every stratum's hit rate. */
  draw(rng: Rng): number[] {
    const hits = new Array<number>(this.bins).fill(0);
    const total = new Array<number>(this.bins).fill(0);
    if (this.scores.length > 0) {
      const sorted = this.scores.slice().sort((a, b) => b - a);
      const cut = sorted[Math.min(sorted.length - 1, Math.floor(this.topFraction * sorted.length))];
      this.scores.forEach((s, i) => {
        total[this.strata[i]]++;
        if (s >= cut) hits[this.strata[i]]++;
      });
    }
    return hits.map((h, k) => betaSample(rng, 1 + h, 1 + total[k] - h));
  }

  state(): CostStrataState {
    return { strata: this.strata.slice(), scores: this.scores.slice() };
  }
}

/** Gamma(shape, 1) deviate (Marsaglia-Tsang). */
function gammaSample(rng: Rng, shape: number): number {
  if (shape < 1) return gammaSample(rng, shape + 1) * Math.pow(1 - rng.next(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng.next();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Beta(a, b) deviate. */
export function betaSample(rng: Rng, a: number, b: number): number {
  const x = gammaSample(rng, a);
  const y = gammaSample(rng, b);
  return x / (x + y);
}
