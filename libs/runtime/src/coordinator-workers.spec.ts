import { Benchmark } from '@hwnas/bench-core';
import { describeWithData } from '@hwnas/bench-core/testing';
import { Coordinator } from './coordinator';
import type { CoordinatorOptions } from './coordinator-options';
import { InMemoryResultChannel } from './in-memory/result-channel';
import { SimulatedClock } from './in-memory/simulated-clock';
import { InMemoryTaskQueue } from './in-memory/task-queue';
import { InMemoryTrialJournal } from './in-memory/trial-journal';
import type { LiveWorkers } from './ports/live-workers';
import { createTableSearchFactory } from './tabular';

/** Workers as their heartbeats describe them, set by the test. */
class ReportedWorkers implements LiveWorkers {
  liveSlots = 0;
  running = new Set<string>();
  slots(): number {
    return this.liveSlots;
  }
  isRunning(taskId: string): boolean {
    return this.running.has(taskId);
  }
}

const SPEC = { space: 'nb201', dataset: 'cifar10', strategy: 'rea', objectives: ['accuracy'], budget: 50, seed: 4 };

describeWithData('runtime: coordinator and live workers (simulated clock)', (dataDir) => {
  const factory = createTableSearchFactory(Benchmark.open({ dataDir }));
  // No worker consumes the queue: what is dispatched stays in flight.
  const coordinatorOf = (opts: Partial<CoordinatorOptions>) =>
    new Coordinator({ queue: new InMemoryTaskQueue(), results: new InMemoryResultChannel(), journal: new InMemoryTrialJournal(), factory, taskTimeoutMs: 0, ...opts });

  it('AutoWindows - a search without maxInFlight uses every live slot, follows them, and replays to the same state', async () => {
    const clock = new SimulatedClock(1_000);
    const workers = new ReportedWorkers();
    workers.liveSlots = 6;
    const journal = new InMemoryTrialJournal();
    const coordinator = coordinatorOf({ clock, workers, journal, windowCheckMs: 1000 });
    await coordinator.start();
    try {
      const id = await coordinator.submit({ ...SPEC, maxInFlight: 0 });
      expect(coordinator.get(id).counts.inFlight).toBe(6);
      workers.liveSlots = 9;
      await clock.advance(999);
      expect(coordinator.get(id).counts.inFlight).toBe(6);
      await clock.advance(1);
      expect(coordinator.get(id).counts.inFlight).toBe(9);
      // No worker known for a while: the window stays where it is.
      workers.liveSlots = 0;
      await clock.advance(5000);
      expect(coordinator.get(id).counts.inFlight).toBe(9);
      const events = [];
      for await (const e of journal.read(id)) events.push(e.event);
      expect(events.map((e) => (e.type === 'window_resized' ? `window ${e.maxInFlight}` : e.type))).toEqual(['search_submitted', 'window 6', 'search_started', 'window 9']);
      // A coordinator rebuilt from the log has the same run (the resizes replayed in place).
      const successor = coordinatorOf({ clock: new SimulatedClock(1_000), journal });
      await successor.start();
      expect(successor.get(id).counts).toEqual(coordinator.get(id).counts);
      await successor.stop();
    } finally {
      await coordinator.stop();
    }
  });

  it('AutoWindows - without live workers a search without maxInFlight runs one evaluation at a time; with maxInFlight it keeps its own', async () => {
    const clock = new SimulatedClock();
    const workers = new ReportedWorkers();
    const coordinator = coordinatorOf({ clock, workers });
    await coordinator.start();
    try {
      const auto = await coordinator.submit({ ...SPEC, maxInFlight: 0 });
      const fixed = await coordinator.submit({ ...SPEC, maxInFlight: 2 });
      expect([coordinator.get(auto).counts.inFlight, coordinator.get(fixed).counts.inFlight]).toEqual([1, 2]);
      workers.liveSlots = 4;
      await clock.advance(1000);
      expect([coordinator.get(auto).counts.inFlight, coordinator.get(fixed).counts.inFlight]).toEqual([4, 2]);
    } finally {
      await coordinator.stop();
    }
  });

  it('TaskDeadlines - a task a live worker reports running is never overdue; once the worker is gone it fails within 1.25 timeouts', async () => {
    const clock = new SimulatedClock(0);
    const workers = new ReportedWorkers();
    const coordinator = coordinatorOf({ clock, workers, taskTimeoutMs: 60_000, windowCheckMs: 3600_000 });
    await coordinator.start();
    try {
      const id = await coordinator.submit({ ...SPEC, budget: 1, maxInFlight: 1 });
      workers.running.add(`${id}.0`);
      // Five hours of training (300 timeouts), its worker alive throughout.
      await clock.advance(5 * 3600_000);
      expect(coordinator.get(id)).toMatchObject({ state: 'running', counts: { evaluationsFailed: 0, inFlight: 1 } });
      // The worker dies: its heartbeats stop, and the deadline runs from there.
      workers.running.clear();
      const diedAt = clock.now();
      await clock.advance(60_000);
      expect(coordinator.get(id).counts.evaluationsFailed).toBe(0);
      await clock.advance(15_000);
      expect(coordinator.get(id)).toMatchObject({ state: 'succeeded', counts: { evaluationsFailed: 1, inFlight: 0 } });
      expect(coordinator.get(id).finishedAt! - diedAt).toBeLessThanOrEqual(75_000);
      expect(coordinator.history(id)[0].error?.code).toBe('deadline_exceeded');
    } finally {
      await coordinator.stop();
    }
  });
});
