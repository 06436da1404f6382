import { Benchmark } from '@hwnas/bench-core';
import { describeWithData } from '@hwnas/bench-core/testing';
import { Coordinator } from './coordinator';
import { InMemoryResultChannel } from './in-memory/result-channel';
import { SimulatedClock } from './in-memory/simulated-clock';
import { InMemoryTaskQueue } from './in-memory/task-queue';
import { InMemoryTrialJournal } from './in-memory/trial-journal';
import { InMemoryTrialReportChannel } from './in-memory/trial-report-channel';
import type { StopOrder } from './ports/trial-report-channel';
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
});
