import { isNasError } from '@hwnas/bench-core';
import { Admission } from './admission';
import { AutoWindows } from './auto-windows';
import { DEFAULT_TASK_TIMEOUT_MS, SearchNotFinishedError, type CoordinatorOptions, type SubmitOptions } from './coordinator-options';
import { observeSearches } from './coordinator-gauges';
import type { SearchEvent, TaskResult } from './events';
import { systemClock } from './ports/clock';
import type { EvalTask, Subscription } from './ports/task-queue';
import { ReportDesk } from './report-desk';
import { freshResults, newInbox } from './result-inbox';
import { searchOutcome } from './search-outcome';
import { applyEvent, applyEvents, fingerprintOf, isFinished, recordOf, submittedEvent, type LaterEvent } from './search-record';
import { replayJournal } from './search-replay';
import { DEFAULT_LIMITS, normalizeSearchSpec } from './search-spec';
import { loadScreen, screenOfCostModels } from './search-screening';
import type { ScreenOf } from './search-screening';
import { SearchTrace } from './search-trace';
import type { SearchView } from './search-view';
import { SearchDirectory, type Live } from './search-directory';
import { TaskDeadlines } from './task-deadlines';
import { TaskDispatcher } from './task-dispatcher';

/**
 * Runs many searches at once. A search's state is its record (`SearchRecord`), changed only by
 * {@link applyEvent} after the event is journalled; a restart replays the journal through the
 * same function, then re-dispatches what was in flight. Around it, parts with one job each:
 * {@link Admission} (slots), {@link TaskDispatcher} (publishing, with retries), {@link TaskDeadlines}
 * (overdue tasks), {@link AutoWindows} (windows that follow the live worker slots), the result
 * inbox (batches), the {@link ReportDesk} (trainers' reports, stop orders) and the
 * {@link SearchDirectory} (views, watchers).
 */
export class Coordinator extends SearchDirectory {
  private readonly admission: Admission;
  private readonly dispatcher: TaskDispatcher;
  private readonly deadlines: TaskDeadlines;
  private readonly windows: AutoWindows;
  /** Set while the journal is replayed: slots are only handed out once every search is known. */
  private recovering = false;
  private subscription?: Subscription;
  private readonly reports: ReportDesk;
  private stopGauges?: () => void;
  private readonly stopped = new AbortController();
  /** Pause before a failed publish, start or finish is tried again. */
  private readonly retryMs: number;
  /** Screens of searches with a cost model (absent: such searches are refused, or fail on replay). */
  private readonly screenOf?: ScreenOf;

  constructor(private readonly opts: CoordinatorOptions) {
    super(opts.clock ?? systemClock, opts.onError);
    this.retryMs = opts.redispatchMs ?? 1000;
    if (opts.costModels) this.screenOf = screenOfCostModels(opts.costModels);
    this.admission = new Admission(opts.maxRunningSearches ?? 0);
    this.dispatcher = new TaskDispatcher({
      queue: opts.queue,
      clock: this.clock,
      redispatchMs: this.retryMs,
      stillWanted: (t) => this.searches.get(t.searchId)?.record.run?.expects(t.taskId) ?? false,
      onPublishFailed: (t, err) => (this.searches.get(t.searchId)?.trace.dispatchFailed(t.taskId, err), opts.onError?.(err, `dispatching ${t.taskId}; will retry`)),
    });
    this.deadlines = new TaskDeadlines({
      clock: this.clock,
      timeoutMs: opts.taskTimeoutMs ?? DEFAULT_TASK_TIMEOUT_MS,
      pending: () => this.pendingTasks(),
      workers: opts.workers,
      log: opts.log,
      // Recorded as failed through the same path as a worker's result.
      onOverdue: (result) => void this.onResult(result).catch((e: unknown) => opts.onError?.(e, `failing overdue task ${result.taskId}`)),
    });
    // A new window for a search without one of its own, journalled in the search's turn (it may have ended by then).
    const resize = (live: Live, maxInFlight: number) =>
      void this.serialize(live, async () => {
        if (live.record.state === 'running' && live.record.run?.maxInFlight !== maxInFlight) await this.advance(live, await this.journalled(live, { type: 'window_resized', maxInFlight, at: this.clock.now() }));
      }).catch(() => undefined); // reported through onError by serialize(); tried again at the next check
    this.windows = new AutoWindows({ clock: this.clock, workers: opts.workers, everyMs: opts.windowCheckMs ?? 1000, searches: () => this.searches.values(), resize });
    this.reports = new ReportDesk({ ...opts, channel: opts.reports, clock: this.clock, find: (id) => this.searches.get(id), serialize: (l, fn) => this.serialize(l, fn), journalled: (l, e) => this.journalled(l, e), notify: (id, u) => this.watchers.notify(id, u) });
  }

  /** Rebuilds searches from the journal, re-dispatches their pending tasks, and starts consuming results. */
  async start(): Promise<void> {
    await this.recover();
    await this.reports.start(); // first: reports kept while no coordinator ran join their curves before a result ends them
    this.subscription = await this.opts.results.subscribe((r) => this.onResult(r));
    this.stopGauges ??= observeSearches(() => [...this.searches.values()].map((l) => l.record));
    this.deadlines.start();
    this.windows.start();
  }

  /**
   * Stops consuming results (searches stay in the journal). Open search and evaluation spans are
   * ended (marked suspended) so that they are exported; a successor parents on them.
   */
  async stop(): Promise<void> {
    await this.subscription?.stop();
    await this.reports.stop();
    this.stopped.abort();
    this.dispatcher.stop();
    this.deadlines.stop();
    this.windows.stop();
    await Promise.all([...this.searches.values()].map((s) => s.chain));
    for (const live of this.searches.values()) if (!isFinished(live.record)) live.trace.suspend();
    this.stopGauges = void this.stopGauges?.();
  }

  /**
   * Validates and starts a search; returns its id. Throws InvalidArgumentError naming the field
   * for a bad spec, UnknownMetricError for a metric no table or device provides.
   */
  async submit(input: unknown, opts: SubmitOptions = {}): Promise<string> {
    const spec = normalizeSearchSpec(input, this.opts.limits ?? DEFAULT_LIMITS);
    const earlier = this.submittedAs(opts.requestId, fingerprintOf(spec, opts.attachment));
    if (earlier !== undefined) return earlier;
    const setup = this.opts.factory.setup(spec);
    // The model is read once, here, and journalled: a replay screens with this very model.
    const screened = spec.costModel ? await loadScreen(this.opts.costModels, this.screenOf, spec, setup) : undefined;
    const searchId = (this.opts.newId ?? (() => crypto.randomUUID()))();
    const at = this.clock.now();
    const trace = SearchTrace.begin(searchId, spec, opts.traceparent);
    const submitted = submittedEvent(searchId, spec, at, { ...opts, traceparent: trace.traceparent, ...(screened ? { costModel: screened.model } : {}) });
    const live: Live = { record: recordOf(submitted, () => trace.traced(setup), 1, screened && (() => screened.screener)), chain: Promise.resolve(), trace };
    this.add(live);
    // A free slot is taken at once (synchronously, so that concurrent submissions count it).
    const startNow = this.admission.hasSlot();
    if (startNow) this.admission.hold(searchId);
    await this.serialize(live, async () => {
      const events: SearchEvent[] = startNow ? [submitted, ...this.windows.startEvents(live.record.spec, at)] : [submitted];
      try {
        live.record.seq = await this.opts.journal.append(searchId, events, 0);
      } catch (e) {
        trace.finished('failed', `journal append failed: ${isNasError(e) ? e.message : String(e)}`, undefined);
        // Nothing was logged, so the search does not exist: the caller gets the error (and may
        // retry with the same request id), and no slot stays taken.
        this.remove(live);
        this.admission.forget(searchId);
        throw e;
      }
      this.opts.log?.info({ searchId, strategy: spec.strategy, space: spec.space, dataset: spec.dataset, budget: spec.budget, state: startNow ? 'running' : 'pending' }, 'search submitted');
      if (!startNow) return this.admission.wait(searchId);
      await this.advance(live, applyEvents(live.record, events.slice(1) as LaterEvent[], live.record.seq));
    });
    return searchId;
  }

  /** Rebuilds every search in the journal (replaying it through the fold); running ones get their pending tasks again. */
  private async recover(): Promise<void> {
    this.recovering = true;
    try {
      for await (const live of replayJournal(this.opts.journal, this.opts.factory, (id) => this.searches.has(id), this.screenOf)) await this.resume(live);
    } finally {
      this.recovering = false;
    }
    this.admission.sort((id) => this.searches.get(id)?.record.submittedAt ?? 0);
    this.startWaiting();
  }

  private async resume(live: Live): Promise<void> {
    const { record } = live;
    this.add(live);
    // A search that can no longer be set up (e.g. its tables are gone) ends failed.
    if (record.setupError !== undefined && !isFinished(record)) {
      await this.journalled(live, { type: 'search_finished', status: 'failed', reason: record.setupError, at: this.clock.now() });
      return live.trace.finished('failed', record.setupError, undefined);
    }
    const { run } = record;
    this.reports.recovered(live);
    if (isFinished(record) || !run) return;
    // Still waiting for a slot (or cancelled while it waited).
    if (record.startedAt === undefined) return record.state === 'pending' ? this.admission.wait(record.searchId) : this.finishIfDone(live);
    this.admission.hold(record.searchId);
    live.trace.resumed({ 'hwnas.evaluations.done': run.counts.evaluationsDone, 'hwnas.in_flight': run.counts.inFlight });
    await this.advance(live, run.pending());
  }

  /** Starts pending searches, oldest first, while there are free slots (not while recovering). */
  private startWaiting(): void {
    for (let searchId; !this.recovering && (searchId = this.admission.admitNext()) !== undefined; ) {
      const live = this.searches.get(searchId);
      if (!live || live.record.state !== 'pending' || !live.record.run) {
        this.admission.release(searchId);
        continue;
      }
      const at = this.clock.now();
      const events = this.windows.startEvents(live.record.spec, at);
      void this.serialize(live, async () => {
        let seq: number;
        try {
          seq = await this.opts.journal.append(searchId, events);
        } catch (e) {
          // Not started after all: back to the head of the line, and another try in a while.
          this.admission.release(searchId);
          this.admission.wait(searchId, true);
          this.clock.sleep(this.retryMs, this.stopped.signal).then(() => this.startWaiting(), () => undefined);
          throw e;
        }
        const tasks = applyEvents(live.record, events, seq);
        this.opts.log?.info({ searchId, waitedMs: at - live.record.submittedAt }, 'search started');
        this.watchers.notify(searchId, { type: 'state', view: this.view(live) });
        await this.advance(live, tasks);
      }).catch(() => undefined); // reported through onError by serialize()
    }
  }

  /** Stops dispatching new evaluations; what is in flight drains, then the search ends cancelled. */
  async cancel(searchId: string, reason = 'cancelled by request'): Promise<SearchView> {
    const live = this.live(searchId);
    await this.serialize(live, async () => {
      if ((live.record.state !== 'running' && live.record.state !== 'pending') || !live.record.run) return;
      await this.journalled(live, { type: 'search_cancelled', reason, at: this.clock.now() });
      this.reports.stopIfRunning(live); // trainers would otherwise train to the end before the search can end
      await this.finishIfDone(live);
      this.watchers.notify(searchId, { type: 'state', view: this.view(live) });
    });
    return this.view(live);
  }

  /**
   * Deletes a finished search: it is gone from this coordinator and from the next one's recovery
   * (the journal keeps a tombstone). Throws {@link SearchNotFinishedError} for one still running.
   */
  async delete(searchId: string): Promise<void> {
    const live = this.live(searchId);
    await this.serialize(live, async () => {
      if (!isFinished(live.record)) throw new SearchNotFinishedError(searchId, live.record.state);
      live.record.seq = await this.opts.journal.append(searchId, [{ type: 'search_deleted', at: this.clock.now() }]);
      this.remove(live);
      this.admission.forget(searchId);
    });
  }

  /** Journals an event, then applies it (the order every live change follows); returns the tasks it makes. */
  private async journalled(live: Live, event: LaterEvent): Promise<readonly EvalTask[]> {
    return applyEvent(live.record, event, await this.opts.journal.append(live.record.searchId, [event]));
  }

  /**
   * Dispatches what a journalled change made, then ends the search if it is done (a resize may end
   * it, as a result does). A screened search's decisions on those tasks are journalled first; if
   * that fails the tasks still go out (a replay makes the same decisions in its fold).
   */
  private async advance(live: Live, tasks: readonly EvalTask[]): Promise<void> {
    const decisions = live.record.run?.takeScreenDecisions() ?? [];
    if (decisions.length) {
      await this.journalled(live, { type: 'costs_screened', decisions, at: this.clock.now() }).catch((e: unknown) => this.opts.onError?.(e, `journalling the screening decisions of ${live.record.searchId}`));
    }
    await this.dispatcher.dispatch(live.trace.dispatching(tasks));
    await this.finishIfDone(live);
  }

  /**
   * Queues one result to be applied with the others of its batch (see `newInbox`). Resolves once
   * it is applied (or ignored as a duplicate); rejects when the journal append failed, so that the
   * channel delivers it again.
   */
  private onResult(result: TaskResult): Promise<void> {
    const live = this.searches.get(result.searchId);
    if (!live) return Promise.resolve(); // a result of a search this coordinator does not know (e.g. deleted)
    let inbox = live.inbox;
    if (!inbox) {
      inbox = live.inbox = newInbox();
      void this.serialize(live, () => this.applyInbox(live)).catch(() => undefined);
    }
    inbox.results.push(result);
    return inbox.applied;
  }

  private async applyInbox(live: Live): Promise<void> {
    const inbox = live.inbox!;
    live.inbox = undefined;
    try {
      const run = live.record.run;
      const fresh = run ? freshResults(inbox.results, (id) => run.expects(id)) : [];
      if (run && fresh.length) {
        const at = this.clock.now();
        const event: LaterEvent =
          fresh.length === 1 ? { type: fresh[0].status === 'ok' ? 'trial_completed' : 'trial_failed', result: fresh[0], at } : { type: 'trials_landed', results: fresh, at };
        for (const result of fresh) live.trace.landed(result, run.needOf(result.taskId), run.screening?.predicted(result.taskId));
        const told = run.history().length;
        const tasks = await this.journalled(live, event);
        this.notifyEvaluations(live, told);
        live.trace.progress(run.counts, run.best(), () => run.pareto());
        await this.advance(live, tasks);
      }
      inbox.resolve();
    } catch (e) {
      inbox.reject(e);
      throw e;
    }
  }

  private async finishIfDone(live: Live): Promise<void> {
    const { record } = live;
    const run = record.run;
    if (!run || !run.finished || isFinished(record)) return;
    const outcome = searchOutcome(run, record.spec, record.state === 'cancelled' ? (record.finishReason ?? 'cancelled') : undefined);
    const event = { type: 'search_finished', status: outcome.status, reason: outcome.reason, at: this.clock.now(), ...(outcome.failureCode ? { failureCode: outcome.failureCode } : {}) } as const;
    try {
      await this.journalled(live, event);
    } catch (e) {
      // No result is left to bring this search back here: try again in a while, until it ends and frees its slot.
      this.clock.sleep(this.retryMs, this.stopped.signal).then(() => this.serialize(live, () => this.finishIfDone(live)).catch(() => undefined), () => undefined);
      throw e;
    }
    live.trace.finished(outcome.status, outcome.reason, run.counts);
    this.opts.log?.info({ searchId: record.searchId, state: outcome.status, reason: outcome.reason, ...run.counts, seconds: (event.at - (record.startedAt ?? record.submittedAt)) / 1000 }, 'search finished');
    this.watchers.notify(record.searchId, { type: 'state', view: this.view(live) });
    this.reports.ended(live);
    // What is still queued is dead (e.g. a task whose deliveries crashing workers used up): drop it for good.
    if (run.counts.evaluationsDispatched + run.counts.costQueries > 0) {
      this.opts.queue.discard(record.searchId).catch((e: unknown) => this.opts.onError?.(e, `discarding the leftover tasks of ${record.searchId}`));
    }
    this.admission.release(record.searchId);
    if (record.startedAt !== undefined) this.startWaiting();
  }
}
