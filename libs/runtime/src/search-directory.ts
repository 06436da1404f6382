import type { PredictorExplanation, SearchProblem, TrialFate } from '@hwnas/search';
import type { Clock } from './ports/clock';
import type { Inbox } from './result-inbox';
import { RequestIdConflictError, SearchNotFoundError } from './coordinator-options';
import { isFinished } from './search-record';
import type { SearchRecord } from './search-record';
import type { EvalTask } from './ports/task-queue';
import type { CurvePoint } from './trial-report';
import type { EvaluatedArch } from './search-run';
import type { SearchTrace } from './search-trace';
import { viewOf, Watchers } from './search-view';
import type { SearchUpdate, SearchView } from './search-view';

/** What a live coordinator keeps of a search, besides its record (the fold of its events). */
export interface Live {
  readonly record: SearchRecord;
  /** Serializes journal appends and state changes of this search. */
  chain: Promise<void>;
  /** Results received and not yet applied; applied in batches, one journal event per batch. */
  inbox?: Inbox;
  /** Spans of the search (no-ops without an OpenTelemetry SDK). */
  readonly trace: SearchTrace;
}

/**
 * The searches a coordinator knows, and every read of them (views, histories, watchers). The
 * {@link Coordinator} adds the writes; reads never change a search.
 */
export class SearchDirectory {
  protected readonly searches = new Map<string, Live>();
  protected readonly byRequestId = new Map<string, string>();
  protected readonly watchers: Watchers;

  constructor(
    protected readonly clock: Clock,
    protected readonly onError?: (err: unknown, context: string) => void,
  ) {
    this.watchers = new Watchers(onError);
  }

  /** The current view of a search; throws {@link SearchNotFoundError}. */
  get(searchId: string): SearchView {
    return this.view(this.live(searchId));
  }

  /** Every search, most recent first. */
  list(): SearchView[] {
    return [...this.searches.values()].map((l) => this.view(l)).sort((a, b) => b.submittedAt - a.submittedAt);
  }

  /** The validated problem of a search (objectives with directions, constraints, reward). */
  problem(searchId: string): SearchProblem {
    const run = this.live(searchId).record.run;
    if (!run) throw new SearchNotFoundError(searchId);
    return run.problem;
  }

  /** The fitted predictors of an explainable strategy (FOX-NAS); empty for the others. */
  explain(searchId: string): readonly PredictorExplanation[] {
    return this.live(searchId).record.run?.explain() ?? [];
  }

  /** Full evaluations in the order they were told to the strategy (see `SearchLoop.history`). */
  history(searchId: string): readonly EvaluatedArch[] {
    return this.live(searchId).record.run?.history() ?? [];
  }

  /** Where a trial of a search with a promoting scheduler (`sh`, `budget-sh`) stands (see `SearchLoop.fateOf`); undefined for other searches. */
  fateOf(searchId: string, trialId: number): TrialFate | undefined {
    return this.live(searchId).record.run?.fateOf(trialId);
  }

  /** Every trial told to the strategy, cost queries included, in tell order. */
  trials(searchId: string): readonly EvaluatedArch[] {
    return this.live(searchId).record.run?.trials() ?? [];
  }

  /**
   * Live updates of a search: the current state first, then one update per evaluation and state
   * change, ending after the search has finished. Listeners must not throw.
   */
  watch(searchId: string, listener: (u: SearchUpdate) => void): () => void {
    const live = this.live(searchId);
    listener({ type: 'state', view: this.view(live) });
    return this.watchers.add(searchId, listener);
  }

  /** Resolves when the search has finished (any terminal state). */
  async waitFor(searchId: string): Promise<SearchView> {
    const live = this.live(searchId);
    if (isFinished(live.record)) return this.view(live);
    return new Promise((resolve) => {
      const stop = this.watch(searchId, (u) => {
        if (u.type === 'state' && u.view.finishedAt !== undefined) {
          stop();
          resolve(u.view);
        }
      });
    });
  }

  /** Learning curves of a search's trials (trainer searches; empty otherwise), by trial id; throws {@link SearchNotFoundError}. */
  curves(searchId: string): ReadonlyMap<number, readonly CurvePoint[]> {
    return this.live(searchId).record.curves;
  }

  /** Searches not finished yet (pending, running or draining). */
  get runningCount(): number {
    return [...this.searches.values()].filter((l) => !isFinished(l.record)).length;
  }

  /** One update per evaluation told since `from` (the view is built only if a watcher reads it). */
  protected notifyEvaluations(live: Live, from: number): void {
    const searchId = live.record.searchId;
    if (!this.watchers.has(searchId)) return;
    const history = live.record.run?.history() ?? [];
    const view = () => this.view(live);
    for (let i = from; i < history.length; i++) {
      this.watchers.notify(searchId, {
        type: 'evaluation',
        evaluation: history[i],
        get view() {
          return view();
        },
      });
    }
  }

  /** Tasks dispatched and not answered, by running search. */
  protected *pendingTasks(): Iterable<readonly [string, readonly EvalTask[]]> {
    for (const [searchId, live] of this.searches) {
      const run = live.record.run;
      if (run && !isFinished(live.record) && run.counts.inFlight > 0) yield [searchId, run.pending()];
    }
  }

  protected add(live: Live): void {
    this.searches.set(live.record.searchId, live);
    if (live.record.requestId !== undefined) this.byRequestId.set(live.record.requestId, live.record.searchId);
  }

  protected remove(live: Live): void {
    this.searches.delete(live.record.searchId);
    if (live.record.requestId !== undefined) this.byRequestId.delete(live.record.requestId);
  }

  /**
   * The search an earlier submission with `requestId` made, when it asked for the same thing
   * (`fingerprint`): submitting is idempotent per request id. Throws RequestIdConflictError when
   * the id was used for another search.
   */
  protected submittedAs(requestId: string | undefined, fingerprint: string): string | undefined {
    const earlier = requestId === undefined ? undefined : this.byRequestId.get(requestId);
    if (earlier === undefined) return undefined;
    if (this.searches.get(earlier)?.record.fingerprint === fingerprint) return earlier;
    throw new RequestIdConflictError(requestId!, earlier);
  }

  /** Runs `fn` after every earlier change of the search (one change at a time per search). */
  protected serialize(live: Live, fn: () => Promise<void>): Promise<void> {
    const next = live.chain.then(fn);
    live.chain = next.catch((e) => this.onError?.(e, `search ${live.record.searchId}`));
    return next;
  }

  protected live(searchId: string): Live {
    const live = this.searches.get(searchId);
    if (!live) throw new SearchNotFoundError(searchId);
    return live;
  }

  protected view(live: Live): SearchView {
    return viewOf(live.record, this.clock.now());
  }
}
