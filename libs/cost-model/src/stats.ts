import { InvalidArgumentError } from '@hwnas/bench-core';
import { kendallTau } from '@hwnas/device-backends/internal';
import { quantile, spearman } from '@hwnas/onnx';

// The rank statistics live where they were first needed (device-backends, onnx); re-exported
// here so the harness and its callers have one place to take them from.
export { kendallTau, spearman };

/**
 * Mean absolute percentage error of `predicted` against `actual` (a fraction: 0.1 = 10 %), over
 * the items whose actual value is at least `minActual` (default: every item); NaN when none is.
 */
export function mape(predicted: ArrayLike<number>, actual: ArrayLike<number>, minActual = 0): number {
  if (predicted.length !== actual.length || actual.length === 0) throw new InvalidArgumentError(`mape: need two samples of equal, non-zero length, got ${predicted.length} and ${actual.length}`);
  let s = 0;
  let n = 0;
  for (let i = 0; i < actual.length; i++) {
    if (!(actual[i] > 0)) throw new InvalidArgumentError(`mape: actual value ${i} must be positive, got ${actual[i]}`);
    if (actual[i] < minActual) continue;
    s += Math.abs(predicted[i] - actual[i]) / actual[i];
    n++;
  }
  return n === 0 ? NaN : s / n;
}

/** Median of a sample (NaN when empty). */
export function median(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : quantile(Float64Array.from(xs).sort(), 0.5);
}
