/**
 * What the dashboard shows, as plain JSON: the server sends these to the browser, and the
 * {@link DashboardSource} implementations build them. Times are epoch milliseconds.
 */

/** A metric with its unit and, for objectives, its direction. */
export interface MetricDescription {
  readonly metric: string;
  /** `%`, `ms`, `mJ`, `M`, or `` for none. */
  readonly unit: string;
  readonly direction?: 'min' | 'max';
}

/** A constraint `metric <= bound`, bound in the metric's unit. */
export interface ConstraintDescription {
  readonly metric: string;
  readonly bound: number;
  readonly unit: string;
}

/** One search as the list shows it. */
export interface SearchSummary {
  readonly searchId: string;
  readonly state: 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  readonly space: string;
  readonly dataset: string;
  readonly strategy: string;
  /** Full evaluations the search will make. */
  readonly budget: number;
  readonly evaluationsDone: number;
  readonly evaluationsFailed: number;
  readonly inFlight: number;
  readonly submittedAtMs: number;
  readonly startedAtMs?: number;
  readonly finishedAtMs?: number;
  readonly finishReason?: string;
  readonly etaMs?: number;
  readonly evaluationsPerSecond: number;
  /** The first objective: what "best" is judged by. */
  readonly objective: MetricDescription;
  readonly best?: { readonly trialId: number; readonly value?: number; readonly arch: string };
  /** Size of the feasible Pareto front, for a search with two or more objectives. */
  readonly frontSize?: number;
}

/** One trial (an evaluated architecture) of a search. */
export interface TrialRow {
  readonly trialId: number;
  /** Position in the order results were told to the strategy. */
  readonly tellIndex?: number;
  readonly arch: string;
  /** `full`: an accuracy evaluation (counted by the budget); `costs`: a cost-first query. */
  readonly need: 'full' | 'costs';
  readonly status: 'ok' | 'failed';
  readonly feasible: boolean;
  readonly metrics: Readonly<Record<string, number>>;
  /** Metrics measured on a device backend (the others come from tables or the proxy). */
  readonly measured: readonly string[];
  /** Device costs of a screened search that are the cost model's predictions (`<metric>_measured` 0), not measurements. */
  readonly predicted?: readonly string[];
  readonly error?: string;
  readonly finishedAtMs?: number;
  readonly cached?: boolean;
  /** Per-epoch values a trainer reported, by metric (absent when it reports none). */
  readonly learningCurves?: Readonly<Record<string, readonly (readonly [number, number])[]>>;
}

/** A search with its trials (from `trialsFrom` on, in tell order). */
export interface SearchDetail {
  readonly summary: SearchSummary;
  readonly objectives: readonly MetricDescription[];
  readonly constraints: readonly ConstraintDescription[];
  /** Units of every metric the trials carry. */
  readonly units: Readonly<Record<string, string>>;
  /** Which of those metrics are better larger (accuracies, proxy scores); the others are costs. */
  readonly higherIsBetter: readonly string[];
  /** Device backends whose measurements join each evaluation. */
  readonly devices: readonly string[];
  /** Index (in tell order) of the first trial in `trials`. */
  readonly trialsFrom: number;
  /** Every trial told so far, in tell order, from `trialsFrom`. */
  readonly trials: readonly TrialRow[];
  /** Total trials told so far. */
  readonly trialCount: number;
  /** Trial ids of the feasible Pareto front (multi-objective searches). */
  readonly frontIds: readonly number[];
  readonly bestId?: number;
  /** OpenTelemetry trace id of the search (32 hex digits), when it was traced. */
  readonly traceId?: string;
}

/** A device backend or device agent pool. */
export interface DeviceRow {
  readonly deviceId: string;
  readonly kind: string;
  readonly description: string;
  /** Metrics it reports. */
  readonly metrics: readonly string[];
  /** Live agents serving it (1 for an in-process backend). */
  readonly agents: number;
  /** Measurements waiting for it, when known. */
  readonly queued?: number;
  readonly lastSeenAtMs?: number;
}

/** Queues the dashboard shows beside the devices. */
export interface QueueRow {
  readonly name: string;
  /** Tasks waiting. */
  readonly waiting: number;
}

/** The devices page data: devices and the work queue(s). */
export interface DevicesView {
  readonly devices: readonly DeviceRow[];
  readonly queues: readonly QueueRow[];
}
