import { formatTick, niceStep, niceTicks, quantile, robustDomain } from './scale';

describe('scale', () => {
  test('niceStep - picks 1, 2, 2.5 or 5 times a power of ten', () => {
    expect(niceStep(10, 5)).toBe(2);
    expect(niceStep(0.37, 6)).toBeCloseTo(0.1);
    expect(niceStep(85, 8)).toBe(20);
    expect(niceStep(1000, 4)).toBe(250);
  });

  test('niceTicks - stays inside the domain with labels that print each step exactly', () => {
    const t = niceTicks({ lo: 0.13, hi: 2.91 }, 6);
    expect(t.values[0]).toBeGreaterThanOrEqual(0.13);
    expect(t.values[t.values.length - 1]).toBeLessThanOrEqual(2.91);
    expect(t.labels).toEqual(['0.5', '1.0', '1.5', '2.0', '2.5']);
    expect(niceTicks({ lo: 0, hi: 3 }, 10, true).values).toEqual([0, 1, 2, 3]);
  });

  test('formatTick - groups thousands and keeps the decimals of the step', () => {
    expect(formatTick(12500, 2500)).toBe('12\u2009500');
    expect(formatTick(0.1 + 0.2, 0.1)).toBe('0.3');
    expect(formatTick(-1e-17, 0.5)).toBe('0.0');
  });

  test('quantile - interpolates between ranks', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([5], 0.9)).toBe(5);
  });

  test('robustDomain - an outlier does not squash the axis', () => {
    const values = [...Array.from({ length: 50 }, (_, i) => 85 + (i % 10) * 0.9), 10];
    const d = robustDomain(values);
    expect(d.lo).toBeGreaterThan(70);
    expect(d.hi).toBeLessThan(95);
    // Few points: every one stays on the axis.
    const few = robustDomain([10, 85, 90]);
    expect(few.lo).toBeLessThan(10);
  });

  test('robustDomain - includes a nearby constraint bound and ignores a far one', () => {
    const values = Array.from({ length: 30 }, (_, i) => 5 + i * 0.5);
    expect(robustDomain(values, { include: [25] }).hi).toBeGreaterThan(25);
    expect(robustDomain(values, { include: [500] }).hi).toBeLessThan(25);
  });

  test('robustDomain - a constant or empty series gets a range around it', () => {
    const d = robustDomain([3, 3, 3]);
    expect(d.lo).toBeLessThan(3);
    expect(d.hi).toBeGreaterThan(3);
    expect(robustDomain([])).toEqual({ lo: 0, hi: 1 });
  });
});
