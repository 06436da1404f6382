import type { TaskResult } from './events';
import { InMemoryResultChannel } from './in-memory/result-channel';
import { InMemoryTrialReportChannel } from './in-memory/trial-report-channel';
import { ReportsBeforeResults } from './reports-before-results';
import type { TrialReport } from './trial-report';

/** A report channel whose publishes settle only when the test says so. */
class HeldReportChannel extends InMemoryTrialReportChannel {
  readonly held: { report: TrialReport; settle: (err?: Error) => void }[] = [];
  override publishReport(report: TrialReport): Promise<void> {
    return new Promise((resolve, reject) => this.held.push({ report, settle: (err) => (err ? reject(err) : resolve(super.publishReport(report))) }));
  }
}

describe('runtime: a worker publishes a trial\'s result after its reports', () => {
  const result = (trialId: number): TaskResult => ({ taskId: `s.${trialId}`, searchId: 's', trialId, status: 'ok', metrics: { accuracy: 50 } });
  const report = (trialId: number, epoch: number): TrialReport => ({ type: 'trial_report', searchId: 's', trialId, epoch, metrics: { valid_accuracy: 10 * epoch } });
  const tick = () => new Promise((r) => setTimeout(r, 5));

  it('ReportsBeforeResults - a result waits for its own trial\'s reports to be stored, not for other trials\' ones; a failed report is told and does not hold the result', async () => {
    const reports = new HeldReportChannel();
    const errors: string[] = [];
    const ordered = new ReportsBeforeResults(reports, (_err, context) => errors.push(context));
    const inner = new InMemoryResultChannel();
    const published: number[] = [];
    await inner.subscribe(async (r) => void published.push(r.trialId));
    const results = ordered.results(inner);
    ordered.sink(report(0, 1));
    ordered.sink(report(0, 2));
    ordered.sink(report(1, 1));
    const landed0 = results.publish(result(0));
    await results.publish(result(2)); // no reports: not held
    await tick();
    expect(published).toEqual([2]);
    reports.held[0].settle();
    await tick();
    expect(published).toEqual([2]);
    reports.held[1].settle(new Error('no JetStream'));
    await landed0;
    await tick();
    expect(published).toEqual([2, 0]);
    expect(errors).toEqual(['report of trial 0 of s']);
    // Trial 1's report is still held: its result waits.
    const landed1 = results.publish(result(1));
    await tick();
    expect(published).toEqual([2, 0]);
    reports.held[2].settle();
    await landed1;
    await tick();
    expect(published).toEqual([2, 0, 1]);
  });
});
