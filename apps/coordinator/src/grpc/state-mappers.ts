/** A search's lifecycle in the API: state, how it ended, counts. */
import type { SearchView } from '@hwnas/runtime';
import { FinishReason, SearchState, StopReason } from '@hwnas/proto';
import type { SearchCounts } from '@hwnas/proto';

/** Runtime state -> proto state. */
export function toState(view: SearchView): SearchState {
  switch (view.state) {
    case 'pending':
      return SearchState.SEARCH_STATE_PENDING;
    case 'running':
      return SearchState.SEARCH_STATE_RUNNING;
    case 'succeeded':
      return SearchState.SEARCH_STATE_SUCCEEDED;
    case 'failed':
      return SearchState.SEARCH_STATE_FAILED;
    case 'cancelled':
      return SearchState.SEARCH_STATE_CANCELLED;
  }
}

/** Proto state -> runtime state, for ListSearches filters; undefined for UNSPECIFIED. */
export function fromState(s: SearchState): SearchView['state'] | undefined {
  const states: Partial<Record<SearchState, SearchView['state']>> = {
    [SearchState.SEARCH_STATE_PENDING]: 'pending',
    [SearchState.SEARCH_STATE_RUNNING]: 'running',
    [SearchState.SEARCH_STATE_SUCCEEDED]: 'succeeded',
    [SearchState.SEARCH_STATE_FAILED]: 'failed',
    [SearchState.SEARCH_STATE_CANCELLED]: 'cancelled',
  };
  return states[s];
}

/** Why a SUCCEEDED search stopped; UNSPECIFIED for any other state. */
export function toStopReason(view: SearchView): StopReason {
  if (view.state !== 'succeeded') return StopReason.STOP_REASON_UNSPECIFIED;
  if (view.finishReason === 'budget') return StopReason.STOP_REASON_BUDGET;
  if (view.finishReason === 'exhausted') return StopReason.STOP_REASON_EXHAUSTED;
  if (view.finishReason === 'cost-queries') return StopReason.STOP_REASON_COST_QUERY_LIMIT;
  return StopReason.STOP_REASON_UNSPECIFIED;
}

/** A view's counters as proto counts (in flight: full evaluations and cost queries). */
export function toCounts(view: SearchView): SearchCounts {
  return {
    evaluationsDone: view.counts.evaluationsDone,
    evaluationsFailed: view.counts.evaluationsFailed,
    evaluationsInFlight: view.counts.inFlight,
    costQueries: view.counts.costQueries,
  };
}

/** How a search ended, as the API's type (UNSPECIFIED while it has not). */
export function toFinishReason(view: SearchView): FinishReason {
  if (view.finishedAt === undefined) return FinishReason.FINISH_REASON_UNSPECIFIED;
  if (view.state === 'cancelled') return FinishReason.FINISH_REASON_CANCELLED;
  if (view.state === 'failed') return view.failureCode === 'no_feasible_architecture' ? FinishReason.FINISH_REASON_NO_FEASIBLE_ARCHITECTURE : FinishReason.FINISH_REASON_FAILED;
  return FinishReason.FINISH_REASON_COMPLETED;
}

/**
 * What went wrong with a failed search: its failure code (`too_many_failures`,
 * `no_feasible_architecture`) or, for one that could not be set up, `failed_precondition`.
 */
export function toFailure(view: SearchView): { code: string; message: string } | undefined {
  if (view.state !== 'failed') return undefined;
  return { code: view.failureCode ?? 'failed_precondition', message: view.finishReason ?? 'failed' };
}
