import { buildNetworkIR, nb201Space } from '@hwnas/bench-core';
import { exportOnnx } from './export';
import { createSession, quantile, summarizeTimes, timeModel } from './session';

const ARCH = '|nor_conv_1x1~0|+|skip_connect~0|avg_pool_3x3~1|+|none~0|nor_conv_3x3~1|skip_connect~2|';

describe('timeModel', () => {
  const model = exportOnnx(buildNetworkIR(nb201Space, nb201Space.parse(ARCH), 'ImageNet16-120'), { seed: 0 });

  it('timeModel - returns positive ordered statistics and makes exactly `repeats` timed runs', async () => {
    const t = await timeModel(model, { warmup: 2, repeats: 7 });
    expect(t.repeats).toBe(7);
    expect(t.medianMs).toBeGreaterThan(0);
    expect(t.minMs).toBeLessThanOrEqual(t.p10Ms);
    expect(t.p10Ms).toBeLessThanOrEqual(t.medianMs);
    expect(t.medianMs).toBeLessThanOrEqual(t.p90Ms);
    expect(t.spread).toBeCloseTo(t.p90Ms / t.medianMs - 1, 12);
    expect(typeof t.unstable).toBe('boolean');
    expect(t.cpuMedianMs).toBeGreaterThanOrEqual(0);
  });

  it('timeModel - minTimeMs adds runs up to maxRepeats', async () => {
    const t = await timeModel(model, { warmup: 0, repeats: 3, minTimeMs: 60_000, maxRepeats: 9 });
    expect(t.repeats).toBe(9);
  });

  it('timeModel - retries an unstable measurement and stops at the first stable one', async () => {
    const never = await timeModel(model, { warmup: 0, repeats: 3, retries: 2, unstableSpread: -1 });
    expect(never.attempts).toBe(3);
    expect(never.unstable).toBe(true);
    const always = await timeModel(model, { warmup: 0, repeats: 3, retries: 2, unstableSpread: Infinity });
    expect(always.attempts).toBe(1);
    expect(always.unstable).toBe(false);
  });

  it('timeModel - rejects bad options and honours an aborted signal', async () => {
    await expect(timeModel(model, { repeats: 0 })).rejects.toThrow(/repeats/);
    await expect(timeModel(model, { retries: -1 })).rejects.toThrow(/retries/);
    await expect(createSession(model, { threads: 0 })).rejects.toThrow(/threads/);
    const ctl = new AbortController();
    ctl.abort(new Error('stop'));
    await expect(timeModel(model, { signal: ctl.signal })).rejects.toThrow('stop');
  });
});

describe('summarizeTimes', () => {
  it('summarizeTimes - quantiles interpolate like numpy and the spread flags unstable samples', () => {
    const t = summarizeTimes([5, 1, 4, 2, 3, 6, 7, 8, 9, 10]);
    expect(t.medianMs).toBeCloseTo(5.5);
    expect(t.p10Ms).toBeCloseTo(1.9);
    expect(t.p90Ms).toBeCloseTo(9.1);
    expect(t.meanMs).toBeCloseTo(5.5);
    expect(t.cv).toBeCloseTo(Math.sqrt(55 / 6) / 5.5);
    expect(t.spread).toBeCloseTo(9.1 / 5.5 - 1);
    expect(t.unstable).toBe(true);
    const steady = summarizeTimes([1, 1.01, 0.99, 1.02, 1, 1], 0.05);
    expect(steady.unstable).toBe(false);
    expect(summarizeTimes([2]).medianMs).toBe(2);
    expect(quantile([1, 3], 0.25)).toBe(1.5);
    expect(() => summarizeTimes([])).toThrow();
  });
});
