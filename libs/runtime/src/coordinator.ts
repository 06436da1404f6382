import { isNasError, NasError } from '@hwnas/bench-core';
import type { Arch } from '@hwnas/bench-core';
import type { PredictorExplanation, SearchProblem } from '@hwnas/search';
import { metrics } from '@opentelemetry/api';
import type { BatchObservableCallback, Observable } from '@opentelemetry/api';
import type { SearchEvent, TaskResult } from './events';
import type { ResultChannel } from './ports/result-channel';
import type { Subscription, TaskQueue, EvalTask } from './ports/task-queue';
import type { TrialJournal } from './ports/trial-journal';
import { SearchRun } from './search-run';
import type { EvaluatedArch, RunCounts, SearchSetup } from './search-run';
import { DEFAULT_LIMITS, normalizeSearchSpec } from './search-spec';
import type { SearchLimits, SearchSpec } from './search-spec';
import { SearchTrace } from './search-trace';
import { quietly, RUNTIME_SCOPE } from './trace-context';

/** Builds what a search runs with from its spec; validates metric names against what exists. */
export interface SearchFactory {
  setup(spec: SearchSpec): SearchSetup;
}

/** Lifecycle state of a search. */
/**
 * Lifecycle state of a search: `pending` (accepted, waiting for a slot: see
 * {@link CoordinatorOptions.maxRunningSearches}), then `running`, then a terminal one.
 */
export type SearchState = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** A search as clients see it (GetSearch, ListSearches, WatchSearch). Treat as frozen. */
export interface SearchView {
  readonly searchId: string;
  readonly spec: SearchSpec;
  readonly state: SearchState;
  readonly counts: RunCounts;
  readonly submittedAt: number;
  /** When it left the pending queue and started asking (absent while pending). */
  readonly startedAt?: number;
  readonly updatedAt: number;
  readonly finishedAt?: number;
  /** Why it ended: budget, exhausted, cost-queries, cancelled, or an error message. */
  readonly finishReason?: string;
  /** For a failed search: `too_many_failures` (see `maxFailed`), else absent (a setup failure). */
  readonly failureCode?: 'too_many_failures';
  readonly best?: EvaluatedArch;
  readonly pareto?: readonly EvaluatedArch[];
  readonly recommended?: Arch;
  /** Full evaluations per second since the search started. */
  readonly evaluationsPerSecond: number;
  /** Estimated milliseconds to finish the budget at the current rate (undefined when unknown). */
  readonly etaMs?: number;
  /** The client's idempotency key, when it gave one. */
  readonly requestId?: string;
  /** What the caller attached at submission (see {@link SubmitOptions.attachment}). */
  readonly attachment?: unknown;
}

/** Options of {@link Coordinator.submit}. */
export interface SubmitOptions {
  /**
   * Idempotency key: submitting again with the same key and an identical spec and attachment
   * returns the first search's id; with anything different it throws `already_exists`. Keys are
   * kept in the journal, so they survive a restart.
   */
  readonly requestId?: string;
  /** Opaque JSON kept with the search in its log and returned in its view (e.g. the raw request). */
  readonly attachment?: unknown;
  /**
   * W3C trace context of the caller (e.g. from gRPC metadata): the search span becomes a child of
   * it. Without it the search span is the root of its own trace. Not part of the idempotency check.
   */
  readonly traceparent?: string;
}

/** One update of a watched search (`view` of an evaluation update is computed when read). */
export type SearchUpdate =
  | { readonly type: 'evaluation'; readonly evaluation: EvaluatedArch; readonly view: SearchView }
  | { readonly type: 'state'; readonly view: SearchView };

/** Thrown by {@link Coordinator.submit} when a request id was used before with a different request. */
export class RequestIdConflictError extends NasError {
  override name = 'RequestIdConflictError';
  constructor(requestId: string, searchId: string) {
    super(`request_id "${requestId}" was already used by search ${searchId} with a different request`, 'already_exists');
  }
}

/** Thrown when a search id is unknown. */
export class SearchNotFoundError extends NasError {
  override name = 'SearchNotFoundError';
  constructor(id: string) {
    super(`search "${id}" not found`, 'not_found');
  }
}

/** Options of {@link Coordinator}. */
export interface CoordinatorOptions {
  readonly queue: TaskQueue;
  readonly results: ResultChannel;
  readonly journal: TrialJournal;
  readonly factory: SearchFactory;
  readonly limits?: SearchLimits;
  /** Clock for timestamps (default Date.now); never used for search decisions. */
  readonly now?: () => number;
  /** New search ids (default random UUIDs). */
  readonly newId?: () => string;
  /** Called for failures that cannot be returned to a caller (journal down, ...). */
  readonly onError?: (err: unknown, context: string) => void;
  /**
   * Where the lifecycle of searches is logged (pino-style calls): a search submitted, started
   * (after waiting as pending), finished (state, reason, counts), and every task failed by its
   * timeout. Nothing is logged per evaluation otherwise. Default: nothing.
   */
  readonly log?: CoordinatorLog;
  /** Pause before dispatching again tasks whose publish failed, milliseconds (default 1000). */
  readonly redispatchMs?: number;
  /**
   * A task without a result this long after it was dispatched (or after a restart re-dispatched
   * it) is recorded as failed (`deadline_exceeded`) and the strategy is told, so that a task no
   * worker can finish (one that crashes its worker on every delivery, or one the queue gave up
   * on) cannot keep its search waiting forever. Milliseconds; default 10 minutes; 0 disables.
   * Checked on a timer, so a task fails between this and 1.25 times this after dispatch.
   */
  readonly taskTimeoutMs?: number;
  /**
   * Searches running (asking and evaluating) at once; later ones wait as `pending`, first come
   * first served, and start as running ones end. 0 (the default): no limit.
   */
  readonly maxRunningSearches?: number;
}

/** The calls of a pino-style logger the coordinator makes (see {@link CoordinatorOptions.log}). */
export interface CoordinatorLog {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
}

/** Default of {@link CoordinatorOptions.taskTimeoutMs}. */
export const DEFAULT_TASK_TIMEOUT_MS = 10 * 60_000;

/** Sweeps of the timeout check per timeout (a task fails once seen pending in more of them). */
const TIMEOUT_SWEEPS = 4;

/** Results received and not yet applied, and the promise every one of their deliveries waits on. */
interface Inbox {
  readonly results: TaskResult[];
  readonly applied: Promise<void>;
  resolve(): void;
  reject(e: unknown): void;
}

function newInbox(): Inbox {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const applied = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A failed batch is redelivered by the channel; nobody else needs to observe the rejection.
  applied.catch(() => undefined);
  return { results: [], applied, resolve, reject };
}

interface Live {
  run?: SearchRun;
  spec: SearchSpec;
  state: SearchState;
  submittedAt: number;
  startedAt?: number;
  updatedAt: number;
  finishedAt?: number;
  finishReason?: string;
  seq: number;
  /** Serializes journal appends and state changes of this search. */
  chain: Promise<void>;
  watchers: Set<(u: SearchUpdate) => void>;
  /** Results received and not yet applied; applied in batches, one journal event per batch. */
  inbox?: Inbox;
  requestId?: string;
  attachment?: unknown;
  /** JSON of (spec, attachment), to compare a repeated request id with. */
  fingerprint: string;
  /** Spans of the search (no-ops without an OpenTelemetry SDK). */
  trace: SearchTrace;
  /** Pending task ids and in how many timeout sweeps in a row each was seen pending. */
  overdue?: Map<string, number>;
}

/**
 * Runs many searches at once: each is a {@link SearchRun} whose tasks go to a shared work queue
 * and whose results come back on a result channel. Every state change is appended to the search's
 * journal before it takes effect, so {@link Coordinator.recover} rebuilds every running search
 * after a restart (replaying its results into a fresh strategy) and re-dispatches what was in
 * flight. Results are applied once per task id, however often they are delivered. Each search
 * keeps at most `maxInFlight` tasks queued, which keeps searches fair to each other.
 */
export class Coordinator {
  private readonly searches = new Map<string, Live>();
  private readonly byRequestId = new Map<string, string>();
  private readonly undispatched: EvalTask[] = [];
  /** Ids of pending searches, in submission order. */
  private readonly waiting: string[] = [];
  /** Set while the journal is replayed: slots are only handed out once every search is known. */
  private recovering = false;
  private redispatchTimer?: ReturnType<typeof setTimeout>;
  private timeoutTimer?: ReturnType<typeof setInterval>;
  private subscription?: Subscription;
  private readonly now: () => number;
  private readonly limits: SearchLimits;
  private gauges?: { readonly observables: Observable[]; readonly callback: BatchObservableCallback };

  constructor(private readonly opts: CoordinatorOptions) {
    this.now = opts.now ?? Date.now;
    this.limits = opts.limits ?? DEFAULT_LIMITS;
  }

  /** Rebuilds searches from the journal, re-dispatches their pending tasks, and starts consuming results. */
  async start(): Promise<void> {
    await this.recover();
    this.subscription = await this.opts.results.subscribe((r) => this.onResult(r));
    this.observe();
    const timeoutMs = this.opts.taskTimeoutMs ?? DEFAULT_TASK_TIMEOUT_MS;
    if (timeoutMs > 0) {
      // A sweep over pending tasks every quarter of the timeout: nothing per task on the hot path.
      this.timeoutTimer = setInterval(() => this.failOverdueTasks(timeoutMs), timeoutMs / TIMEOUT_SWEEPS);
      this.timeoutTimer.unref?.();
    }
  }

  /**
   * Fails every task seen pending in more than {@link TIMEOUT_SWEEPS} sweeps in a row, through the
   * same path as a worker's result: journalled first, told to the strategy, applied once (a late
   * real result is then ignored as a duplicate).
   */
  private failOverdueTasks(timeoutMs: number): void {
    for (const [searchId, live] of this.searches) {
      const run = live.run;
      if (!run || this.isTerminal(live) || run.counts.inFlight === 0) {
        live.overdue = undefined;
        continue;
      }
      const seen = live.overdue;
      const next = new Map<string, number>();
      for (const task of run.pending()) {
        const sweeps = (seen?.get(task.taskId) ?? 0) + 1;
        next.set(task.taskId, sweeps);
        if (sweeps <= TIMEOUT_SWEEPS) continue;
        const limit = timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`;
        this.opts.log?.warn({ searchId, taskId: task.taskId, trialId: task.trialId, arch: task.arch, timeoutMs }, 'evaluation timed out: recorded as failed (deadline_exceeded)');
        void this.onResult({
          taskId: task.taskId,
          searchId,
          trialId: task.trialId,
          workerId: 'coordinator',
          status: 'failed',
          error: { code: 'deadline_exceeded', message: `no result within ${limit} of dispatch: no worker finished this task (a worker crashing on it, or its deliveries used up)` },
        }).catch((e: unknown) => this.opts.onError?.(e, `failing overdue task ${task.taskId}`));
      }
      live.overdue = next;
    }
  }

  /**
   * Stops consuming results (searches stay in the journal). Open search and evaluation spans are
   * ended (marked suspended) so that they are exported; a successor parents on them.
   */
  async stop(): Promise<void> {
    await this.subscription?.stop();
    if (this.redispatchTimer) clearTimeout(this.redispatchTimer);
    if (this.timeoutTimer) clearInterval(this.timeoutTimer);
    await Promise.all([...this.searches.values()].map((s) => s.chain));
    for (const live of this.searches.values()) if (!this.isTerminal(live)) live.trace.suspend();
    quietly(() => {
      if (this.gauges) metrics.getMeter(RUNTIME_SCOPE).removeBatchObservableCallback(this.gauges.callback, this.gauges.observables);
      this.gauges = undefined;
    });
  }

  /** Observable gauges of this coordinator: running searches and evaluations in flight. */
  private observe(): void {
    quietly(() => {
      if (this.gauges) return;
      const meter = metrics.getMeter(RUNTIME_SCOPE);
      const inFlight = meter.createObservableGauge('hwnas.evaluations.in_flight', { description: 'Tasks dispatched and not yet answered, over running searches', unit: '{task}' });
      const running = meter.createObservableGauge('hwnas.searches.running', { description: 'Searches started and not finished (asking, evaluating or draining)', unit: '{search}' });
      const pending = meter.createObservableGauge('hwnas.searches.pending', { description: 'Searches waiting for a slot (see maxRunningSearches)', unit: '{search}' });
      const callback: BatchObservableCallback = (result) => {
        let n = 0;
        let waiting = 0;
        let tasks = 0;
        for (const live of this.searches.values()) {
          if (this.isTerminal(live)) continue;
          if (live.startedAt === undefined) {
            waiting++;
            continue;
          }
          n++;
          tasks += live.run?.counts.inFlight ?? 0;
        }
        result.observe(inFlight, tasks);
        result.observe(running, n);
        result.observe(pending, waiting);
      };
      meter.addBatchObservableCallback(callback, [inFlight, running, pending]);
      this.gauges = { observables: [inFlight, running, pending], callback };
    });
  }

  /**
   * Validates and starts a search; returns its id. Throws InvalidArgumentError naming the field
   * for a bad spec, UnknownMetricError for a metric no table or device provides.
   */
  async submit(input: unknown, opts: SubmitOptions = {}): Promise<string> {
    const spec = normalizeSearchSpec(input, this.limits);
    const fingerprint = JSON.stringify([spec, opts.attachment ?? null]);
    if (opts.requestId !== undefined) {
      const earlier = this.byRequestId.get(opts.requestId);
      if (earlier !== undefined) {
        const prior = this.searches.get(earlier);
        if (prior && prior.fingerprint === fingerprint) return earlier;
        throw new RequestIdConflictError(opts.requestId, earlier);
      }
    }
    const setup = this.opts.factory.setup(spec);
    const searchId = (this.opts.newId ?? (() => crypto.randomUUID()))();
    const at = this.now();
    const searchTrace = SearchTrace.begin(searchId, spec, opts.traceparent);
    const traceparent = searchTrace.traceparent;
    const live: Live = {
      spec,
      state: 'pending',
      submittedAt: at,
      updatedAt: at,
      seq: 0,
      chain: Promise.resolve(),
      watchers: new Set(),
      fingerprint,
      trace: searchTrace,
      ...(opts.requestId !== undefined ? { requestId: opts.requestId } : {}),
      ...(opts.attachment !== undefined ? { attachment: opts.attachment } : {}),
    };
    this.searches.set(searchId, live);
    if (opts.requestId !== undefined) this.byRequestId.set(opts.requestId, searchId);
    const submitted: SearchEvent = {
      type: 'search_submitted',
      searchId,
      spec,
      at,
      ...(opts.requestId !== undefined ? { requestId: opts.requestId } : {}),
      ...(opts.attachment !== undefined ? { attachment: opts.attachment } : {}),
      ...(traceparent !== undefined ? { traceparent } : {}),
    };
    // A free slot is taken at once (synchronously, so that concurrent submissions count it).
    const startNow = this.hasSlot();
    if (startNow) {
      live.state = 'running';
      live.startedAt = at;
    }
    await this.serialize(searchId, live, async () => {
      try {
        const events: SearchEvent[] = startNow ? [submitted, { type: 'search_started', at }] : [submitted];
        live.seq = await this.opts.journal.append(searchId, events, 0);
      } catch (e) {
        live.trace.finished('failed', `journal append failed: ${isNasError(e) ? e.message : String(e)}`, undefined);
        // Nothing was logged, so the search does not exist: the caller gets the error (and may
        // retry with the same request id), and no slot stays taken.
        this.searches.delete(searchId);
        if (opts.requestId !== undefined) this.byRequestId.delete(opts.requestId);
        throw e;
      }
      const run = new SearchRun(searchId, spec, live.trace.traced(setup));
      live.run = run;
      this.opts.log?.info({ searchId, strategy: spec.strategy, space: spec.space, dataset: spec.dataset, budget: spec.budget, state: live.state }, 'search submitted');
      if (!startNow) {
        this.waiting.push(searchId);
        return;
      }
      await this.dispatch(live.trace.dispatching(run.start(at).dispatch));
      await this.finishIfDone(searchId, live);
    });
    return searchId;
  }

  /** Whether a search may start running now. */
  private hasSlot(): boolean {
    const max = this.opts.maxRunningSearches ?? 0;
    if (max <= 0) return true;
    let running = 0;
    // Started and not finished: a cancelled search still draining holds its slot.
    for (const l of this.searches.values()) if (l.startedAt !== undefined && l.finishedAt === undefined) running++;
    return running < max;
  }

  /** Starts pending searches, oldest first, while there are free slots (not while recovering). */
  private startWaiting(): void {
    while (!this.recovering && this.waiting.length && this.hasSlot()) {
      const searchId = this.waiting.shift()!;
      const live = this.searches.get(searchId);
      if (!live || live.state !== 'pending' || !live.run) continue;
      const run = live.run;
      const at = this.now();
      live.state = 'running';
      live.startedAt = at;
      live.updatedAt = at;
      void this.serialize(searchId, live, async () => {
        try {
          live.seq = await this.opts.journal.append(searchId, [{ type: 'search_started', at }]);
        } catch (e) {
          // Not started after all: back to the head of the line, and another try in a while.
          live.state = 'pending';
          live.startedAt = undefined;
          this.waiting.unshift(searchId);
          setTimeout(() => this.startWaiting(), this.opts.redispatchMs ?? 1000).unref?.();
          throw e;
        }
        this.opts.log?.info({ searchId, waitedMs: at - live.submittedAt }, 'search started');
        this.notify(live, { type: 'state', view: this.view(searchId, live) });
        await this.dispatch(live.trace.dispatching(run.start(at).dispatch));
        await this.finishIfDone(searchId, live);
      }).catch(() => undefined); // reported through onError by serialize()
    }
  }

  /** Stops dispatching new evaluations; what is in flight drains, then the search ends cancelled. */
  async cancel(searchId: string, reason = 'cancelled by request'): Promise<SearchView> {
    const live = this.live(searchId);
    await this.serialize(searchId, live, async () => {
      if ((live.state !== 'running' && live.state !== 'pending') || !live.run) return;
      live.seq = await this.opts.journal.append(searchId, [{ type: 'search_cancelled', reason, at: this.now() }]);
      live.run.cancel();
      live.state = 'cancelled';
      live.finishReason = reason;
      await this.finishIfDone(searchId, live);
      this.notify(live, { type: 'state', view: this.view(searchId, live) });
    });
    return this.view(searchId, live);
  }

  /** The current view of a search; throws {@link SearchNotFoundError}. */
  get(searchId: string): SearchView {
    return this.view(searchId, this.live(searchId));
  }

  /** Every search, most recent first. */
  list(): SearchView[] {
    return [...this.searches.entries()].map(([id, l]) => this.view(id, l)).sort((a, b) => b.submittedAt - a.submittedAt);
  }

  /** The validated problem of a search (objectives with directions, constraints, reward). */
  problem(searchId: string): SearchProblem {
    const run = this.live(searchId).run;
    if (!run) throw new SearchNotFoundError(searchId);
    return run.problem;
  }

  /** The fitted predictors of an explainable strategy (FOX-NAS); empty for the others. */
  explain(searchId: string): readonly PredictorExplanation[] {
    return this.live(searchId).run?.explain() ?? [];
  }

  /** Full evaluations in the order they were told to the strategy (see {@link SearchRun.history}). */
  history(searchId: string): readonly EvaluatedArch[] {
    return this.live(searchId).run?.history() ?? [];
  }

  /** Every trial told to the strategy, cost queries included, in tell order. */
  trials(searchId: string): readonly EvaluatedArch[] {
    return this.live(searchId).run?.trials() ?? [];
  }

  /**
   * Live updates of a search: the current state first, then one update per evaluation and state
   * change, ending after the search has finished. Listeners must not throw.
   */
  watch(searchId: string, listener: (u: SearchUpdate) => void): () => void {
    const live = this.live(searchId);
    listener({ type: 'state', view: this.view(searchId, live) });
    live.watchers.add(listener);
    return () => live.watchers.delete(listener);
  }

  /** Resolves when the search has finished (any terminal state). */
  async waitFor(searchId: string): Promise<SearchView> {
    const live = this.live(searchId);
    if (this.isTerminal(live)) return this.view(searchId, live);
    return new Promise((resolve) => {
      const stop = this.watch(searchId, (u) => {
        if (u.type === 'state' && u.view.finishedAt !== undefined) {
          stop();
          resolve(u.view);
        }
      });
    });
  }

  /** Searches not finished yet (pending, running or draining). */
  get runningCount(): number {
    return [...this.searches.values()].filter((l) => !this.isTerminal(l)).length;
  }

  private isTerminal(live: Live): boolean {
    return live.finishedAt !== undefined;
  }

  private live(searchId: string): Live {
    const live = this.searches.get(searchId);
    if (!live) throw new SearchNotFoundError(searchId);
    return live;
  }

  private serialize(searchId: string, live: Live, fn: () => Promise<void>): Promise<void> {
    const next = live.chain.then(fn);
    live.chain = next.catch((e) => this.opts.onError?.(e, `search ${searchId}`));
    return next;
  }

  /**
   * Publishes tasks concurrently. A task whose publish fails (NATS down for longer than the
   * queue's own retries) is kept and published again later: its result was already logged, so
   * the result will not be redelivered to re-trigger it.
   */
  private async dispatch(tasks: readonly EvalTask[]): Promise<void> {
    const outcomes = await Promise.allSettled(tasks.map((t) => this.opts.queue.publish(t)));
    outcomes.forEach((o, i) => {
      if (o.status === 'rejected') {
        this.searches.get(tasks[i].searchId)?.trace.dispatchFailed(tasks[i].taskId, o.reason);
        this.opts.onError?.(o.reason, `dispatching ${tasks[i].taskId}; will retry`);
        this.undispatched.push(tasks[i]);
      }
    });
    if (this.undispatched.length && !this.redispatchTimer) {
      this.redispatchTimer = setTimeout(() => {
        this.redispatchTimer = undefined;
        const again = this.undispatched.splice(0).filter((t) => this.searches.get(t.searchId)?.run?.expects(t.taskId));
        void this.dispatch(again);
      }, this.opts.redispatchMs ?? 1000);
    }
  }

  /**
   * Queues one result to be applied. Results that arrive while a batch is being applied form the
   * next batch: journal first (one event per batch), then the run, then dispatch. Duplicates are
   * ignored. Resolves once the result is applied (or ignored); rejects when the journal append
   * failed, so that the channel delivers it again.
   */
  private onResult(result: TaskResult): Promise<void> {
    const live = this.searches.get(result.searchId);
    if (!live) return Promise.resolve(); // a result of a search this coordinator does not know (e.g. deleted)
    let inbox = live.inbox;
    if (!inbox) {
      inbox = live.inbox = newInbox();
      void this.serialize(result.searchId, live, () => this.applyInbox(result.searchId, live)).catch(() => undefined);
    }
    inbox.results.push(result);
    return inbox.applied;
  }

  private async applyInbox(searchId: string, live: Live): Promise<void> {
    const inbox = live.inbox!;
    live.inbox = undefined;
    try {
      const run = live.run;
      const fresh: TaskResult[] = [];
      const seen = new Set<string>();
      for (const result of inbox.results) {
        if (!run || !run.expects(result.taskId) || seen.has(result.taskId)) continue;
        seen.add(result.taskId);
        fresh.push(result);
      }
      if (run && fresh.length) {
        const at = this.now();
        const event: SearchEvent =
          fresh.length === 1 ? { type: fresh[0].status === 'ok' ? 'trial_completed' : 'trial_failed', result: fresh[0], at } : { type: 'trials_landed', results: fresh, at };
        live.seq = await this.opts.journal.append(searchId, [event]);
        live.updatedAt = at;
        const tasks: EvalTask[] = [];
        for (const result of fresh) {
          live.trace.landed(result, run.needOf(result.taskId));
          const told = run.history().length;
          for (const t of run.accept(result, at).dispatch) tasks.push(t);
          if (live.watchers.size === 0) continue;
          const history = run.history();
          for (let i = told; i < history.length; i++) {
            // The view is built only if a watcher reads it: building it per evaluation is O(history).
            const view = () => this.view(searchId, live);
            this.notify(live, {
              type: 'evaluation',
              evaluation: history[i],
              get view() {
                return view();
              },
            });
          }
        }
        live.trace.progress(run.counts, run.best(), () => run.pareto());
        await this.dispatch(live.trace.dispatching(tasks));
        await this.finishIfDone(searchId, live);
      }
      inbox.resolve();
    } catch (e) {
      inbox.reject(e);
      throw e;
    }
  }

  private async finishIfDone(searchId: string, live: Live): Promise<void> {
    const run = live.run;
    if (!run || !run.finished || live.finishedAt !== undefined) return;
    const at = this.now();
    const status = live.state === 'cancelled' ? 'cancelled' : run.finishReason === 'failures' ? 'failed' : 'succeeded';
    const reason =
      status === 'cancelled'
        ? (live.finishReason ?? 'cancelled')
        : status === 'failed'
          ? `too many failed evaluations: ${run.counts.evaluationsFailed} (max_failed_evaluations ${live.spec.maxFailed})`
          : run.finishReason;
    try {
      live.seq = await this.opts.journal.append(searchId, [{ type: 'search_finished', status, reason, at }]);
    } catch (e) {
      // Nothing else would bring this search back here (no result is left to land): try again
      // in a while, so that it ends and gives its slot back once the journal answers.
      setTimeout(() => void this.serialize(searchId, live, () => this.finishIfDone(searchId, live)).catch(() => undefined), this.opts.redispatchMs ?? 1000).unref?.();
      throw e;
    }
    live.state = status;
    live.finishReason = reason;
    live.finishedAt = at;
    live.updatedAt = at;
    live.trace.finished(status, reason, run.counts);
    this.opts.log?.info({ searchId, state: status, reason, ...run.counts, seconds: (at - (live.startedAt ?? live.submittedAt)) / 1000 }, 'search finished');
    this.notify(live, { type: 'state', view: this.view(searchId, live) });
    // Whatever of the search is still queued is dead (e.g. a task whose deliveries were used up
    // by crashing workers, failed here by its timeout): drop it so it does not stay for good.
    if (run.counts.evaluationsDispatched + run.counts.costQueries > 0) {
      this.opts.queue.discard(searchId).catch((e: unknown) => this.opts.onError?.(e, `discarding the leftover tasks of ${searchId}`));
    }
    if (live.startedAt !== undefined) this.startWaiting();
  }

  private notify(live: Live, update: SearchUpdate): void {
    for (const w of live.watchers) {
      try {
        w(update);
      } catch (e) {
        this.opts.onError?.(e, 'watcher');
      }
    }
  }

  private view(searchId: string, live: Live): SearchView {
    const run = live.run;
    const counts: RunCounts = run?.counts ?? { evaluationsDispatched: 0, evaluationsDone: 0, evaluationsFailed: 0, costQueries: 0, inFlight: 0 };
    const end = live.finishedAt ?? this.now();
    const seconds = Math.max((end - (live.startedAt ?? end)) / 1000, 1e-3);
    const rate = counts.evaluationsDone / seconds;
    const remaining = live.spec.budget - counts.evaluationsDone;
    const best = run?.best();
    const pareto = run?.pareto();
    const recommended = run?.recommended();
    return {
      searchId,
      spec: live.spec,
      state: live.state,
      counts,
      submittedAt: live.submittedAt,
      ...(live.startedAt !== undefined ? { startedAt: live.startedAt } : {}),
      updatedAt: live.updatedAt,
      ...(live.finishedAt !== undefined ? { finishedAt: live.finishedAt } : {}),
      ...(live.finishReason ? { finishReason: live.finishReason } : {}),
      ...(live.state === 'failed' && run?.finished && run.finishReason === 'failures' ? { failureCode: 'too_many_failures' as const } : {}),
      ...(best ? { best } : {}),
      ...(pareto ? { pareto } : {}),
      ...(recommended ? { recommended } : {}),
      evaluationsPerSecond: rate,
      ...(live.finishedAt === undefined && rate > 0 ? { etaMs: (remaining / rate) * 1000 } : {}),
      ...(live.requestId !== undefined ? { requestId: live.requestId } : {}),
      ...(live.attachment !== undefined ? { attachment: live.attachment } : {}),
    };
  }

  /** Rebuilds every search in the journal; running ones get their pending tasks dispatched again. */
  private async recover(): Promise<void> {
    this.recovering = true;
    try {
      await this.recoverAll();
    } finally {
      this.recovering = false;
    }
    this.waiting.sort((a, b) => this.searches.get(a)!.submittedAt - this.searches.get(b)!.submittedAt);
    this.startWaiting();
  }

  private async recoverAll(): Promise<void> {
    for (const searchId of await this.opts.journal.list()) {
      if (this.searches.has(searchId)) continue;
      let live: Live | undefined;
      let run: SearchRun | undefined;
      let failed: string | undefined;
      // Strategy calls of the replay are not traced (they were when they first happened).
      let replaying = true;
      for await (const { seq, event } of this.opts.journal.read(searchId)) {
        if (event.type === 'search_submitted') {
          const searchTrace = SearchTrace.fromJournal(searchId, event.spec, event.traceparent);
          live = {
            spec: event.spec,
            state: 'pending',
            submittedAt: event.at,
            updatedAt: event.at,
            seq,
            chain: Promise.resolve(),
            watchers: new Set(),
                  fingerprint: JSON.stringify([event.spec, event.attachment ?? null]),
            trace: searchTrace,
            ...(event.requestId !== undefined ? { requestId: event.requestId } : {}),
            ...(event.attachment !== undefined ? { attachment: event.attachment } : {}),
          };
          try {
            run = new SearchRun(searchId, event.spec, searchTrace.traced(this.opts.factory.setup(event.spec), () => replaying));
          } catch (e) {
            // The search can no longer be set up (e.g. its tables are gone): keep it, as failed.
            failed = isNasError(e) ? e.message : String(e);
            run = undefined;
          }
          live.run = run;
          continue;
        }
        if (!live) break;
        live.seq = seq;
        live.updatedAt = event.at;
        // Logs written before `search_started` existed start at submission, on their first result.
        const start = event.type === 'search_started' ? event.at : event.type.startsWith('trial') && live.startedAt === undefined ? live.submittedAt : undefined;
        if (start !== undefined && live.startedAt === undefined) {
          live.startedAt = start;
          if (live.state === 'pending') live.state = 'running';
          run?.start(start);
        }
        if ((event.type === 'trial_completed' || event.type === 'trial_failed') && run) run.accept(event.result, event.at);
        else if (event.type === 'trials_landed' && run) for (const r of event.results) run.accept(r, event.at);
        else if (event.type === 'search_cancelled') {
          run?.cancel();
          live.state = 'cancelled';
          live.finishReason = event.reason;
        } else if (event.type === 'search_finished') {
          live.state = event.status;
          live.finishReason = event.reason;
          live.finishedAt = event.at;
        }
      }
      replaying = false;
      if (!live) continue;
      this.searches.set(searchId, live);
      if (live.requestId !== undefined) this.byRequestId.set(live.requestId, searchId);
      if (failed && live.finishedAt === undefined) {
        live.state = 'failed';
        live.finishReason = failed;
        live.finishedAt = this.now();
        live.seq = await this.opts.journal.append(searchId, [{ type: 'search_finished', status: 'failed', reason: failed, at: live.finishedAt }]);
        live.trace.finished('failed', failed, undefined);
        continue;
      }
      if (live.finishedAt === undefined && run && live.startedAt === undefined) {
        // Still waiting for a slot (or cancelled while it waited): queued again below.
        if (live.state === 'pending') this.waiting.push(searchId);
        else await this.finishIfDone(searchId, live);
        continue;
      }
      if (live.finishedAt === undefined && run) {
        live.trace.resumed({ 'hwnas.evaluations.done': run.counts.evaluationsDone, 'hwnas.in_flight': run.counts.inFlight });
        await this.dispatch(live.trace.dispatching(run.pending()));
        await this.finishIfDone(searchId, live);
      }
    }
  }
}
