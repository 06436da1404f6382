import type { EvalTask, TaskControl, TaskQueue, TaskSubscription } from '../ports/task-queue';
import { pause, sampleTask, uniqueSearchId, waitUntil } from './transport-fixtures';

/** What the task-queue suite needs from one implementation. */
export interface TaskQueueHarness {
  /**
   * A handle on the shared queue, as another process would open it (same queue for every call
   * within a test; a fresh, empty one for each test).
   */
  queue(): TaskQueue | Promise<TaskQueue>;
  /**
   * How long an unsettled delivery stays leased without `working()`, milliseconds, when the
   * queue has leases (NATS ack wait); undefined when nothing expires (in memory).
   */
  readonly leaseMs?: number;
  /** Releases what `queue()` opened (called after each test). */
  close?(): Promise<void>;
}

type Handler = (t: EvalTask, ctl: TaskControl) => Promise<void>;

/**
 * The contract every {@link TaskQueue} meets, as Jest tests: call inside a spec file with a
 * factory of fresh harnesses. Checks single delivery within the concurrency limit, sharing
 * between consumers, redelivery after `retry`, a throw or an unsettled return (with growing
 * `attempt`, up to `maxDeliveries`), `reject`, `discard`, `stop` waiting for handlers,
 * `handBack` giving tasks to another consumer at once, and (with leases) `working()` keeping a
 * task for several lease periods.
 */
export function describeTaskQueueConformance(name: string, makeHarness: () => Promise<TaskQueueHarness>): void {
  describe(`${name} (TaskQueue conformance)`, () => {
    let h: TaskQueueHarness;
    const subs: TaskSubscription[] = [];
    const consume = async (handler: Handler, opts?: { concurrency?: number; maxDeliveries?: number }) => {
      const sub = await (await h.queue()).consume(handler, opts);
      subs.push(sub);
      return sub;
    };
    beforeEach(async () => {
      h = await makeHarness();
    });
    afterEach(async () => {
      await Promise.all(subs.splice(0).map((s) => s.stop()));
      await h.close?.();
    });

    it(`${name} - delivers each task once, never more than concurrency at a time`, async () => {
      const s = uniqueSearchId();
      const q = await h.queue();
      for (let i = 0; i < 12; i++) await q.publish(sampleTask(s, i));
      const seen: number[] = [];
      let active = 0;
      let peak = 0;
      await consume(
        async (t, ctl) => {
          active++;
          peak = Math.max(peak, active);
          await pause(10);
          seen.push(t.trialId);
          active--;
          ctl.ack();
        },
        { concurrency: 3 },
      );
      await waitUntil(() => seen.length >= 12, '12 tasks handled');
      await pause(100);
      expect([...seen].sort((a, b) => a - b)).toEqual([...Array(12).keys()]);
      expect(peak).toBeLessThanOrEqual(3);
      expect(peak).toBeGreaterThan(1);
    });

    it(`${name} - consumers share the tasks, each handled by one of them`, async () => {
      const s = uniqueSearchId();
      const by: Record<'a' | 'b', number[]> = { a: [], b: [] };
      for (const who of ['a', 'b'] as const) {
        await consume(async (t, ctl) => {
          by[who].push(t.trialId);
          await pause(10);
          ctl.ack();
        });
      }
      const q = await h.queue();
      for (let i = 0; i < 10; i++) await q.publish(sampleTask(s, i));
      await waitUntil(() => by.a.length + by.b.length >= 10, '10 tasks handled');
      await pause(100);
      expect([...by.a, ...by.b].sort((x, y) => x - y)).toEqual([...Array(10).keys()]);
      expect(by.a.length).toBeGreaterThan(0);
      expect(by.b.length).toBeGreaterThan(0);
    });

    it(`${name} - retry, a throw and an unsettled return deliver again with a higher attempt, up to maxDeliveries`, async () => {
      const s = uniqueSearchId();
      const attempts: Record<number, number[]> = {};
      await consume(
        async (t, ctl) => {
          (attempts[t.trialId] ??= []).push(ctl.attempt);
          if (t.trialId === 0) ctl.retry(1);
          else if (t.trialId === 1) throw new Error('evaluator crashed');
          else if (t.trialId === 2) return; // neither ack nor retry
          else ctl.ack();
        },
        { maxDeliveries: 3 },
      );
      const q = await h.queue();
      for (let i = 0; i < 4; i++) await q.publish(sampleTask(s, i));
      await waitUntil(() => [0, 1, 2].every((i) => (attempts[i]?.length ?? 0) >= 3), 'three deliveries of tasks 0, 1 and 2');
      await pause(200);
      expect(attempts).toEqual({ 0: [1, 2, 3], 1: [1, 2, 3], 2: [1, 2, 3], 3: [1] });
    });

    it(`${name} - retry(delayMs) waits before the next delivery`, async () => {
      const s = uniqueSearchId();
      const at: number[] = [];
      await consume(async (_t, ctl) => {
        at.push(Date.now());
        if (ctl.attempt === 1) ctl.retry(300);
        else ctl.ack();
      });
      await (await h.queue()).publish(sampleTask(s, 0));
      await waitUntil(() => at.length === 2, 'second delivery');
      expect(at[1] - at[0]).toBeGreaterThanOrEqual(250);
    });

    it(`${name} - reject never delivers the task again`, async () => {
      const s = uniqueSearchId();
      let calls = 0;
      await consume(async (_t, ctl) => {
        calls++;
        ctl.reject('not an architecture of this space');
      });
      await (await h.queue()).publish(sampleTask(s, 0));
      await waitUntil(() => calls === 1, 'one delivery');
      await pause(300);
      expect(calls).toBe(1);
    });

    it(`${name} - discard drops the waiting tasks of one search only`, async () => {
      const gone = uniqueSearchId('gone');
      const kept = uniqueSearchId('kept');
      const q = await h.queue();
      for (let i = 0; i < 3; i++) await q.publish(sampleTask(gone, i));
      await q.publish(sampleTask(kept, 0));
      expect(await q.discard(gone)).toBe(3);
      const seen: string[] = [];
      await consume(async (t, ctl) => {
        seen.push(t.taskId);
        ctl.ack();
      });
      await waitUntil(() => seen.length === 1, 'the kept task');
      await pause(200);
      expect(seen).toEqual([`${kept}.0`]);
    });

    it(`${name} - stop() waits for handlers in progress, and a stopped consumer gets nothing more`, async () => {
      const s = uniqueSearchId();
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const seen: number[] = [];
      const sub = await consume(async (t, ctl) => {
        seen.push(t.trialId);
        await gate;
        ctl.ack();
      });
      const q = await h.queue();
      await q.publish(sampleTask(s, 0));
      await waitUntil(() => seen.length === 1, 'first delivery');
      let stopped = false;
      const stopping = sub.stop().then(() => (stopped = true));
      await pause(50);
      expect(stopped).toBe(false);
      release();
      await stopping;
      await q.publish(sampleTask(s, 1));
      await pause(200);
      expect(seen).toEqual([0]);
      const later: number[] = [];
      await consume(async (t, ctl) => {
        later.push(t.trialId);
        ctl.ack();
      });
      await waitUntil(() => later.length === 1, 'the task published after stop, to a new consumer');
      expect(later).toEqual([1]);
    });

    it(`${name} - handBack() gives tasks in progress to another consumer at once and aborts their signal`, async () => {
      const s = uniqueSearchId();
      const aborted: number[] = [];
      const leaving = await consume(
        async (t, ctl) => {
          await new Promise<void>((resolve) => ctl.signal.addEventListener('abort', () => resolve()));
          aborted.push(t.trialId);
          ctl.ack(); // too late: ignored, the task is no longer this consumer's
        },
        { concurrency: 2 },
      );
      const q = await h.queue();
      await q.publish(sampleTask(s, 0));
      await q.publish(sampleTask(s, 1));
      await pause(100);
      const elsewhere: { trial: number; attempt: number }[] = [];
      await consume(async (t, ctl) => {
        elsewhere.push({ trial: t.trialId, attempt: ctl.attempt });
        ctl.ack();
      });
      const handedAt = Date.now();
      await leaving.handBack();
      await waitUntil(() => elsewhere.length === 2, 'both tasks at the other consumer', 2000);
      // Well before any lease could have run out.
      expect(Date.now() - handedAt).toBeLessThan(Math.min(1000, h.leaseMs ?? 1000));
      expect(aborted.sort()).toEqual([0, 1]);
      expect(elsewhere.map((e) => e.trial).sort()).toEqual([0, 1]);
      expect(elsewhere.every((e) => e.attempt === 2)).toBe(true);
    });

    it(`${name} - working() keeps a task with its consumer for several lease periods`, async () => {
      const s = uniqueSearchId();
      const holdMs = h.leaseMs === undefined ? 200 : h.leaseMs * 3;
      const deliveries: number[] = [];
      await consume(async (_t, ctl) => {
        deliveries.push(ctl.attempt);
        const beat = setInterval(() => ctl.working(), Math.max(20, (h.leaseMs ?? 200) / 4));
        await pause(holdMs);
        clearInterval(beat);
        ctl.ack();
      });
      await consume(async (_t, ctl) => {
        deliveries.push(ctl.attempt);
        ctl.ack();
      });
      await (await h.queue()).publish(sampleTask(s, 0));
      await waitUntil(() => deliveries.length >= 1, 'first delivery');
      await pause(holdMs + 300);
      expect(deliveries).toEqual([1]);
    });
  });
}
