import type { Metrics } from '@hwnas/bench-core';
import type { TrialEvaluator } from '../ports/trial-evaluator';

/**
 * Answers as `inner` for the first `n` evaluations, then never again: a worker that hung or died
 * holding its tasks, so that a test can restart the coordinator in the middle of a search.
 */
export function stallingAfter(n: number, inner: TrialEvaluator): TrialEvaluator {
  let served = 0;
  return { evaluate: (task) => (++served <= n ? inner.evaluate(task) : new Promise<Metrics>(() => undefined)) };
}
