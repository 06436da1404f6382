import { InvalidArgumentError, Rng } from '@hwnas/bench-core';
import { DEFAULT_NOISE_VARIANCE, DEFAULT_PRIOR_VARIANCE, FittedCostModel } from './model';
import type { CostSample } from './model';
import type { ReferenceCosts } from './references';
import { withoutReferences } from './references';
import { spearman } from './stats';

/** Noise variances meta-learning chooses from (relative to a device's mean cost squared). */
export const NOISE_VARIANCE_GRID: readonly number[] = [0.0003, 0.001, 0.003, 0.01, 0.03];
/** Prior variances of intercept and slope meta-learning chooses from. */
export const PRIOR_VARIANCE_GRID: readonly number[] = [0.1, 1];

/** How to meta-learn the noise variance across the known devices. */
export interface MetaLearnOptions {
  /** Reference columns that are devices (each in turn plays the new device). Default: all. */
  readonly devices?: readonly string[];
  /** Samples per pseudo-new device. Default 10. */
  readonly samples?: number;
  /** Random draws per pseudo-new device. Default 3 (seeds 0..2). */
  readonly draws?: number;
  readonly grid?: readonly number[];
  readonly priorGrid?: readonly number[];
  /** Architectures the Spearman is scored on (a fixed-seed subset, for speed). Default 2000. */
  readonly scoredRows?: number;
}

/** The chosen hyperparameters and the mean Spearman of each grid point. */
export interface MetaLearnResult {
  readonly noiseVariance: number;
  readonly priorVariance: number;
  readonly spearmanByGrid: readonly { readonly noiseVariance: number; readonly priorVariance: number; readonly spearman: number }[];
}

/**
 * Learns the model's noise and prior variances from the known devices alone: each known device in
 * turn is held out of the references and predicted from `samples` random rows of its own column,
 * and the grid point with the best mean Spearman over all of them wins. Whatever is being evaluated
 * must not be among `refs` (that is the caller's leave-one-out), so nothing about it leaks in.
 */
export function metaLearnNoise(refs: ReferenceCosts, options: MetaLearnOptions = {}): MetaLearnResult {
  const devices = options.devices ?? refs.names;
  const k = options.samples ?? 10;
  const draws = options.draws ?? 3;
  const grid = (options.grid ?? NOISE_VARIANCE_GRID).flatMap((noiseVariance) => (options.priorGrid ?? PRIOR_VARIANCE_GRID).map((priorVariance) => ({ noiseVariance, priorVariance })));
  for (const d of devices) if (!refs.names.includes(d)) throw new InvalidArgumentError(`meta-learning: "${d}" is not a reference column`);
  if (devices.length < 2) return { noiseVariance: DEFAULT_NOISE_VARIANCE, priorVariance: DEFAULT_PRIOR_VARIANCE, spearmanByGrid: [] };
  const scores = grid.map(() => 0);
  // Scored on a fixed subset of rows: the ranking over 2,000 architectures picks the same grid
  // value as over all of them at a fraction of the sorting.
  const scored = sampleRows(refs.size, Math.min(refs.size, options.scoredRows ?? 2000), SCORED_ROWS_SEED).sort((a, b) => a - b);
  const subset = (r: ReferenceCosts): ReferenceCosts => ({ names: r.names, columns: r.columns.map((c) => Float64Array.from(scored, (i) => c[i])), size: scored.length });
  for (const d of devices) {
    const column = refs.columns[refs.names.indexOf(d)];
    const truth = Float64Array.from(scored, (i) => column[i]);
    const others = withoutReferences(refs, [d]);
    const othersScored = subset(others);
    for (let seed = 0; seed < draws; seed++) {
      const rows = sampleRows(refs.size, k, seed);
      const samples: CostSample[] = rows.map((row) => ({ row, value: column[row] }));
      grid.forEach((hyper, g) => {
        const p = FittedCostModel.fit(d, others, samples, hyper).predictRows(othersScored);
        scores[g] += spearman(p.mean, truth) / (devices.length * draws);
      });
    }
  }
  let best = 0;
  for (let g = 1; g < grid.length; g++) if (scores[g] > scores[best]) best = g;
  return { ...grid[best], spearmanByGrid: grid.map((hyper, g) => ({ ...hyper, spearman: scores[g] })) };
}

const SCORED_ROWS_SEED = 20211;

/** `k` distinct rows of 0..size-1 drawn with the project's seeded generator. */
export function sampleRows(size: number, k: number, seed: number): number[] {
  if (!Number.isInteger(k) || k < 1 || k > size) throw new InvalidArgumentError(`cannot draw ${k} distinct architectures out of ${size}`);
  const rng = new Rng(seed);
  const chosen = new Set<number>();
  while (chosen.size < k) chosen.add(rng.int(size));
  return [...chosen];
}
