import { NasError } from '@hwnas/bench-core';
import type { Metrics } from '@hwnas/bench-core';
import { sampleTask, waitUntil } from '@hwnas/runtime/testing';
import type { TaskResult } from './events';
import { InMemoryResultChannel } from './in-memory/result-channel';
import type { ConsumeOptions, EvalTask, TaskControl, TaskQueue, TaskSubscription } from './ports/task-queue';
import { startWorker } from './worker-loop';

/** A queue of one delivery that records what the worker does with its control. */
function oneTaskQueue(task: EvalTask): { queue: TaskQueue; calls: string[]; handBack: () => Promise<void> } {
  const calls: string[] = [];
  const aborter = new AbortController();
  let running: Promise<void> = Promise.resolve();
  const ctl: TaskControl = {
    attempt: 1,
    signal: aborter.signal,
    ack: () => void calls.push('ack'),
    retry: (ms) => void calls.push(`retry ${ms}`),
    reject: () => void calls.push('reject'),
    working: () => void calls.push('working'),
  };
  const queue: TaskQueue = {
    publish: async () => undefined,
    discard: async () => 0,
    async consume(handler: (t: EvalTask, c: TaskControl) => Promise<void>, _opts?: ConsumeOptions): Promise<TaskSubscription> {
      running = handler(task, ctl);
      return { stop: () => running, handBack: async () => (aborter.abort(), running) };
    },
  };
  return {
    queue,
    calls,
    handBack: async () => {
      calls.push('handed back');
      aborter.abort();
      await running;
    },
  };
}

describe('startWorker', () => {
  it('startWorker - a long evaluation calls working() every heartbeatMs until it ends, then acks', async () => {
    const q = oneTaskQueue(sampleTask('s', 1));
    const results: TaskResult[] = [];
    const channel = new InMemoryResultChannel();
    await channel.subscribe(async (r) => void results.push(r));
    const slow = { evaluate: () => new Promise<Metrics>((r) => setTimeout(() => r({ accuracy: 1 }), 230)) };
    await startWorker({ queue: q.queue, results: channel, evaluator: slow, workerId: 'w', heartbeatMs: 50 });
    await waitUntil(() => q.calls.includes('ack'), 'the ack');
    const beats = q.calls.filter((c) => c === 'working').length;
    expect(beats).toBeGreaterThanOrEqual(3);
    expect(beats).toBeLessThanOrEqual(5);
    expect(q.calls.at(-1)).toBe('ack');
    expect(results.map((r) => r.status)).toEqual(['ok']);
    // The heartbeat stopped with the evaluation.
    await new Promise((r) => setTimeout(r, 120));
    expect(q.calls.filter((c) => c === 'working')).toHaveLength(beats);
  });

  it('startWorker - a table answer at hand starts no heartbeat', async () => {
    const q = oneTaskQueue(sampleTask('s', 1));
    await startWorker({ queue: q.queue, results: new InMemoryResultChannel(), evaluator: { evaluate: () => ({ accuracy: 1 }) }, workerId: 'w', heartbeatMs: 1 });
    await waitUntil(() => q.calls.includes('ack'), 'the ack');
    expect(q.calls).toEqual(['ack']);
  });

  it('startWorker - a task handed back aborts its evaluation and publishes nothing', async () => {
    const q = oneTaskQueue(sampleTask('s', 1));
    const results: TaskResult[] = [];
    const channel = new InMemoryResultChannel();
    await channel.subscribe(async (r) => void results.push(r));
    let sawAbort = false;
    const training = {
      evaluate: (_t: EvalTask, signal?: AbortSignal) =>
        new Promise<Metrics>((_resolve, reject) =>
          signal?.addEventListener('abort', () => {
            sawAbort = true;
            reject(new NasError('training stopped', 'cancelled'));
          }),
        ),
    };
    await startWorker({ queue: q.queue, results: channel, evaluator: training, workerId: 'w', heartbeatMs: 1000 });
    await q.handBack();
    expect(sawAbort).toBe(true);
    expect(q.calls).toEqual(['handed back']);
    expect(results).toEqual([]);
  });
});
