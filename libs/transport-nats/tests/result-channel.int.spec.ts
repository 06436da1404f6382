import type { TaskResult } from '@hwnas/runtime';
import { NatsResultChannel } from '../src/index';
import { delay, freshNames, natsServerForSuite, result, waitFor } from './support';

describe('NatsResultChannel', () => {
  const nats = natsServerForSuite({ jetstream: true });

  it('NatsResultChannel - delivers published results in order', async () => {
    const names = await freshNames(nats.nc);
    const channel = new NatsResultChannel({ nc: nats.nc, names });
    await channel.publish(result('s1', 1));
    const got: TaskResult[] = [];
    nats.subs.push(await channel.subscribe(async (r) => void got.push(r)));
    await channel.publish(result('s2', 2));
    await channel.publish(result('s1', 3));
    await waitFor(() => got.length === 3, 'three results');
    expect(got.map((r) => r.taskId)).toEqual(['s1.1', 's2.2', 's1.3']);
    expect(got[0]).toEqual(result('s1', 1));
  });

  it('NatsResultChannel - a result whose handler throws is delivered again', async () => {
    const names = await freshNames(nats.nc);
    const errors: string[] = [];
    const channel = new NatsResultChannel({ nc: nats.nc, names, retryBackoff: { baseMs: 50 }, onError: (_e, ctx) => errors.push(ctx) });
    const calls: string[] = [];
    nats.subs.push(
      await channel.subscribe(async (r) => {
        calls.push(r.taskId);
        if (calls.length === 1) throw new Error('journal down');
      }),
    );
    await channel.publish(result('s1', 1));
    await waitFor(() => calls.length === 2, 'redelivery');
    await delay(200);
    expect(calls).toEqual(['s1.1', 's1.1']);
    expect(errors).toHaveLength(1);
  });

  it('NatsResultChannel - republishing the same result attempt is deduplicated', async () => {
    const names = await freshNames(nats.nc);
    const channel = new NatsResultChannel({ nc: nats.nc, names });
    await channel.publish(result('s1', 1, 1));
    await channel.publish(result('s1', 1, 1));
    await channel.publish(result('s1', 1, 2)); // a re-evaluation: a new message (the coordinator dedupes)
    const got: TaskResult[] = [];
    nats.subs.push(await channel.subscribe(async (r) => void got.push(r)));
    await waitFor(() => got.length === 2, 'two results');
    await delay(200);
    expect(got.map((r) => r.attempts)).toEqual([1, 2]);
  });

  it('NatsResultChannel - a new subscription with the same durable picks up unacknowledged results', async () => {
    const names = await freshNames(nats.nc);
    const ncOld = await nats.conn();
    const old = new NatsResultChannel({ nc: ncOld, names, ackWaitMs: 1000 });
    const oldGot: string[] = [];
    let release!: () => void;
    const hang = new Promise<void>((r) => (release = r));
    const oldSub = await old.subscribe(async (r) => {
      oldGot.push(r.taskId);
      if (r.trialId === 2) await hang; // the coordinator dies while applying this one
    });
    const worker = new NatsResultChannel({ nc: nats.nc, names });
    await worker.publish(result('s1', 1));
    await worker.publish(result('s1', 2));
    await waitFor(() => oldGot.length === 2, 'old coordinator got two results');
    await ncOld.close();
    await worker.publish(result('s1', 3)); // published while no coordinator runs
    const ncNew = await nats.conn();
    const restarted = new NatsResultChannel({ nc: ncNew, names, ackWaitMs: 1000 });
    const got: string[] = [];
    nats.subs.push(await restarted.subscribe(async (r) => void got.push(r.taskId)));
    await waitFor(() => got.length === 2, 'restarted coordinator got the rest', 5000);
    await delay(200);
    // s1.1 was acknowledged before the crash and is not delivered again.
    expect(got.sort()).toEqual(['s1.2', 's1.3']);
    release();
    await oldSub.stop();
  });
});
