import { InvalidArgumentError } from '@hwnas/bench-core';

/**
 * Kendall's tau-b of two paired samples, with ties, in O(n log n) (Knight's algorithm, as SciPy
 * computes it): sort by (x, y), count tied pairs in x, in y and in both, and count discordant
 * pairs as the inversions of y left by a merge sort. tau-b = (n0 - n1 - n2 + n3 - 2 D) /
 * sqrt((n0 - n1)(n0 - n2)), with n0 = n(n-1)/2 pairs, n1 / n2 tied in x / y, n3 tied in both and D
 * discordant. NaN when either sample is constant. Pure; throws InvalidArgumentError for samples of
 * different lengths, fewer than 2 values, or non-finite values.
 */
export function kendallTau(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  if (y.length !== n) throw new InvalidArgumentError(`kendallTau: samples differ in length (${n} vs ${y.length})`);
  if (n < 2) throw new InvalidArgumentError('kendallTau: needs at least 2 pairs');
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) throw new InvalidArgumentError(`kendallTau: pair ${i} is not finite (${x[i]}, ${y[i]})`);
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a] - x[b] || y[a] - y[b]);
  const xs = Float64Array.from(order, (i) => x[i]);
  const ys = Float64Array.from(order, (i) => y[i]);

  // Pairs tied in x, and tied in both (runs of equal x, and of equal (x, y) within them).
  let tiedX = 0;
  let tiedXY = 0;
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && xs[j] === xs[i]) j++;
    tiedX += ((j - i) * (j - i - 1)) / 2;
    for (let k = i; k < j; ) {
      let l = k + 1;
      while (l < j && ys[l] === ys[k]) l++;
      tiedXY += ((l - k) * (l - k - 1)) / 2;
      k = l;
    }
    i = j;
  }
  // Discordant pairs = inversions of y in (x, y) order; the merge sort leaves y sorted.
  const discordant = mergeSortInversions(ys, new Float64Array(n));
  let tiedY = 0;
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && ys[j] === ys[i]) j++;
    tiedY += ((j - i) * (j - i - 1)) / 2;
    i = j;
  }
  const pairs = (n * (n - 1)) / 2;
  const denominator = Math.sqrt((pairs - tiedX) * (pairs - tiedY));
  if (denominator === 0) return NaN;
  // Rounding may push a perfect (anti-)correlation a hair past +-1.
  return Math.max(-1, Math.min(1, (pairs - tiedX - tiedY + tiedXY - 2 * discordant) / denominator));
}

/** Sorts `a` ascending in place (bottom-up merge sort) and returns its number of strict inversions. */
function mergeSortInversions(a: Float64Array, buf: Float64Array): number {
  const n = a.length;
  let inversions = 0;
  let src = a;
  let dst = buf;
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        // Equal values are not inversions: take from the left run first.
        if (src[j] < src[i]) {
          inversions += mid - i;
          dst[k++] = src[j++];
        } else {
          dst[k++] = src[i++];
        }
      }
      while (i < mid) dst[k++] = src[i++];
      while (j < hi) dst[k++] = src[j++];
    }
    [src, dst] = [dst, src];
  }
  if (src !== a) a.set(src);
  return inversions;
}
