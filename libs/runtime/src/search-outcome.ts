import type { SearchRun } from './search-run';
import type { SearchSpec } from './search-spec';

/** Terminal states of a search. */
export type FinishStatus = 'succeeded' | 'failed' | 'cancelled';

/**
 * Why a failed search failed, when it ran to its end: `too_many_failures` (see `maxFailed`) or
 * `no_feasible_architecture` (it has constraints and none of its evaluations met them). Absent for
 * a search that could not be set up.
 */
export type FailureCode = 'too_many_failures' | 'no_feasible_architecture';

/** How a finished search ended. */
export interface SearchOutcome {
  readonly status: FinishStatus;
  readonly reason: string;
  readonly failureCode?: FailureCode;
}

/**
 * The one rule deciding how a search whose loop is finished ended. A search that was cancelled
 * ended cancelled; one that hit `maxFailed` failed; one with constraints that evaluated nothing
 * feasible failed with `no_feasible_architecture` (never a silent success); else it succeeded,
 * with the loop's reason (budget, exhausted, cost-queries).
 */
export function searchOutcome(run: SearchRun, spec: SearchSpec, cancelReason?: string): SearchOutcome {
  if (cancelReason !== undefined || run.finishReason === 'cancelled') return { status: 'cancelled', reason: cancelReason ?? 'cancelled' };
  const counts = run.counts;
  if (run.finishReason === 'failures') {
    return { status: 'failed', reason: `too many failed evaluations: ${counts.evaluationsFailed} (max_failed_evaluations ${spec.maxFailed})`, failureCode: 'too_many_failures' };
  }
  if (run.problem.constraints.length > 0 && run.best() === undefined && !run.pareto()?.length) {
    return {
      status: 'failed',
      reason: `no feasible architecture: none of the ${counts.evaluationsDone} evaluated architectures meets ${spec.constraints.join(' and ')}`,
      failureCode: 'no_feasible_architecture',
    };
  }
  return { status: 'succeeded', reason: run.finishReason };
}
