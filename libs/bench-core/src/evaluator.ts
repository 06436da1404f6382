import type { MetricInfo, Metrics } from './metrics';
import type { Arch } from './space/space';

/**
 * Evaluates architectures of one space on one dataset: the benchmark's view of an evaluation
 * (a table lookup, a simulator, a real measurement or training). Returns flat metrics keyed by
 * name (see `metrics.ts`). Implementations must be safe to call concurrently.
 */
export interface Evaluator {
  /** The metrics `evaluate` returns. */
  readonly metrics: readonly MetricInfo[];
  /** Evaluates one architecture; rejects with a NasError (retryable where a retry may help). */
  evaluate(arch: Arch, signal?: AbortSignal): Promise<Metrics>;
}
