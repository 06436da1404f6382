import { WorkQueue } from './work-queue';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('WorkQueue', () => {
  it('WorkQueue - runs at most `concurrency` jobs at once, starting them in submission order', async () => {
    const q = new WorkQueue(2);
    const started: number[] = [];
    const jobs = [0, 1, 2, 3, 4].map((i) =>
      q.run(async () => {
        started.push(i);
        await tick(10);
        return i;
      }),
    );
    expect(q.inFlight).toBe(2);
    expect(q.queued).toBe(3);
    expect(await Promise.all(jobs)).toEqual([0, 1, 2, 3, 4]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(q.peakInFlight).toBe(2);
  });

  it('WorkQueue - a failing job frees its slot; onIdle waits for everything', async () => {
    const q = new WorkQueue(1);
    const bad = q.run(async () => {
      throw new Error('boom');
    });
    const good = q.run(async () => 'ok');
    await expect(bad).rejects.toThrow('boom');
    await expect(good).resolves.toBe('ok');
    let idle = false;
    void q.run(() => tick(10));
    const waiting = q.onIdle().then(() => (idle = true));
    expect(idle).toBe(false);
    await waiting;
    expect(q.inFlight + q.queued).toBe(0);
    await expect(q.onIdle()).resolves.toBeUndefined();
    expect(() => new WorkQueue(0)).toThrow(RangeError);
  });
});
