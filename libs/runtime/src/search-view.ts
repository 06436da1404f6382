import type { TrialReport } from './trial-report';
import type { Arch } from '@hwnas/bench-core';
import type { SearchProblem } from '@hwnas/search';
import type { EvaluatedArch, RunCounts } from './search-run';
import { searchOutcome } from './search-outcome';
import type { FailureCode } from './search-outcome';
import type { SearchRecord, SearchState } from './search-record';
import type { SearchSpec } from './search-spec';

/** A search as clients see it (GetSearch, ListSearches, WatchSearch). Treat as frozen. */
export interface SearchView {
  readonly searchId: string;
  readonly spec: SearchSpec;
  /** The validated problem (objective directions, constraints, reward); absent when the search could not be set up. */
  readonly problem?: SearchProblem;
  readonly state: SearchState;
  readonly counts: RunCounts;
  readonly submittedAt: number;
  /** When it left the pending queue and started asking (absent while pending). */
  readonly startedAt?: number;
  readonly updatedAt: number;
  readonly finishedAt?: number;
  /** Why it ended: budget, exhausted, cost-queries, cancelled, or an error message. */
  readonly finishReason?: string;
  /** For a failed search that ran to its end: why (absent for a setup failure). */
  readonly failureCode?: FailureCode;
  readonly best?: EvaluatedArch;
  readonly pareto?: readonly EvaluatedArch[];
  readonly recommended?: Arch;
  /** Full evaluations per second since the search started. */
  readonly evaluationsPerSecond: number;
  /** Estimated milliseconds to finish the budget at the current rate (undefined when unknown). */
  readonly etaMs?: number;
  /** The client's idempotency key, when it gave one. */
  readonly requestId?: string;
  /** What the caller attached at submission (see `SubmitOptions.attachment`). */
  readonly attachment?: unknown;
  /**
   * A screened search's cost model (see `SearchSpec.costModel`): what it predicts, a summary of
   * the model, and the distinct architectures measured on the device so far and costs told as predictions.
   */
  readonly costModel?: { readonly device: string; readonly metric: string; readonly summary: string; readonly measured: number; readonly predicted: number };
}

/** One update of a watched search (`view` of an evaluation update is computed when read). */
export type SearchUpdate =
  | { readonly type: 'evaluation'; readonly evaluation: EvaluatedArch; readonly view: SearchView }
  | { readonly type: 'state'; readonly view: SearchView }
  /** An intermediate report of a trainer evaluation, as journalled (no view: reports do not change it). */
  | { readonly type: 'report'; readonly report: TrialReport };

const NO_COUNTS: RunCounts = { evaluationsDispatched: 0, evaluationsDone: 0, evaluationsFailed: 0, costQueries: 0, inFlight: 0 };

/** The view of a search's record at time `now` (epoch ms; only the rate and ETA depend on it). */
export function viewOf(record: SearchRecord, now: number): SearchView {
  const run = record.run;
  const counts = run?.counts ?? NO_COUNTS;
  const end = record.finishedAt ?? now;
  const seconds = Math.max((end - (record.startedAt ?? end)) / 1000, 1e-3);
  const rate = counts.evaluationsDone / seconds;
  const remaining = record.spec.budget - counts.evaluationsDone;
  const best = run?.best();
  const pareto = run?.pareto();
  const recommended = run?.recommended();
  // Logs written before failure codes were journalled: the code follows from the loop.
  const failureCode = record.failureCode ?? (record.state === 'failed' && run?.finished ? searchOutcome(run, record.spec).failureCode : undefined);
  return {
    searchId: record.searchId,
    spec: record.spec,
    ...(run ? { problem: run.problem } : {}),
    state: record.state,
    counts,
    submittedAt: record.submittedAt,
    ...(record.startedAt !== undefined ? { startedAt: record.startedAt } : {}),
    updatedAt: record.updatedAt,
    ...(record.finishedAt !== undefined ? { finishedAt: record.finishedAt } : {}),
    ...(record.finishReason ? { finishReason: record.finishReason } : {}),
    ...(failureCode ? { failureCode } : {}),
    ...(best ? { best } : {}),
    ...(pareto ? { pareto } : {}),
    ...(recommended ? { recommended } : {}),
    evaluationsPerSecond: rate,
    ...(record.finishedAt === undefined && rate > 0 ? { etaMs: (remaining / rate) * 1000 } : {}),
    ...(record.requestId !== undefined ? { requestId: record.requestId } : {}),
    ...(record.attachment !== undefined ? { attachment: record.attachment } : {}),
    ...(record.costModel ? { costModel: { device: record.costModel.device, metric: record.costModel.metric, summary: record.costModel.summary, ...(run?.screening?.counts ?? { measured: 0, predicted: 0 }) } } : {}),
  };
}

/** Listeners of the searches' updates, by search id. A listener that throws is reported, not fatal. */
export class Watchers {
  private readonly bySearch = new Map<string, Set<(u: SearchUpdate) => void>>();

  constructor(private readonly onError?: (err: unknown, context: string) => void) {}

  add(searchId: string, listener: (u: SearchUpdate) => void): () => void {
    let set = this.bySearch.get(searchId);
    if (!set) this.bySearch.set(searchId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.bySearch.get(searchId) === set) this.bySearch.delete(searchId);
    };
  }

  /** Whether anyone watches `searchId` (updates are not even built otherwise). */
  has(searchId: string): boolean {
    return (this.bySearch.get(searchId)?.size ?? 0) > 0;
  }

  notify(searchId: string, update: SearchUpdate): void {
    for (const w of [...(this.bySearch.get(searchId) ?? [])]) {
      try {
        w(update);
      } catch (e) {
        this.onError?.(e, 'watcher');
      }
    }
  }
}
