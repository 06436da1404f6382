import { InvalidArgumentError } from '@hwnas/bench-core';
import { hypervolume } from '../pareto';

/**
 * The search-benchmark tasks of `bench/TASKS.md` (NAS-Bench-201 CIFAR-10, hardware-aware), as
 * pure functions over dense columns indexed by benchmark index.
 */

/** Percentile `q` (0..100) of `values` with numpy's default linear interpolation. */
export function percentile(values: ArrayLike<number>, q: number): number {
  if (!(q >= 0 && q <= 100)) throw new InvalidArgumentError(`percentile must be in 0..100, got ${q}`);
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) throw new InvalidArgumentError('percentile of an empty column');
  const pos = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Task C on one device: maximise accuracy subject to cost <= T (T = 25th percentile). */
export interface TaskCInfo {
  /** The latency bound T (25th percentile of the device's column). */
  readonly threshold: number;
  /** Best feasible accuracy in the whole space. */
  readonly optimum: number;
  /** Benchmark index of the optimum (the first one in index order). */
  readonly optimumIndex: number;
  /** Lowest feasible accuracy (regret of a run that found nothing feasible is optimum - this). */
  readonly worstFeasible: number;
  readonly feasibleCount: number;
}

/** Computes {@link TaskCInfo} from the accuracy and cost columns. */
export function taskC(accuracy: ArrayLike<number>, cost: ArrayLike<number>, quantile = 25): TaskCInfo {
  const threshold = percentile(cost, quantile);
  let optimum = -Infinity;
  let optimumIndex = -1;
  let worstFeasible = Infinity;
  let feasibleCount = 0;
  for (let i = 0; i < accuracy.length; i++) {
    if (!(cost[i] <= threshold)) continue;
    feasibleCount++;
    if (accuracy[i] > optimum) {
      optimum = accuracy[i];
      optimumIndex = i;
    }
    worstFeasible = Math.min(worstFeasible, accuracy[i]);
  }
  return { threshold, optimum, optimumIndex, worstFeasible, feasibleCount };
}

/**
 * Regret of the evaluated benchmark indices `indices` (the first N distinct evaluations): optimum
 * minus the best feasible accuracy among them; when none is feasible, optimum - worst feasible
 * and `noneFeasible` is set.
 */
export function regretOf(info: TaskCInfo, accuracy: ArrayLike<number>, cost: ArrayLike<number>, indices: readonly number[]): { regret: number; noneFeasible: boolean } {
  let best = -Infinity;
  for (const i of indices) if (cost[i] <= info.threshold && accuracy[i] > best) best = accuracy[i];
  if (best === -Infinity) return { regret: info.optimum - info.worstFeasible, noneFeasible: true };
  return { regret: info.optimum - best, noneFeasible: false };
}

/** Task P on one device: maximise accuracy, minimise cost; hypervolume of normalised values. */
export interface TaskPInfo {
  readonly accuracyMin: number;
  readonly accuracyMax: number;
  readonly costMin: number;
  readonly costMax: number;
  /** Hypervolume of the true Pareto front of the whole space. */
  readonly trueHv: number;
  /** Number of distinct (accuracy, cost) points on the true front. */
  readonly frontSize: number;
}

/** Computes {@link TaskPInfo}: normalisation ranges over the whole space and the true front's HV. */
export function taskP(accuracy: ArrayLike<number>, cost: ArrayLike<number>): TaskPInfo {
  let accuracyMin = Infinity;
  let accuracyMax = -Infinity;
  let costMin = Infinity;
  let costMax = -Infinity;
  for (let i = 0; i < accuracy.length; i++) {
    accuracyMin = Math.min(accuracyMin, accuracy[i]);
    accuracyMax = Math.max(accuracyMax, accuracy[i]);
    costMin = Math.min(costMin, cost[i]);
    costMax = Math.max(costMax, cost[i]);
  }
  const ranges = { accuracyMin, accuracyMax, costMin, costMax };
  const all = Array.from({ length: accuracy.length }, (_, i) => i);
  const points = normalisedPoints(ranges, accuracy, cost, all);
  return { ...ranges, trueHv: hypervolume(points, HV_REF), frontSize: frontSize(points) };
}

/** Reference point in minimisation form: accuracy 0 (negated) and cost 1, both normalised. */
const HV_REF = [0, 1];

function normalisedPoints(
  r: Pick<TaskPInfo, 'accuracyMin' | 'accuracyMax' | 'costMin' | 'costMax'>,
  accuracy: ArrayLike<number>,
  cost: ArrayLike<number>,
  indices: readonly number[],
): number[][] {
  const da = r.accuracyMax - r.accuracyMin || 1;
  const dc = r.costMax - r.costMin || 1;
  return indices.map((i) => [-(accuracy[i] - r.accuracyMin) / da, (cost[i] - r.costMin) / dc]);
}

function frontSize(points: readonly (readonly number[])[]): number {
  const sorted = points.slice().sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  let best = Infinity;
  let n = 0;
  for (const p of sorted) {
    if (p[0] < best) {
      best = p[0];
      n++;
    }
  }
  return n;
}

/** HV ratio and gap of the evaluated indices against the true front. */
export function hvOf(info: TaskPInfo, accuracy: ArrayLike<number>, cost: ArrayLike<number>, indices: readonly number[]): { ratio: number; gap: number } {
  const ratio = hypervolume(normalisedPoints(info, accuracy, cost, indices), HV_REF) / info.trueHv;
  return { ratio, gap: 1 - ratio };
}
