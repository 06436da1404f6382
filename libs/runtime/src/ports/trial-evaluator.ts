import type { MetricInfo, Metrics } from '@hwnas/bench-core';
import type { EvalTask } from './task-queue';

/**
 * What a worker runs for a task: accuracy (tables, proxy, or a trainer) and costs (tables or
 * device backends), as flat metrics. Fails with a NasError; `retryable` ones are retried.
 */
export interface TrialEvaluator {
  /**
   * The metrics, or a promise of them. An answer at hand (a table lookup) may come back directly
   * (and a failure be thrown), which spares the worker a promise and a microtask per evaluation;
   * callers `await` the value either way.
   */
  evaluate(task: EvalTask, signal?: AbortSignal): Metrics | Promise<Metrics>;
}

/** Measures costs of an architecture on a device (in-process backend or a remote agent). */
export interface DeviceClient {
  /** Cost metrics of the device in HW-NAS-Bench naming, e.g. `{ eyeriss_latency, eyeriss_energy }`. */
  measure(device: string, req: { space: string; dataset: string; arch: string }, signal?: AbortSignal): Promise<Metrics>;
}

/**
 * A training-free accuracy proxy (e.g. NASWOT): a score of the untrained network that ranks
 * architectures roughly as their trained accuracy would, for when no accuracy table exists.
 */
export interface AccuracyProxy {
  /** The metric the score is reported as (higher is better). */
  readonly metric: MetricInfo;
  score(req: { space: string; dataset: string; arch: string }, signal?: AbortSignal): Promise<number>;
}
