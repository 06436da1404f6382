import { Rng } from './rng';

describe('Rng', () => {
  it('Rng - same seed gives the same sequence; state() resumes it exactly', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const xs = Array.from({ length: 100 }, () => a.nextUint32());
    expect(Array.from({ length: 100 }, () => b.nextUint32())).toEqual(xs);
    const c = new Rng(a.state());
    expect(c.next()).toBe(a.next());
  });

  it('Rng - int() is in range and roughly uniform', () => {
    const r = new Rng(1);
    const counts = new Array(5).fill(0);
    for (let i = 0; i < 50_000; i++) counts[r.int(5)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
  });

  it('Rng - categorical() follows the weights', () => {
    const r = new Rng(3);
    let ones = 0;
    for (let i = 0; i < 20_000; i++) ones += r.categorical([1, 3]);
    expect(ones / 20_000).toBeCloseTo(0.75, 1);
  });

  it('Rng - different seeds differ', () => {
    expect(new Rng(1).nextUint32()).not.toBe(new Rng(2).nextUint32());
  });
});
