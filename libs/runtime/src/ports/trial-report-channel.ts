import type { TrialReport } from '../trial-report';
import type { Subscription } from './task-queue';

/** The coordinator's order to end one running trial early: its scheduler judged a report of it. */
export interface TrialStopOrder {
  readonly type: 'trial';
  readonly searchId: string;
  readonly trialId: number;
  /** The epoch of the report the trial was stopped at. */
  readonly epoch: number;
}

/**
 * The coordinator's order to end every evaluation of a search (it was cancelled, or ended with
 * evaluations still running): workers end those trainers, fail them as `cancelled` (not retried)
 * and refuse the search's later tasks. Sent again while the search still has evaluations running.
 */
export interface SearchStopOrder {
  readonly type: 'search';
  readonly searchId: string;
}

/** A stop order, of one trial or of a whole search. */
export type StopOrder = TrialStopOrder | SearchStopOrder;

/**
 * Carries the intermediate reports of trainer evaluations from workers to the coordinator, and
 * the coordinator's stop orders back to the workers (every worker hears every order; those
 * running the trial or search act on it). Stop orders are at most once (the coordinator repeats
 * the ones that matter). Reports are delivered at least once where the channel keeps them (see
 * the implementation): the subscriber's handler resolves once a report is safe (journalled) and
 * rejects to have it delivered again. Stop handlers must not throw.
 */
export interface TrialReportChannel {
  publishReport(report: TrialReport): Promise<void>;
  /**
   * Resolves once the subscription runs and the reports the channel kept from before it have been
   * handled (a bounded wait): a restarted coordinator journals them before it applies results.
   */
  subscribeReports(handler: (report: TrialReport) => Promise<void>): Promise<Subscription>;
  publishStop(order: StopOrder): Promise<void>;
  subscribeStops(handler: (order: StopOrder) => void): Promise<Subscription>;
  /** Drops whatever the channel still keeps of a search's reports (called once the search ended). Optional: a channel that keeps nothing has nothing to drop. */
  discardReports?(searchId: string): Promise<void>;
}
