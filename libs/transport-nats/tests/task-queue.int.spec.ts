import type { EvalTask, TaskControl } from '@hwnas/runtime';
import { jetstreamManager } from '@nats-io/jetstream';
import { DEFAULT_TASK_ACK_WAIT_MS, NatsTaskQueue } from '../src/index';
import { ensureDurableConsumer } from '../src/internal';
import { nanos } from '@nats-io/transport-node';
import { delay, freshNames, natsServerForSuite, task, waitFor } from './support';

describe('NatsTaskQueue', () => {
  const nats = natsServerForSuite({ jetstream: true });

  async function streamMessages(stream: string): Promise<number> {
    return (await (await jetstreamManager(nats.nc)).streams.info(stream)).state.messages;
  }

  it('NatsTaskQueue - two consumers share the tasks and each task is handled once', async () => {
    const names = await freshNames(nats.nc);
    const producer = new NatsTaskQueue({ nc: nats.nc, names });
    for (let i = 0; i < 20; i++) await producer.publish(task('s1', i));
    const seen: Record<string, string[]> = { a: [], b: [] };
    for (const who of ['a', 'b'] as const) {
      const q = new NatsTaskQueue({ nc: await nats.conn(), names });
      nats.subs.push(
        await q.consume(
          async (t, ctl) => {
            seen[who].push(t.taskId);
            await delay(15);
            ctl.ack();
          },
          { concurrency: 2 },
        ),
      );
    }
    await waitFor(() => seen.a.length + seen.b.length >= 20, '20 tasks handled');
    await delay(300);
    const all = [...seen.a, ...seen.b].sort();
    expect(all).toEqual(Array.from({ length: 20 }, (_, i) => `s1.${i}`).sort());
    expect(seen.a.length).toBeGreaterThan(0);
    expect(seen.b.length).toBeGreaterThan(0);
    await waitFor(async () => (await producer.backlog()) === 0, 'backlog 0');
    expect(await streamMessages(names.streams.eval)).toBe(0);
  });

  it('NatsTaskQueue - retry redelivers the task with attempt 2', async () => {
    const names = await freshNames(nats.nc);
    const q = new NatsTaskQueue({ nc: nats.nc, names });
    await q.publish(task('s1', 1));
    const attempts: number[] = [];
    const at: number[] = [];
    nats.subs.push(
      await q.consume(async (_t, ctl) => {
        attempts.push(ctl.attempt);
        at.push(Date.now());
        if (ctl.attempt === 1) ctl.retry(300);
        else ctl.ack();
      }),
    );
    await waitFor(() => attempts.length === 2, 'second delivery');
    expect(attempts).toEqual([1, 2]);
    expect(at[1] - at[0]).toBeGreaterThanOrEqual(250);
    await delay(200);
    expect(attempts).toEqual([1, 2]);
  });

  it('NatsTaskQueue - a handler that throws or returns without settling gets the task again', async () => {
    const names = await freshNames(nats.nc);
    const q = new NatsTaskQueue({ nc: nats.nc, names });
    await q.publish(task('s1', 1));
    await q.publish(task('s1', 2));
    const calls: string[] = [];
    const errors: string[] = [];
    const qc = new NatsTaskQueue({ nc: nats.nc, names, onError: (_e, ctx) => errors.push(ctx) });
    nats.subs.push(
      await qc.consume(async (t, ctl) => {
        calls.push(`${t.trialId}@${ctl.attempt}`);
        if (ctl.attempt > 1) return ctl.ack();
        if (t.trialId === 1) throw new Error('boom');
        // trial 2: return without ack
      }),
    );
    await waitFor(() => calls.length === 4, 'two deliveries of each task');
    expect(calls.sort()).toEqual(['1@1', '1@2', '2@1', '2@2']);
    expect(errors.some((e) => e.includes('s1.1'))).toBe(true);
  });

  it('NatsTaskQueue - a task left unsettled by a dead consumer goes to another one after ack_wait', async () => {
    const names = await freshNames(nats.nc);
    const ncDead = await nats.conn();
    const dead = new NatsTaskQueue({ nc: ncDead, names, ackWaitMs: 1000 });
    let release!: () => void;
    const hang = new Promise<void>((r) => (release = r));
    const got: string[] = [];
    const deadSub = await dead.consume(async (t) => {
      got.push(`dead:${t.taskId}`);
      await hang; // never settles while the "process" is alive
    });
    await dead.publish(task('s1', 7));
    await waitFor(() => got.length === 1, 'first delivery');
    await ncDead.close(); // the worker process dies
    const started = Date.now();
    const alive = new NatsTaskQueue({ nc: await nats.conn(), names, ackWaitMs: 1000 });
    let attempt = 0;
    nats.subs.push(
      await alive.consume(async (t, ctl) => {
        got.push(`alive:${t.taskId}`);
        attempt = ctl.attempt;
        ctl.ack();
      }),
    );
    await waitFor(() => got.length === 2, 'redelivery to the live consumer', 5000);
    expect(got).toEqual(['dead:s1.7', 'alive:s1.7']);
    expect(attempt).toBe(2);
    expect(Date.now() - started).toBeLessThan(3000);
    release();
    await deadSub.stop();
  });

  it('NatsTaskQueue - reject never redelivers and removes the task', async () => {
    const names = await freshNames(nats.nc);
    const q = new NatsTaskQueue({ nc: nats.nc, names, ackWaitMs: 1000 });
    await q.publish(task('s1', 1));
    let calls = 0;
    nats.subs.push(
      await q.consume(async (_t, ctl) => {
        calls++;
        ctl.reject('invalid architecture');
      }),
    );
    await waitFor(() => calls === 1, 'first delivery');
    await delay(1500);
    expect(calls).toBe(1);
    expect(await q.backlog()).toBe(0);
    expect(await streamMessages(names.streams.eval)).toBe(0);
  });

  it('NatsTaskQueue - publishing the same taskId twice stores it once', async () => {
    const names = await freshNames(nats.nc);
    const q = new NatsTaskQueue({ nc: nats.nc, names });
    expect(await q.backlog()).toBe(0);
    await q.publish(task('s1', 1));
    await q.publish(task('s1', 1));
    await q.publish(task('s1', 2));
    expect(await q.backlog()).toBe(2);
    const seen: string[] = [];
    nats.subs.push(
      await q.consume(async (t, ctl) => {
        seen.push(t.taskId);
        ctl.ack();
      }),
    );
    await waitFor(() => seen.length === 2, 'two tasks');
    await delay(200);
    expect(seen).toEqual(['s1.1', 's1.2']);
  });

  it('NatsTaskQueue - discard drops what is left of one search and nothing of the others', async () => {
    const names = await freshNames(nats.nc);
    const q = new NatsTaskQueue({ nc: nats.nc, names });
    for (let i = 0; i < 3; i++) await q.publish(task('s1', i));
    for (let i = 0; i < 2; i++) await q.publish(task('s2', i));
    expect(await q.discard('s1')).toBe(3);
    expect(await q.discard('s1')).toBe(0);
    expect(await streamMessages(names.streams.eval)).toBe(2);
    const seen: string[] = [];
    nats.subs.push(
      await q.consume(async (t, ctl) => {
        seen.push(t.taskId);
        ctl.ack();
      }),
    );
    await waitFor(() => seen.length === 2, 'the other search\'s tasks');
    await delay(200);
    expect(seen.sort()).toEqual(['s2.0', 's2.1']);
  });

  it('NatsTaskQueue - maxDeliveries is respected and the last attempt is final', async () => {
    const names = await freshNames(nats.nc);
    const q = new NatsTaskQueue({ nc: nats.nc, names, ackWaitMs: 1000 });
    await q.publish(task('s1', 1));
    const attempts: number[] = [];
    nats.subs.push(
      await q.consume(
        async (_t, ctl) => {
          attempts.push(ctl.attempt);
          ctl.retry(10);
        },
        { maxDeliveries: 3 },
      ),
    );
    await waitFor(() => attempts.length === 3, 'three deliveries');
    await delay(1300);
    expect(attempts).toEqual([1, 2, 3]);
    expect(await q.backlog()).toBe(0);
    expect(await streamMessages(names.streams.eval)).toBe(0);
  });

  it('NatsTaskQueue - concurrency bounds the tasks in progress, working() extends the deadline, stop() waits', async () => {
    const names = await freshNames(nats.nc);
    const q = new NatsTaskQueue({ nc: nats.nc, names, ackWaitMs: 1000 });
    for (let i = 0; i < 6; i++) await q.publish(task('s1', i));
    let active = 0;
    let peak = 0;
    const done: EvalTask[] = [];
    const handler = async (t: EvalTask, ctl: TaskControl) => {
      active++;
      peak = Math.max(peak, active);
      // Longer than ack_wait in total: only working() keeps the task ours.
      for (let i = 0; i < 3; i++) {
        await delay(500);
        ctl.working();
      }
      active--;
      done.push(t);
      ctl.ack();
    };
    const sub = await q.consume(handler, { concurrency: 3 });
    await waitFor(() => active === 3, 'three tasks in progress');
    expect(await q.backlog()).toBe(6);
    await sub.stop();
    // stop() resolved only after the three handlers finished.
    expect(done).toHaveLength(3);
    expect(peak).toBe(3);
    // Acks are processed asynchronously by the server.
    await waitFor(async () => (await q.backlog()) === 3, 'backlog 3 after three acks');
    const again: EvalTask[] = [];
    nats.subs.push(
      await q.consume(async (t, ctl) => {
        again.push(t);
        ctl.ack();
      }),
    );
    await waitFor(() => again.length === 3, 'the other three');
    // Nothing handled twice: working() kept the slow tasks from being redelivered.
    expect([...done, ...again].map((t) => t.trialId).sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('NatsTaskQueue - a stopped consumer does not hold on to tasks published after it stopped', async () => {
    const names = await freshNames(nats.nc);
    const q = new NatsTaskQueue({ nc: nats.nc, names, ackWaitMs: 10_000 });
    const first = await q.consume(async (_t, ctl) => ctl.ack());
    await delay(100); // its pull request is waiting on the server
    await first.stop();
    await q.publish(task('s1', 1));
    const seen: number[] = [];
    nats.subs.push(
      await q.consume(async (t, ctl) => {
        seen.push(ctl.attempt);
        ctl.ack();
      }),
    );
    // Far less than ack_wait: the task was not delivered to the stopped consumer's pull.
    await waitFor(() => seen.length === 1, 'delivery to the new consumer', 3000);
    expect(seen).toEqual([1]);
  });

  it('NatsTaskQueue - re-creates the shared consumer when it is deleted under a running worker', async () => {
    const names = await freshNames(nats.nc);
    const q = new NatsTaskQueue({ nc: nats.nc, names, pullExpiresMs: 1000 });
    const seen: string[] = [];
    nats.subs.push(
      await q.consume(async (t, ctl) => {
        seen.push(t.taskId);
        ctl.ack();
      }),
    );
    await q.publish(task('s1', 1));
    await waitFor(() => seen.length === 1, 'first task');
    await (await jetstreamManager(nats.nc)).consumers.delete(names.streams.eval, names.consumers.workers);
    await q.publish(task('s1', 2));
    await waitFor(() => seen.length === 2, 'a task after the consumer was deleted', 10_000);
    expect(seen).toEqual(['s1.1', 's1.2']);
  });
});

describe('NatsTaskQueue on an existing consumer', () => {
  const nats = natsServerForSuite({ jetstream: true });

  it('NatsTaskQueue - a consumer made with the former 30 s ack wait is updated in place to the 2 s default, keeping its tasks', async () => {
    const names = await freshNames(nats.nc);
    const jsm = await jetstreamManager(nats.nc);
    // What a cluster started before the change has: the shared consumer with a 30 s ack wait.
    await ensureDurableConsumer(jsm, names.streams.eval, { name: names.consumers.workers, ackWaitMs: 30_000, maxDeliver: 5, maxAckPending: 1000 });
    const q = new NatsTaskQueue({ nc: nats.nc, names });
    await q.publish(task('s1', 1));
    const seen: number[] = [];
    nats.subs.push(
      await q.consume(async (t, ctl) => {
        seen.push(t.trialId);
        ctl.ack();
      }),
    );
    await waitFor(() => seen.length === 1, 'the task stored before the update');
    const info = await jsm.consumers.info(names.streams.eval, names.consumers.workers);
    expect(info.config.ack_wait).toBe(nanos(DEFAULT_TASK_ACK_WAIT_MS));
    expect(info.config.max_deliver).toBe(5);
    expect(seen).toEqual([1]);
  });
});
