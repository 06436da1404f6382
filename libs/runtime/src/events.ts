import type { Metrics } from '@hwnas/bench-core';
import type { LoadedCostModel } from './ports/cost-models';
import type { SearchSpec } from './search-spec';

/** A NasError's code and message, as stored in events and results. */
export interface ErrorInfo {
  readonly code: string;
  readonly message: string;
}

/** The outcome of one evaluation task, as a worker reports it. */
export interface TaskResult {
  /** `<searchId>.<trialId>`: unique per evaluation; results are applied once per task id. */
  readonly taskId: string;
  readonly searchId: string;
  readonly trialId: number;
  readonly status: 'ok' | 'failed';
  readonly metrics?: Metrics;
  readonly error?: ErrorInfo;
  /** Which worker produced it and how many deliveries it took. */
  readonly workerId?: string;
  readonly attempts?: number;
  /** Worker-side evaluation time, milliseconds. */
  readonly durationMs?: number;
  /** W3C trace context of the worker's span, when tracing is on (recorded as an attribute only). */
  readonly traceparent?: string;
}

/**
 * How a screened search (`SearchSpec.costModel`) got one device cost: `measure` (on the device),
 * `known` (measured earlier in the search), `predict` (the model's mean), or `verify` (a predicted
 * full result that could change the result, measured before it is told).
 */
export interface ScreenDecision {
  /** The task decided (a verification's is `<taskId>/verify`). */
  readonly taskId: string;
  readonly decision: 'measure' | 'known' | 'predict' | 'verify';
  /** The model's prediction when the task was asked, in the metric's unit. */
  readonly mean: number;
  readonly std: number;
  /** `known`: the measurement used. */
  readonly value?: number;
  /** `predict`: the lowest plausible cost (mean minus the band) a verification is decided with. */
  readonly optimistic?: number;
}

/**
 * The events of a search's append-only log. Views (state, best, Pareto set) are folds over it;
 * a restarted coordinator rebuilds a running search by replaying it into a fresh strategy.
 */
export type SearchEvent =
  | {
      readonly type: 'search_submitted';
      readonly searchId: string;
      readonly spec: SearchSpec;
      readonly at: number;
      /** The client's idempotency key, when it gave one. */
      readonly requestId?: string;
      /** Opaque JSON the caller keeps with the search (e.g. the request as submitted, labels). */
      readonly attachment?: unknown;
      /**
       * W3C trace context of the search span, when tracing was on: a restarted coordinator parents
       * the search's later spans on it, so that the search stays one trace.
       */
      readonly traceparent?: string;
      /** A screened search's cost model as read from the store at submission (replay reads no store). */
      readonly costModel?: LoadedCostModel;
    }
  /**
   * The search left the queue of pending searches and started asking (a coordinator runs at most
   * `maxRunningSearches` at once). Logs written before this event existed start at submission.
   */
  | { readonly type: 'search_started'; readonly at: number }
  | { readonly type: 'trial_completed'; readonly result: TaskResult; readonly at: number }
  | { readonly type: 'trial_failed'; readonly result: TaskResult; readonly at: number }
  /** Several results applied together (ok or failed), in the order they were applied. */
  | { readonly type: 'trials_landed'; readonly results: readonly TaskResult[]; readonly at: number }
  /**
   * An intermediate report of a trainer evaluation (after `epoch` epochs, total): a point of the
   * trial's learning curve and, for an evaluation in flight, what the search's scheduler judges
   * (early stopping). `late`: the report came after its trial's result (or after the search
   * ended), so it is a curve point only, judged by nothing: it changes no decision of the search.
   */
  | { readonly type: 'trial_report'; readonly trialId: number; readonly epoch: number; readonly metrics: Metrics; readonly at: number; readonly late?: true }
  | { readonly type: 'search_cancelled'; readonly reason: string; readonly at: number }
  /**
   * The in-flight window of a search submitted without one (`maxInFlight` 0) changed to follow the
   * live worker slots (see `AutoWindows`); replayed at its place among the results.
   */
  | { readonly type: 'window_resized'; readonly maxInFlight: number; readonly at: number }
  /** Screening decisions of a search with a cost model, journalled before their tasks go out. */
  | { readonly type: 'costs_screened'; readonly decisions: readonly ScreenDecision[]; readonly at: number }
  /** The search was deleted (it had finished): recovery forgets it; its log stays as a tombstone. */
  | { readonly type: 'search_deleted'; readonly at: number }
  | {
      readonly type: 'search_finished';
      readonly status: 'succeeded' | 'failed' | 'cancelled';
      readonly reason: string;
      readonly at: number;
      /** For a failed search that ran to its end: why (`too_many_failures`, `no_feasible_architecture`). */
      readonly failureCode?: 'too_many_failures' | 'no_feasible_architecture';
    };

/** An event with its position in the log (1-based, gap-free per search). */
export interface SequencedEvent {
  readonly seq: number;
  readonly event: SearchEvent;
}
