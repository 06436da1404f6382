import { Benchmark, NasError } from '@hwnas/bench-core';
import { describeWithData } from '@hwnas/bench-core/testing';
import { Coordinator } from './coordinator';
import { InMemoryResultChannel } from './in-memory/result-channel';
import { SimulatedClock } from './in-memory/simulated-clock';
import { InMemoryTaskQueue } from './in-memory/task-queue';
import { InMemoryTrialJournal } from './in-memory/trial-journal';
import type { EvalTask } from './ports/task-queue';
import { createTableSearchFactory } from './tabular';

const SPEC = { space: 'nb201', dataset: 'cifar10', strategy: 'random', objectives: ['accuracy'], budget: 2, seed: 1, maxInFlight: 2 };

/** An in-memory queue whose first `failures` publishes fail as if NATS were down. */
class FlakyQueue extends InMemoryTaskQueue {
  published: EvalTask[] = [];
  constructor(private failures: number) {
    super();
  }
  override async publish(task: EvalTask): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw new NasError('queue down', 'unavailable', true);
    }
    this.published.push(task);
    return super.publish(task);
  }
}

describeWithData('runtime: coordinator time (simulated clock)', (dataDir) => {
  const factory = createTableSearchFactory(Benchmark.open({ dataDir }));

  it('TaskDeadlines - a task with no result fails between the timeout and 1.25 times it, not before', async () => {
    const clock = new SimulatedClock(1_000_000);
    // No worker at all: the tasks stay in the queue.
    const coordinator = new Coordinator({ queue: new InMemoryTaskQueue(), results: new InMemoryResultChannel(), journal: new InMemoryTrialJournal(), factory, clock, taskTimeoutMs: 60_000 });
    await coordinator.start();
    try {
      const id = await coordinator.submit(SPEC);
      await clock.advance(60_000);
      expect(coordinator.get(id)).toMatchObject({ state: 'running', counts: { evaluationsFailed: 0, inFlight: 2 } });
      await clock.advance(14_999);
      expect(coordinator.get(id).counts.evaluationsFailed).toBe(0);
      // The fifth sweep (every 15 s) sees them pending for the fifth time: overdue.
      await clock.advance(1);
      const view = coordinator.get(id);
      expect(view).toMatchObject({ state: 'succeeded', counts: { evaluationsDone: 2, evaluationsFailed: 2, inFlight: 0 }, finishedAt: 1_075_000 });
      expect(coordinator.history(id).map((h) => h.error?.code)).toEqual(['deadline_exceeded', 'deadline_exceeded']);
      expect(coordinator.history(id)[0].error?.message).toMatch(/no result within 60 s of dispatch/);
    } finally {
      await coordinator.stop();
    }
  });

  it('TaskDeadlines - a timeout of 0 never fails a task', async () => {
    const clock = new SimulatedClock();
    const coordinator = new Coordinator({ queue: new InMemoryTaskQueue(), results: new InMemoryResultChannel(), journal: new InMemoryTrialJournal(), factory, clock, taskTimeoutMs: 0 });
    await coordinator.start();
    try {
      const id = await coordinator.submit(SPEC);
      await clock.advance(24 * 3600_000);
      expect(coordinator.get(id).counts).toMatchObject({ evaluationsFailed: 0, inFlight: 2 });
      expect(clock.sleeping).toBe(0);
    } finally {
      await coordinator.stop();
    }
  });

  it('TaskDispatcher - a task whose publish failed is published again after redispatchMs, once', async () => {
    const clock = new SimulatedClock();
    const queue = new FlakyQueue(2);
    const errors: string[] = [];
    const coordinator = new Coordinator({
      queue,
      results: new InMemoryResultChannel(),
      journal: new InMemoryTrialJournal(),
      factory,
      clock,
      redispatchMs: 5_000,
      taskTimeoutMs: 0,
      onError: (_e, context) => errors.push(context),
    });
    await coordinator.start();
    try {
      const id = await coordinator.submit(SPEC);
      expect(queue.published).toEqual([]);
      expect(errors).toEqual([`dispatching ${id}.0; will retry`, `dispatching ${id}.1; will retry`]);
      await clock.advance(4_999);
      expect(queue.published).toEqual([]);
      await clock.advance(1);
      expect(queue.published.map((t) => t.taskId).sort()).toEqual([`${id}.0`, `${id}.1`]);
      await clock.advance(60_000);
      expect(queue.published).toHaveLength(2);
      expect(queue.backlog).toBe(2);
    } finally {
      await coordinator.stop();
    }
  });
});
