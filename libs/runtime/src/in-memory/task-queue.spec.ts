import type { EvalTask, TaskControl } from '../ports/task-queue';
import { InMemoryTaskQueue } from './task-queue';

const task = (i: number): EvalTask => ({
  taskId: `s.${i}`,
  searchId: 's',
  trialId: i,
  space: 'nb201',
  dataset: 'cifar10',
  arch: String(i),
  need: 'full',
  metrics: [],
  accuracySource: 'table',
  devices: [],
});

/** Resolves once `cond()` holds (polled on timers, as deliveries happen on later ticks). */
async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 1));
  }
}

describe('InMemoryTaskQueue', () => {
  it('delivers each task once, in order, within the concurrency limit', async () => {
    const q = new InMemoryTaskQueue();
    const seen: number[] = [];
    let active = 0;
    let peak = 0;
    const sub = await q.consume(
      async (t, ctl) => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setTimeout(r, 1));
        seen.push(t.trialId);
        active--;
        ctl.ack();
      },
      { concurrency: 3 },
    );
    for (let i = 0; i < 20; i++) await q.publish(task(i));
    await until(() => seen.length === 20);
    expect([...seen].sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
    expect(peak).toBe(3);
    await sub.stop();
  });

  it('redelivers after retry and after a throw, with growing attempt numbers, up to maxDeliveries', async () => {
    const q = new InMemoryTaskQueue();
    const attempts: Record<number, number[]> = {};
    const sub = await q.consume(
      async (t, ctl: TaskControl) => {
        (attempts[t.trialId] ??= []).push(ctl.attempt);
        if (t.trialId === 0) ctl.retry(1);
        else if (t.trialId === 1) throw new Error('crash');
        else if (t.trialId === 2) ctl.reject('bad');
        else ctl.ack();
      },
      { maxDeliveries: 3 },
    );
    for (let i = 0; i < 4; i++) await q.publish(task(i));
    await until(() => (attempts[0]?.length ?? 0) === 3 && (attempts[1]?.length ?? 0) === 3);
    await new Promise((r) => setTimeout(r, 20));
    expect(attempts).toEqual({ 0: [1, 2, 3], 1: [1, 2, 3], 2: [1], 3: [1] });
    expect(q.backlog).toBe(0);
    await sub.stop();
  });

  it('a handler that returns without settling gets the task again', async () => {
    const q = new InMemoryTaskQueue();
    const attempts: number[] = [];
    const sub = await q.consume(async (_t, ctl) => {
      attempts.push(ctl.attempt);
      if (ctl.attempt === 2) ctl.ack();
    });
    await q.publish(task(0));
    await until(() => attempts.length === 2);
    await new Promise((r) => setTimeout(r, 10));
    expect(attempts).toEqual([1, 2]);
    await sub.stop();
  });

  it('round-robins between consumers, and stop() waits for handlers in progress', async () => {
    const q = new InMemoryTaskQueue();
    const by: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a = await q.consume(async (_t, ctl) => {
      by.push('a');
      await gate;
      ctl.ack();
    });
    const b = await q.consume(async (_t, ctl) => {
      by.push('b');
      ctl.ack();
    });
    await q.publish(task(0));
    await q.publish(task(1));
    await until(() => by.length === 2);
    expect(by.sort()).toEqual(['a', 'b']);
    let stopped = false;
    const stopping = a.stop().then(() => (stopped = true));
    const again = a.stop();
    await new Promise((r) => setTimeout(r, 10));
    expect(stopped).toBe(false);
    release();
    await Promise.all([stopping, again]);
    expect(stopped).toBe(true);
    // A stopped consumer gets nothing more.
    await q.publish(task(2));
    await until(() => by.length === 3);
    expect(by[2]).toBe('b');
    await b.stop();
  });
});
