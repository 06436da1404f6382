import type { TaskResult } from '../events';
import { InMemoryResultChannel } from './result-channel';

const result = (i: number): TaskResult => ({ taskId: `s.${i}`, searchId: 's', trialId: i, status: 'ok', metrics: { accuracy: i } });

describe('InMemoryResultChannel', () => {
  it('hands every result to every subscriber, in publish order, without waiting for earlier handlers', async () => {
    const ch = new InMemoryResultChannel();
    const a: number[] = [];
    const b: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    await ch.subscribe(async (r) => {
      a.push(r.trialId);
      await gate;
    });
    const sb = await ch.subscribe(async (r) => void b.push(r.trialId));
    for (let i = 0; i < 3; i++) await ch.publish(result(i));
    expect(a).toEqual([0, 1, 2]);
    expect(b).toEqual([0, 1, 2]);
    release();
    await sb.stop();
  });

  it('delivers again a result whose handler failed, and stop() waits for the redelivery', async () => {
    const ch = new InMemoryResultChannel();
    const calls: number[] = [];
    const sub = await ch.subscribe(async (r) => {
      calls.push(r.trialId);
      if (calls.length < 3) throw new Error('journal down');
    });
    await ch.publish(result(7));
    await sub.stop();
    expect(calls).toEqual([7, 7, 7]);
  });

  it('gives up after five deliveries', async () => {
    const ch = new InMemoryResultChannel();
    let calls = 0;
    const sub = await ch.subscribe(async () => {
      calls++;
      throw new Error('always');
    });
    await ch.publish(result(1));
    await sub.stop();
    expect(calls).toBe(5);
  });
});
