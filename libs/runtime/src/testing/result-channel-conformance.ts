import type { TaskResult } from '../events';
import type { ResultChannel } from '../ports/result-channel';
import type { Subscription } from '../ports/task-queue';
import { pause, sampleResult, uniqueSearchId, waitUntil } from './transport-fixtures';

/** What the result-channel suite needs from one implementation. */
export interface ResultChannelHarness {
  /**
   * A handle on the shared channel, as another process would open it (same channel within a
   * test). Every handle's `subscribe` is the one subscriber (the coordinator) of that channel.
   */
  channel(): ResultChannel | Promise<ResultChannel>;
  /** Releases what `channel()` opened (called after each test). */
  close?(): Promise<void>;
}

/**
 * The contract every {@link ResultChannel} meets, as Jest tests: what workers publish reaches the
 * subscriber in publish order, a result whose handler failed comes again, a republished result
 * may come twice but is never lost, and `stop` ends deliveries.
 */
export function describeResultChannelConformance(name: string, makeHarness: () => Promise<ResultChannelHarness>): void {
  describe(`${name} (ResultChannel conformance)`, () => {
    let h: ResultChannelHarness;
    const subs: Subscription[] = [];
    beforeEach(async () => {
      h = await makeHarness();
    });
    afterEach(async () => {
      await Promise.all(subs.splice(0).map((s) => s.stop()));
      await h.close?.();
    });

    it(`${name} - hands published results to the subscriber in publish order`, async () => {
      const got: TaskResult[] = [];
      subs.push(await (await h.channel()).subscribe(async (r) => void got.push(r)));
      const a = uniqueSearchId('a');
      const b = uniqueSearchId('b');
      const workers = [await h.channel(), await h.channel()];
      const sent = [sampleResult(a, 1), sampleResult(b, 2), sampleResult(a, 3), sampleResult(a, 4)];
      for (const [i, r] of sent.entries()) await workers[i % 2].publish(r);
      await waitUntil(() => got.length >= 4, 'four results');
      await pause(100);
      expect(got).toEqual(sent);
    });

    it(`${name} - a result whose handler failed is delivered again`, async () => {
      const calls: string[] = [];
      subs.push(
        await (await h.channel()).subscribe(async (r) => {
          calls.push(r.taskId);
          if (calls.length === 1) throw new Error('journal unavailable');
        }),
      );
      const s = uniqueSearchId();
      await (await h.channel()).publish(sampleResult(s, 1));
      await waitUntil(() => calls.length === 2, 'the redelivery');
      await pause(200);
      expect(calls).toEqual([`${s}.1`, `${s}.1`]);
    });

    it(`${name} - results of a re-evaluation are all delivered (the subscriber dedupes by task id)`, async () => {
      const got: TaskResult[] = [];
      subs.push(await (await h.channel()).subscribe(async (r) => void got.push(r)));
      const s = uniqueSearchId();
      const w = await h.channel();
      await w.publish(sampleResult(s, 1, 1));
      await w.publish(sampleResult(s, 1, 2));
      await waitUntil(() => got.length === 2, 'both attempts');
      expect(got.map((r) => r.attempts)).toEqual([1, 2]);
    });

    it(`${name} - after stop() the handler gets nothing more`, async () => {
      const got: string[] = [];
      const sub = await (await h.channel()).subscribe(async (r) => void got.push(r.taskId));
      const s = uniqueSearchId();
      const w = await h.channel();
      await w.publish(sampleResult(s, 1));
      await waitUntil(() => got.length === 1, 'the first result');
      await sub.stop();
      await w.publish(sampleResult(s, 2));
      await pause(300);
      expect(got).toEqual([`${s}.1`]);
    });
  });
}
