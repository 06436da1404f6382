import { NasError } from '@hwnas/bench-core';
import type { ResultChannel } from './ports/result-channel';
import type { TrialReportChannel } from './ports/trial-report-channel';
import type { Clock } from './ports/clock';
import type { CostModels } from './ports/cost-models';
import type { LiveWorkers } from './ports/live-workers';
import type { TaskQueue } from './ports/task-queue';
import type { TrialJournal } from './ports/trial-journal';
import type { SearchSetup } from './search-run';
import type { SearchLimits, SearchSpec } from './search-spec';

/** Builds what a search runs with from its spec; validates metric names against what exists. */
export interface SearchFactory {
  setup(spec: SearchSpec): SearchSetup;
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

/** Thrown by {@link Coordinator.submit} when a request id was used before with a different request. */
export class RequestIdConflictError extends NasError {
  override name = 'RequestIdConflictError';
  constructor(requestId: string, searchId: string) {
    super(`request_id "${requestId}" was already used by search ${searchId} with a different request`, 'already_exists');
  }
}

/** Thrown by {@link Coordinator.delete} for a search that has not finished. */
export class SearchNotFinishedError extends NasError {
  override name = 'SearchNotFinishedError';
  constructor(id: string, state: string) {
    super(`search "${id}" is ${state}: cancel it, and delete it once it has finished`, 'failed_precondition');
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
  /**
   * Intermediate reports of trainer evaluations, and stop orders back to the workers: reports of
   * tasks in flight are journalled (`trial_report`), shown to watchers, and judged by the search's
   * scheduler (`training.scheduler`); a trial it stops gets a stop order. Absent: none are received.
   */
  readonly reports?: TrialReportChannel;
  /**
   * A search cancelled (or ended) with evaluations running orders them stopped on `reports`
   * (workers end their trainers); the order is sent again this often, milliseconds, while the
   * search still has evaluations running (default 3000).
   */
  readonly stopResendMs?: number;
  /**
   * Reports that come after their trial's result, or after the search ended, still join its
   * curves (as late points, judged by nothing); an ended search's reports are purged from
   * `reports` this long after its end, milliseconds (default 10000).
   */
  readonly reportPurgeDelayMs?: number;
  readonly journal: TrialJournal;
  readonly factory: SearchFactory;
  /**
   * Stored cost models, for searches submitted with `costModel` (cost-first screening of a device
   * cost). Absent: such searches are refused (invalid_argument).
   */
  readonly costModels?: CostModels;
  readonly limits?: SearchLimits;
  /**
   * Time: timestamps, task deadlines and the pauses before retries (default the system clock).
   * Never used for search decisions.
   */
  readonly clock?: Clock;
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
  /**
   * The live workers, from their heartbeats. With them, a search submitted with `maxInFlight` 0
   * runs as many evaluations as they have slots (see `AutoWindows`), and a task a live worker
   * reports running is never failed by `taskTimeoutMs` (its deadline follows the worker's lease:
   * it restarts once the worker is gone). Without them: one at a time, and deadlines from dispatch.
   */
  readonly workers?: LiveWorkers;
  /** How often the windows of searches without one are matched to the live slots, milliseconds (default 1000). */
  readonly windowCheckMs?: number;
}

/** The calls of a pino-style logger the coordinator makes (see {@link CoordinatorOptions.log}). */
export interface CoordinatorLog {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
}

/** Default of {@link CoordinatorOptions.taskTimeoutMs}. */
export const DEFAULT_TASK_TIMEOUT_MS = 10 * 60_000;
