import { Benchmark } from '@hwnas/bench-core';
import { describeWithData } from '@hwnas/bench-core/testing';
import { Coordinator } from './coordinator';
import { InMemoryResultChannel } from './in-memory/result-channel';
import { SimulatedClock } from './in-memory/simulated-clock';
import { InMemoryTaskQueue } from './in-memory/task-queue';
import { InMemoryTrialJournal } from './in-memory/trial-journal';
import { InMemoryTrialReportChannel } from './in-memory/trial-report-channel';
import type { StopOrder } from './ports/trial-report-channel';
import { replaySearch } from './search-replay';
import type { SearchUpdate } from './search-view';
import { createTableSearchFactory } from './tabular';

const SPEC = { space: 'nb201', dataset: 'cifar10', strategy: 'random', budget: 6, seed: 3, maxInFlight: 1, training: { epochs: 3, scheduler: 'asha', minEpochs: 1 } };

describeWithData('runtime: trainer reports at the coordinator', (dataDir) => {
  const bench = Benchmark.open({ dataDir });

  /**
   * A worker that "trains" each task: reports epochs 1..3 with a valid accuracy that depends on the
   * trial (odd trials are worse), waiting after each report for a stop order, and returns a stopped
   * or a final result as the trainer evaluator would.
   */
  async function run(journal: InMemoryTrialJournal) {
    const queue = new InMemoryTaskQueue();
    const results = new InMemoryResultChannel();
    const reports = new InMemoryTrialReportChannel();
    const stops: StopOrder[] = [];
    await reports.subscribeStops((o) => stops.push(o));
    const coordinator = new Coordinator({ queue, results, reports, journal, factory: createTableSearchFactory(bench) });
    await coordinator.start();
    const worker = await queue.consume(async (task, ctl) => {
      const score = (epoch: number) => (task.trialId % 2 ? 10 : 50) + task.trialId + epoch;
      let metrics: Record<string, number> = {};
      for (let epoch = 1; epoch <= (task.fidelity?.epochs ?? 0); epoch++) {
        await reports.publishReport({ type: 'trial_report', searchId: task.searchId, trialId: task.trialId, epoch, metrics: { valid_accuracy: score(epoch) } });
        await new Promise((r) => setTimeout(r, 5));
        if (stops.some((s) => s.type === 'trial' && s.searchId === task.searchId && s.trialId === task.trialId)) {
          metrics = { stopped_epoch: epoch, last_valid_accuracy: score(epoch) };
          break;
        }
        metrics = { accuracy: score(epoch), valid_accuracy: score(epoch) };
      }
      await results.publish({ taskId: task.taskId, searchId: task.searchId, trialId: task.trialId, status: 'ok', metrics });
      ctl.ack();
    });
    const updates: SearchUpdate[] = [];
    const id = await coordinator.submit(SPEC);
    coordinator.watch(id, (u) => updates.push(u));
    const view = await coordinator.waitFor(id);
    await worker.stop();
    await coordinator.stop();
    return { coordinator, id, view, stops, updates };
  }

  it('Coordinator - reports are journalled as curves and judged by ASHA; stopped trials get a stop order and are never the best; a replay rebuilds the same', async () => {
    const journal = new InMemoryTrialJournal();
    const { coordinator, id, view, stops, updates } = await run(journal);
    expect(view.state).toBe('succeeded');
    const history = coordinator.history(id);
    expect(history).toHaveLength(6);
    // Trials 0..5 in order: the odd ones fall out of the best third at epoch 1 (rungs 1 and 3).
    expect(stops.map((s) => (s.type === 'trial' ? [s.trialId, s.epoch] : s))).toEqual([[1, 1], [3, 1], [5, 1]]);
    expect(history.filter((h) => h.metrics?.stopped_epoch !== undefined).map((h) => h.trialId)).toEqual([1, 3, 5]);
    expect(view.best?.trialId).toBe(4);
    const curves = coordinator.curves(id);
    expect(curves.get(0)?.map((p) => p.epoch)).toEqual([1, 2, 3]);
    expect(curves.get(1)).toEqual([{ epoch: 1, metrics: { valid_accuracy: 12 } }]);
    expect(updates.filter((u) => u.type === 'report')).toHaveLength(3 * 3 + 3);
    // A coordinator that replays the journal has the same curves and stopped trials.
    const again = new Coordinator({ queue: new InMemoryTaskQueue(), results: new InMemoryResultChannel(), reports: new InMemoryTrialReportChannel(), journal, factory: createTableSearchFactory(bench) });
    await again.start();
    expect(again.curves(id)).toEqual(curves);
    await again.stop();
  });

  it('Coordinator - a search cancelled with evaluations running orders them stopped, again every stopResendMs until they land; a restarted coordinator orders again', async () => {
    const clock = new SimulatedClock(1_000_000);
    const journal = new InMemoryTrialJournal();
    const reports = new InMemoryTrialReportChannel();
    const heard: { at: number; order: StopOrder }[] = [];
    await reports.subscribeStops((order) => heard.push({ at: clock.now(), order }));
    const results = new InMemoryResultChannel();
    const coordinator = new Coordinator({ queue: new InMemoryTaskQueue(), results, reports, journal, factory: createTableSearchFactory(bench), clock, stopResendMs: 2000, taskTimeoutMs: 0 });
    await coordinator.start();
    // No worker: the two tasks stay in flight.
    const id = await coordinator.submit({ ...SPEC, maxInFlight: 2 });
    await clock.advance(10_000);
    expect(heard).toEqual([]);
    expect((await coordinator.cancel(id)).state).toBe('cancelled');
    await clock.advance(4000);
    expect(heard).toEqual([0, 2000, 4000].map((dt) => ({ at: 1_010_000 + dt, order: { type: 'search', searchId: id } })));
    // Restarted (the first one crashed): the cancelled search still has both in flight, so the order goes again.
    const again = new Coordinator({ queue: new InMemoryTaskQueue(), results, reports, journal, factory: createTableSearchFactory(bench), clock, stopResendMs: 2000, taskTimeoutMs: 0 });
    await coordinator.stop();
    heard.length = 0;
    await again.start();
    await clock.advance(2000);
    expect(heard.map((h) => h.at)).toEqual([1_014_000, 1_016_000]);
    // The workers fail them as cancelled: the search ends, and the orders stop.
    for (const trialId of [0, 1]) await results.publish({ taskId: `${id}.${trialId}`, searchId: id, trialId, status: 'failed', error: { code: 'cancelled', message: 'search stopped' } });
    expect((await again.waitFor(id)).state).toBe('cancelled');
    await clock.advance(10_000);
    expect(heard).toHaveLength(2);
    await again.stop();
  });
  it('Coordinator - a report that comes late takes its place in the curve by epoch; an exact repeat is dropped', async () => {
    const reports = new InMemoryTrialReportChannel();
    const results = new InMemoryResultChannel();
    const coordinator = new Coordinator({ queue: new InMemoryTaskQueue(), results, reports, journal: new InMemoryTrialJournal(), factory: createTableSearchFactory(bench), taskTimeoutMs: 0 });
    await coordinator.start();
    const id = await coordinator.submit({ ...SPEC, budget: 1, training: { epochs: 4, scheduler: 'none' } });
    const report = (epoch: number) => ({ type: 'trial_report', searchId: id, trialId: 0, epoch, metrics: { valid_accuracy: 10 * epoch } }) as const;
    // Epoch 2 was held by a coordinator that crashed: it comes back after 3 and 4; epoch 3 comes twice.
    for (const epoch of [1, 3, 4, 2, 3]) await reports.publishReport(report(epoch));
    await new Promise((r) => setTimeout(r, 20));
    await results.publish({ taskId: `${id}.0`, searchId: id, trialId: 0, status: 'ok', metrics: { accuracy: 40, valid_accuracy: 40 } });
    expect((await coordinator.waitFor(id)).state).toBe('succeeded');
    expect(coordinator.curves(id).get(0)?.map((p) => p.epoch)).toEqual([1, 2, 3, 4]);
    await coordinator.stop();
  });

  it('Coordinator - a report that comes after its result, even after the search ended, joins the curve as a late point that judges nothing; a replay rebuilds the same', async () => {
    const journal = new InMemoryTrialJournal();
    const reports = new InMemoryTrialReportChannel();
    const results = new InMemoryResultChannel();
    const stops: StopOrder[] = [];
    await reports.subscribeStops((o) => stops.push(o));
    const coordinator = new Coordinator({ queue: new InMemoryTaskQueue(), results, reports, journal, factory: createTableSearchFactory(bench), taskTimeoutMs: 0 });
    await coordinator.start();
    const id = await coordinator.submit({ ...SPEC, budget: 2 });
    const report = (trialId: number, epoch: number, accuracy: number) => reports.publishReport({ type: 'trial_report', searchId: id, trialId, epoch, metrics: { valid_accuracy: accuracy } });
    const result = (trialId: number, accuracy: number) => results.publish({ taskId: `${id}.${trialId}`, searchId: id, trialId, status: 'ok', metrics: { accuracy, valid_accuracy: accuracy } });
    const settle = () => new Promise((r) => setTimeout(r, 20));
    // Trial 0 reports epochs 1 and 2 in flight; its result lands before its epoch 3 report.
    await report(0, 1, 50);
    await report(0, 2, 51);
    await settle();
    await result(0, 52);
    await settle();
    await report(0, 3, 52);
    await report(7, 1, 99); // a trial the search never dispatched
    await settle();
    // Trial 1's result ends the search before its only report comes; judged in flight, 5 after trial 0's 50 at epoch 1 would stop it.
    await result(1, 30);
    expect((await coordinator.waitFor(id)).state).toBe('succeeded');
    await report(1, 1, 5);
    await settle();
    const curves = coordinator.curves(id);
    expect(curves.get(0)?.map((p) => p.epoch)).toEqual([1, 2, 3]);
    expect(curves.get(1)).toEqual([{ epoch: 1, metrics: { valid_accuracy: 5 } }]);
    expect(curves.has(7)).toBe(false);
    expect(stops).toEqual([]);
    expect(coordinator.get(id).best?.trialId).toBe(0);
    const events = [];
    for await (const e of journal.read(id)) events.push(e);
    expect(events.filter((e) => e.event.type === 'trial_report' && e.event.late).map((e) => e.event.type === 'trial_report' && e.event.trialId)).toEqual([0, 1]);
    expect(events[events.length - 1].event.type).toBe('trial_report');
    await coordinator.stop();
    // Replayed, the same curves, nothing stopped, the same outcome; without its late points, the same decisions.
    const again = new Coordinator({ queue: new InMemoryTaskQueue(), results: new InMemoryResultChannel(), reports: new InMemoryTrialReportChannel(), journal, factory: createTableSearchFactory(bench) });
    await again.start();
    expect(again.curves(id)).toEqual(curves);
    expect(again.get(id)).toEqual(coordinator.get(id));
    await again.stop();
    const setup = () => (spec: Parameters<ReturnType<typeof createTableSearchFactory>['setup']>[0]) => createTableSearchFactory(bench).setup(spec);
    const replayed = await replaySearch(events, setup);
    const withoutLate = await replaySearch(events.filter((e) => !(e.event.type === 'trial_report' && e.event.late)), setup);
    expect(replayed?.stopped).toEqual(new Map());
    expect(replayed?.run?.trials()).toEqual(withoutLate?.run?.trials());
    expect([replayed?.state, replayed?.finishReason]).toEqual([withoutLate?.state, withoutLate?.finishReason]);
  });

  it('Coordinator - an ended search\'s reports are purged from the channel reportPurgeDelayMs after its end, not before', async () => {
    const clock = new SimulatedClock(1_000_000);
    const purged: { at: number; searchId: string }[] = [];
    const reports = Object.assign(new InMemoryTrialReportChannel(), { discardReports: async (searchId: string) => void purged.push({ at: clock.now(), searchId }) });
    const results = new InMemoryResultChannel();
    const coordinator = new Coordinator({ queue: new InMemoryTaskQueue(), results, reports, journal: new InMemoryTrialJournal(), factory: createTableSearchFactory(bench), clock, reportPurgeDelayMs: 5000, taskTimeoutMs: 0 });
    await coordinator.start();
    const id = await coordinator.submit({ ...SPEC, budget: 1, training: { epochs: 1, scheduler: 'none' } });
    await results.publish({ taskId: `${id}.0`, searchId: id, trialId: 0, status: 'ok', metrics: { accuracy: 40, valid_accuracy: 40 } });
    expect((await coordinator.waitFor(id)).state).toBe('succeeded');
    await clock.advance(4999);
    expect(purged).toEqual([]);
    await clock.advance(1);
    expect(purged).toEqual([{ at: 1_005_000, searchId: id }]);
    await coordinator.stop();
  });

  it('Coordinator - a search that ended while a stopped coordinator waited to purge its reports is purged by the next one', async () => {
    const clock = new SimulatedClock(1_000_000);
    const purged: { at: number; searchId: string }[] = [];
    const reports = Object.assign(new InMemoryTrialReportChannel(), { discardReports: async (searchId: string) => void purged.push({ at: clock.now(), searchId }) });
    const results = new InMemoryResultChannel();
    const journal = new InMemoryTrialJournal();
    const options = { queue: new InMemoryTaskQueue(), results, reports, journal, factory: createTableSearchFactory(bench), clock, reportPurgeDelayMs: 5000, taskTimeoutMs: 0 };
    const first = new Coordinator(options);
    await first.start();
    const id = await first.submit({ ...SPEC, budget: 1, training: { epochs: 1, scheduler: 'none' } });
    await results.publish({ taskId: `${id}.0`, searchId: id, trialId: 0, status: 'ok', metrics: { accuracy: 40, valid_accuracy: 40 } });
    expect((await first.waitFor(id)).state).toBe('succeeded');
    await clock.advance(2000);
    await first.stop(); // before its purge
    await clock.advance(10_000);
    expect(purged).toEqual([]);
    const next = new Coordinator(options);
    await next.start();
    await clock.advance(0);
    expect(purged).toEqual([{ at: 1_012_000, searchId: id }]);
    await next.stop();
    // A day later the stream's age limit has done it: no purge at recovery.
    purged.length = 0;
    await clock.advance(24 * 3_600_000);
    const later = new Coordinator(options);
    await later.start();
    await clock.advance(10_000);
    expect(purged).toEqual([]);
    await later.stop();
  });
});
