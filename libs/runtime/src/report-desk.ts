import type { CoordinatorLog } from './coordinator-options';
import type { Clock } from './ports/clock';
import type { Subscription } from './ports/task-queue';
import type { TrialReportChannel } from './ports/trial-report-channel';
import { isFinished, type LaterEvent, type SearchRecord } from './search-record';
import type { Live } from './search-directory';
import type { SearchUpdate } from './search-view';
import type { TrialReport } from './trial-report';

/** What the {@link ReportDesk} needs of its coordinator. */
export interface ReportDeskOptions {
  readonly channel?: TrialReportChannel;
  readonly clock: Clock;
  readonly log?: CoordinatorLog;
  readonly onError?: (err: unknown, context: string) => void;
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
 * judged by the fold; a trial the scheduler stops gets a stop order (its worker ends the trainer
 * and returns a stopped result). Reports and stop orders are at most once (core NATS).
 */
export class ReportDesk {
  private subscription?: Subscription;

  constructor(private readonly opts: ReportDeskOptions) {}

  async start(): Promise<void> {
    this.subscription = await this.opts.channel?.subscribeReports((r) => this.onReport(r));
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
  }

  /** After a restart: a stop order sent before it may have been lost with it, so trials stopped and still in flight get theirs again. */
  resend(record: SearchRecord): void {
    const run = record.run;
    if (run) for (const [trialId, epoch] of record.stopped) if (run.expects(`${record.searchId}.${trialId}`)) this.sendStop(record.searchId, trialId, epoch);
  }

  private onReport(report: TrialReport): void {
    const live = this.opts.find(report.searchId);
    const run = live?.record.run;
    if (!live || !run) return;
    const event = { type: 'trial_report', trialId: report.trialId, epoch: report.epoch, metrics: report.metrics, at: this.opts.clock.now() } as const;
    void this.opts
      .serialize(live, async () => {
        // Late reports (the result landed first, or the search ended) are not part of the search.
        if (isFinished(live.record) || !run.expects(`${report.searchId}.${report.trialId}`)) return;
        const wasStopped = live.record.stopped.has(report.trialId);
        await this.opts.journalled(live, event);
        this.opts.notify(report.searchId, { type: 'report', report });
        const epoch = live.record.stopped.get(report.trialId);
        if (!wasStopped && epoch !== undefined) {
          this.opts.log?.info({ searchId: report.searchId, trialId: report.trialId, epoch }, 'trial stopped early by the scheduler');
          this.sendStop(report.searchId, report.trialId, epoch);
        }
      })
      .catch(() => undefined); // reported through onError by serialize(); the report is lost, the trial goes on
  }

  private sendStop(searchId: string, trialId: number, epoch: number): void {
    this.opts.channel?.publishStop({ searchId, trialId, epoch }).catch((e: unknown) => this.opts.onError?.(e, `stop order for trial ${trialId} of ${searchId}`));
  }
}
