import { InvalidArgumentError } from '@hwnas/bench-core';
import { kendallTau } from '@hwnas/device-backends/internal';
import { quantile, spearman } from '@hwnas/onnx';

// The rank statistics live where they were first needed (device-backends, onnx); re-exported
// here so the harness and its callers have one place to take them from.
export { kendallTau, spearman };

/** Mean absolute percentage error of `predicted` against `actual` (a fraction: 0.1 = 10 %). */
export function mape(predicted: ArrayLike<number>, actual: ArrayLike<number>): number {
  if (predicted.length !== actual.length || actual.length === 0) throw new InvalidArgumentError(`mape: need two samples of equal, non-zero length, got ${predicted.length} and ${actual.length}`);
  let s = 0;
  for (let i = 0; i < actual.length; i++) {
    if (!(actual[i] > 0)) throw new InvalidArgumentError(`mape: actual value ${i} must be positive, got ${actual[i]}`);
    s += Math.abs(predicted[i] - actual[i]) / actual[i];
  }
  return s / actual.length;
}

/** Median of a sample (NaN when empty). */
export function median(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : quantile(Float64Array.from(xs).sort(), 0.5);
}
