import type { TrialReport } from '../trial-report';
import type { Subscription } from './task-queue';

/** The coordinator's order to end a running trial early: its scheduler judged a report of it. */
export interface StopOrder {
  readonly searchId: string;
  readonly trialId: number;
  /** The epoch of the report the trial was stopped at. */
  readonly epoch: number;
}

/**
 * Carries the intermediate reports of trainer evaluations from workers to the coordinator, and
 * the coordinator's stop orders back to the workers (every worker hears every order; the one
 * running the trial acts on it). At most once, unlike results: a report lost while the
 * coordinator is down costs a point of a learning curve (and that rung's judgement of the trial,
 * which then goes on), never a result. Handlers must not throw.
 */
export interface TrialReportChannel {
  publishReport(report: TrialReport): Promise<void>;
  subscribeReports(handler: (report: TrialReport) => void): Promise<Subscription>;
  publishStop(order: StopOrder): Promise<void>;
  subscribeStops(handler: (order: StopOrder) => void): Promise<Subscription>;
}
