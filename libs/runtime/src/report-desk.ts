import type { CoordinatorLog } from './coordinator-options';
import type { Clock } from './ports/clock';
import type { Subscription } from './ports/task-queue';
import type { TrialReportChannel } from './ports/trial-report-channel';
import { isFinished, type LaterEvent } from './search-record';
import { SearchStopOrders } from './stop-orders';
import type { Live } from './search-directory';
import type { SearchUpdate } from './search-view';
import type { Metrics } from '@hwnas/bench-core';
import type { TrialReport } from './trial-report';

/** What the {@link ReportDesk} needs of its coordinator. */
export interface ReportDeskOptions {
  readonly channel?: TrialReportChannel;
  readonly clock: Clock;
  readonly log?: CoordinatorLog;
  readonly onError?: (err: unknown, context: string) => void;
  /** Pause between two sends of a whole-search stop order, milliseconds (default 3000). */
  readonly stopResendMs?: number;
  /** How long after a search ends its reports are purged from the channel, milliseconds (default 10000). */
  readonly reportPurgeDelayMs?: number;
  find(searchId: string): Live | undefined;
  /** Runs `fn` in the search's turn (its changes are applied one at a time). */
  serialize(live: Live, fn: () => Promise<void>): Promise<void>;
  /** Journals an event, then applies it to the record. */
  journalled(live: Live, event: LaterEvent): Promise<unknown>;
  notify(searchId: string, update: SearchUpdate): void;
}

/**
 * The coordinator's part for trainers' intermediate reports: a report of a task in flight is
 * journalled (so that recovery rebuilds curves and the scheduler's state), shown to watchers and
 * judged by the fold, and only then acknowledged to the channel; a trial the scheduler stops gets
 * a stop order (its worker ends the trainer and returns a stopped result).
 *
 * Reports and results travel apart, so a trial's last reports may come after its result, or after
 * the search ended: such a report of a trial the search dispatched is journalled as `late`, a
 * curve point that nothing judges (no stop order, no scheduler state, same outcome). Reports of a
 * trial never dispatched, or of a search deleted or unknown, are dropped.
 *
 * A search cancelled or ended with evaluations running gets a whole-search stop order, repeated
 * while they run ({@link SearchStopOrders}); an ended search's reports are purged from the channel
 * `reportPurgeDelayMs` after its end, once its last trials' reports had time to come through.
 */
export class ReportDesk {
  private subscription?: Subscription;
  private readonly searchStops: SearchStopOrders;
  private readonly stopped = new AbortController();

  constructor(private readonly opts: ReportDeskOptions) {
    this.searchStops = new SearchStopOrders({ channel: opts.channel, clock: opts.clock, resendMs: opts.stopResendMs, onError: opts.onError });
  }

  async start(): Promise<void> {
    this.subscription = await this.opts.channel?.subscribeReports((r) => this.onReport(r));
  }

  async stop(): Promise<void> {
    this.stopped.abort();
    this.searchStops.stop();
    await this.subscription?.stop();
  }

  /**
   * After a restart, stop orders sent before it may have been lost with it: trials stopped and
   * still in flight get theirs again, and so does a search cancelled or ended with evaluations
   * outstanding (see {@link stopIfRunning}).
   */
  recovered(live: Live): void {
    const { record } = live;
    const run = record.run;
    if (!run) return;
    if (!isFinished(record)) for (const [trialId, epoch] of record.stopped) if (run.trialInFlight(trialId)) this.sendStop(record.searchId, trialId, epoch);
    if (isFinished(record) || record.state === 'cancelled') this.stopIfRunning(live);
    // An end whose purge a stopped coordinator did not get to: purged now (or when its delay is up).
    // Older ends need none: the channel's own age limit (a day on JetStream) has removed their reports.
    if (record.finishedAt !== undefined && this.opts.clock.now() - record.finishedAt < RECENT_END_MS) this.purgeLater(record.searchId, record.finishedAt);
  }

  /**
   * For a search that was cancelled or has ended: when evaluations of it still run, orders them
   * stopped, again every `stopResendMs` while the search is not finished and still has some (an
   * ended search's later results are not recorded, so its order goes once per call).
   */
  stopIfRunning(live: Live): void {
    const run = live.record.run;
    if (!run || run.counts.inFlight === 0) return;
    const { searchId } = live.record;
    this.opts.log?.info({ searchId, inFlight: run.counts.inFlight }, 'ordering the evaluations of the search stopped');
    this.searchStops.order(searchId, () => this.opts.find(searchId) === live && !isFinished(live.record) && run.counts.inFlight > 0);
  }

  /**
   * A search ended: its running evaluations (if any) are ordered stopped, and its reports purged
   * from the channel after a while (a coordinator stopped before then leaves them to the next).
   */
  ended(live: Live): void {
    this.stopIfRunning(live);
    this.purgeLater(live.record.searchId, this.opts.clock.now());
  }

  /** Purges a search's reports from the channel `reportPurgeDelayMs` after `endedAt`. */
  private purgeLater(searchId: string, endedAt: number): void {
    const discard = this.opts.channel?.discardReports?.bind(this.opts.channel);
    if (!discard) return;
    const delayMs = Math.max(0, endedAt + (this.opts.reportPurgeDelayMs ?? 10_000) - this.opts.clock.now());
    this.opts.clock.sleep(delayMs, this.stopped.signal).then(
      () => discard(searchId).catch((e: unknown) => this.opts.onError?.(e, `discarding the reports of ${searchId}`)),
      () => undefined,
    );
  }

  /** Resolves once the report is journalled (or found not to belong to the search any more); rejects when the journal failed. */
  private onReport(report: TrialReport): Promise<void> {
    const live = this.opts.find(report.searchId);
    const run = live?.record.run;
    if (!live || !run) return Promise.resolve();
    return this.opts.serialize(live, async () => {
      const { record } = live;
      const inFlight = !isFinished(record) && run.trialInFlight(report.trialId);
      if (!inFlight && !record.dispatched.has(report.trialId)) return; // not a trial of this search
      // Delivered again (its acknowledgement was lost, e.g. with a coordinator that crashed after journalling it).
      if (record.curves.get(report.trialId)?.some((p) => p.epoch === report.epoch && sameMetrics(p.metrics, report.metrics))) return;
      const wasStopped = record.stopped.has(report.trialId);
      const event: LaterEvent = { type: 'trial_report', trialId: report.trialId, epoch: report.epoch, metrics: report.metrics, at: this.opts.clock.now(), ...(inFlight ? {} : { late: true as const }) };
      await this.opts.journalled(live, event);
      this.opts.notify(report.searchId, { type: 'report', report });
      if (!inFlight) return;
      const epoch = record.stopped.get(report.trialId);
      if (!wasStopped && epoch !== undefined) {
        this.opts.log?.info({ searchId: report.searchId, trialId: report.trialId, epoch }, 'trial stopped early by the scheduler');
        this.sendStop(report.searchId, report.trialId, epoch);
      }
    }); // a failure is reported through onError by serialize(); the channel delivers the report again
  }

  private sendStop(searchId: string, trialId: number, epoch: number): void {
    this.opts.channel?.publishStop({ type: 'trial', searchId, trialId, epoch }).catch((e: unknown) => this.opts.onError?.(e, `stop order for trial ${trialId} of ${searchId}`));
  }
}

/** Ends this recent are purged again by a coordinator that recovers them (the reports stream keeps a day by default). */
const RECENT_END_MS = 24 * 3_600_000;

function sameMetrics(a: Metrics, b: Metrics): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
