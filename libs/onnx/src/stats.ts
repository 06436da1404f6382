import { InvalidArgumentError } from '@hwnas/bench-core';

/**
 * Fractional ranks (1-based; tied values share the mean of their ranks), as used by Spearman's rho.
 * `-Infinity` and `Infinity` rank as the smallest and largest values. Pure; throws
 * {@link InvalidArgumentError} on NaN.
 */
export function fractionalRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < n; i++) if (Number.isNaN(values[i])) throw new InvalidArgumentError(`ranks: value ${i} is NaN`);
  order.sort((a, b) => (values[a] < values[b] ? -1 : values[a] > values[b] ? 1 : 0));
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]] === values[order[i]]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]] = r;
    i = j + 1;
  }
  return ranks;
}

/** Pearson correlation of two equally long samples (NaN if either is constant). Pure. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  if (n !== y.length || n < 2) throw new InvalidArgumentError(`pearson: need two samples of equal length >= 2, got ${x.length} and ${y.length}`);
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/**
 * Spearman's rank correlation rho: the Pearson correlation of the fractional ranks (so ties are
 * handled like `scipy.stats.spearmanr`). Pure; throws {@link InvalidArgumentError} on NaN or
 * mismatched lengths.
 */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  return pearson(fractionalRanks(x), fractionalRanks(y));
}
