import type { ResultChannel } from './ports/result-channel';
import type { TrialReportChannel } from './ports/trial-report-channel';
import type { TrialReport, TrialReportSink } from './trial-report';

/**
 * A worker's side of a trial's reports and result: reports are published in the background (a
 * trainer never waits for the broker), and a trial's result is published only once every report
 * of it published before has been stored by the channel, or has failed for good (then
 * `onError`). So a worker that dies after publishing a result has lost none of that trial's
 * reports, and results do not overtake their reports at the broker. (The coordinator still keeps
 * a report that reaches it after the result: the two travel on different streams.)
 */
export class ReportsBeforeResults {
  /** Publishes not settled yet, by task id (`<searchId>.<trialId>`). */
  private readonly pending = new Map<string, Set<Promise<void>>>();

  constructor(
    private readonly reports: TrialReportChannel,
    private readonly onError?: (err: unknown, context: string) => void,
  ) {}

  /** Where the trainer's reports go. */
  readonly sink: TrialReportSink = (report: TrialReport) => {
    const key = `${report.searchId}.${report.trialId}`;
    let set = this.pending.get(key);
    if (!set) this.pending.set(key, (set = new Set()));
    const published: Promise<void> = this.reports.publishReport(report).then(
      () => undefined,
      (err: unknown) => this.onError?.(err, `report of trial ${report.trialId} of ${report.searchId}`),
    );
    set.add(published);
    void published.then(() => {
      set.delete(published);
      if (set.size === 0 && this.pending.get(key) === set) this.pending.delete(key);
    });
  };

  /** `results`, whose publish of a trial's result first waits for that trial's reports. */
  results(results: ResultChannel): ResultChannel {
    return {
      publish: async (result) => {
        const set = this.pending.get(`${result.searchId}.${result.trialId}`);
        if (set) await Promise.all([...set]);
        return results.publish(result);
      },
      subscribe: (handler) => results.subscribe(handler),
    };
  }
}
