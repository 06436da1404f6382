import { InvalidArgumentError, isNasError } from '@hwnas/bench-core';
import type { RungStopper } from '@hwnas/search';
import type { SearchEvent } from './events';
import type { LoadedCostModel } from './ports/cost-models';
import type { EvalTask } from './ports/task-queue';
import { SearchRun } from './search-run';
import type { ScreenOf } from './search-screening';
import type { SearchSetup } from './search-run';
import type { FailureCode } from './search-outcome';
import type { SearchSpec } from './search-spec';
import { createStopper } from './training-schedulers';
import { reportScore } from './trial-report';
import type { CurvePoint } from './trial-report';

/**
 * Lifecycle state of a search: `pending` (accepted, waiting for a slot: see
 * `CoordinatorOptions.maxRunningSearches`), then `running`, then a terminal one.
 */
export type SearchState = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** What a coordinator knows of one search: a fold over its events ({@link applyEvent}). */
export interface SearchRecord {
  readonly searchId: string;
  readonly spec: SearchSpec;
  /** The ask/tell loop; absent when the search could not be set up (it then ends failed). */
  readonly run?: SearchRun;
  /** Why the search could not be set up, when it could not. */
  readonly setupError?: string;
  state: SearchState;
  submittedAt: number;
  startedAt?: number;
  updatedAt: number;
  finishedAt?: number;
  finishReason?: string;
  failureCode?: FailureCode;
  /** Position of the last event applied (1-based, as in the journal). */
  seq: number;
  readonly requestId?: string;
  readonly attachment?: unknown;
  readonly traceparent?: string;
  /** JSON of (spec, attachment), to compare a repeated request id with. */
  readonly fingerprint: string;
  /**
   * Learning curves of trainer searches: the reports of each trial by epoch, those that came
   * after the trial's result (`late`) included. A report journalled out of order (one a crashed
   * coordinator held came back after its ack wait) takes its place by epoch; repeats of an epoch
   * (a retried evaluation) follow the earlier ones.
   */
  readonly curves: Map<number, CurvePoint[]>;
  /** The stopping rule of a trainer search with `asha` or `hyperband`; its state is a fold of the reports. */
  readonly stopper?: RungStopper;
  /** Trials the stopper stopped, with the epoch of the report it stopped them at. */
  readonly stopped: Map<number, number>;
  /** Trials sent out as a task of their own: the only ones whose reports belong to the search. */
  readonly dispatched: Set<number>;
  /** A screened search's cost model, as journalled at submission. */
  readonly costModel?: LoadedCostModel;
}

/** Any event of a search's log but its first. */
export type LaterEvent = Exclude<SearchEvent, { type: 'search_submitted' }>;

/** Builds the strategy's setup from a spec (a `SearchFactory`, decorated with tracing by the caller). */
export type SetupOf = (spec: SearchSpec) => SearchSetup;

/**
 * A search's record from its first event. A spec that can no longer be set up gives a record
 * without a run; so does a screened search (`spec.costModel`) without `screenOf` (a coordinator
 * without cost models).
 */
export function recordOf(event: Extract<SearchEvent, { type: 'search_submitted' }>, setupOf: SetupOf, seq = 1, screenOf?: ScreenOf): SearchRecord {
  let run: SearchRun | undefined;
  let setupError: string | undefined;
  try {
    const setup = setupOf(event.spec);
    let screener;
    if (event.spec.costModel) {
      if (!event.costModel) throw new InvalidArgumentError('costModel: the search was journalled without its cost model');
      if (!screenOf) throw new InvalidArgumentError('costModel: this coordinator has no cost models (start it with a data directory and NATS)');
      screener = screenOf(event.costModel, event.spec, setup);
    }
    run = new SearchRun(event.searchId, event.spec, setup, screener);
  } catch (e) {
    setupError = isNasError(e) ? e.message : String(e);
  }
  const training = event.spec.training;
  let stopper: RungStopper | undefined;
  if (training && setupError === undefined) {
    try {
      stopper = createStopper(training);
    } catch (e) {
      setupError = `training: ${isNasError(e) ? e.message : String(e)}`;
      run = undefined;
    }
  }
  return {
    searchId: event.searchId,
    spec: event.spec,
    ...(run ? { run } : {}),
    curves: new Map(),
    ...(stopper ? { stopper } : {}),
    stopped: new Map(),
    dispatched: new Set(),
    ...(setupError !== undefined ? { setupError } : {}),
    state: 'pending',
    submittedAt: event.at,
    updatedAt: event.at,
    seq,
    fingerprint: fingerprintOf(event.spec, event.attachment),
    ...(event.requestId !== undefined ? { requestId: event.requestId } : {}),
    ...(event.attachment !== undefined ? { attachment: event.attachment } : {}),
    ...(event.traceparent !== undefined ? { traceparent: event.traceparent } : {}),
    ...(event.costModel !== undefined ? { costModel: event.costModel } : {}),
  };
}

/** What a repeated request id is compared with. */
export function fingerprintOf(spec: SearchSpec, attachment: unknown): string {
  return JSON.stringify([spec, attachment ?? null]);
}

/**
 * Applies one event to a search's record: the one place a search's state changes, used alike by
 * live handling (after the event is journalled) and by recovery (replaying the journal), so the
 * two cannot drift. Returns the tasks the event makes the loop dispatch (live handling publishes
 * them; recovery ignores them and re-dispatches what is pending once the replay is over).
 */
export function applyEvent(record: SearchRecord, event: LaterEvent, seq: number): readonly EvalTask[] {
  record.seq = seq;
  record.updatedAt = event.at;
  const run = record.run;
  // Logs written before `search_started` existed start at submission, on their first result.
  const startAt = event.type === 'search_started' ? event.at : event.type.startsWith('trial') ? record.submittedAt : undefined;
  const tasks: EvalTask[] = [];
  if (startAt !== undefined && record.startedAt === undefined && record.finishedAt === undefined) {
    record.startedAt = startAt;
    if (record.state === 'pending') record.state = 'running';
    if (run) for (const t of run.start(startAt).dispatch) tasks.push(t);
  }
  switch (event.type) {
    case 'trial_completed':
    case 'trial_failed':
      if (run) for (const t of run.accept(event.result, event.at).dispatch) tasks.push(t);
      break;
    case 'trials_landed':
      if (run) for (const r of event.results) for (const t of run.accept(r, event.at).dispatch) tasks.push(t);
      break;
    case 'trial_report':
      applyReport(record, event);
      break;
    case 'window_resized':
      if (run) for (const t of run.resize(event.maxInFlight, event.at).dispatch) tasks.push(t);
      break;
    case 'search_cancelled':
      run?.cancel();
      record.state = 'cancelled';
      record.finishReason = event.reason;
      break;
    case 'search_finished':
      record.state = event.status;
      record.finishReason = event.reason;
      record.finishedAt = event.at;
      if (event.failureCode) record.failureCode = event.failureCode;
      break;
    case 'costs_screened':
      run?.screening?.adopt(event.decisions);
      break;
    case 'search_started':
    case 'search_deleted':
      break;
  }
  for (const t of tasks) record.dispatched.add(t.trialId);
  return tasks;
}

/**
 * A report joins its trial's curve and, with a scheduler, is judged: a trial that falls behind is
 * marked stopped. A late report (its trial's result came first) is a curve point only.
 */
function applyReport(record: SearchRecord, event: Extract<SearchEvent, { type: 'trial_report' }>): void {
  let curve = record.curves.get(event.trialId);
  if (!curve) record.curves.set(event.trialId, (curve = []));
  let at = curve.length;
  while (at > 0 && curve[at - 1].epoch > event.epoch) at--;
  curve.splice(at, 0, { epoch: event.epoch, metrics: event.metrics });
  if (event.late || !record.stopper || record.stopped.has(event.trialId)) return;
  if (record.stopper.onReport(event.trialId, event.epoch, reportScore(event.metrics)) === 'stop') record.stopped.set(event.trialId, event.epoch);
}

/** Applies events journalled together, the last one at `lastSeq`; returns the tasks they make. */
export function applyEvents(record: SearchRecord, events: readonly LaterEvent[], lastSeq: number): EvalTask[] {
  return events.flatMap((e, i) => applyEvent(record, e, lastSeq - events.length + 1 + i));
}

/** Whether a search has ended (any terminal state, its `search_finished` applied). */
export function isFinished(record: SearchRecord): boolean {
  return record.finishedAt !== undefined;
}

/** The first event of a search's log. */
export function submittedEvent(
  searchId: string,
  spec: SearchSpec,
  at: number,
  opts: { readonly requestId?: string; readonly attachment?: unknown; readonly traceparent?: string; readonly costModel?: LoadedCostModel },
): Extract<SearchEvent, { type: 'search_submitted' }> {
  return {
    type: 'search_submitted',
    searchId,
    spec,
    at,
    ...(opts.requestId !== undefined ? { requestId: opts.requestId } : {}),
    ...(opts.attachment !== undefined ? { attachment: opts.attachment } : {}),
    ...(opts.traceparent !== undefined ? { traceparent: opts.traceparent } : {}),
    ...(opts.costModel !== undefined ? { costModel: opts.costModel } : {}),
  };
}
