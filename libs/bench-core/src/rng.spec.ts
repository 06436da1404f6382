import { remainder, Rng } from './rng';

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

  it('Rng - remainder() equals % for every integer 0..2^32 and bound 1..2^32 tried', () => {
    const r = new Rng(7);
    const edges = [0, 1, 2, 3, 5, 7, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1, 2 ** 32 - 2, 2 ** 32 - 1, 2 ** 32];
    const xs = [...edges, ...Array.from({ length: 2000 }, () => r.nextUint32())];
    const ns = [...edges.filter((n) => n > 0), 15625, 65536, 3 ** 20, ...Array.from({ length: 200 }, () => 1 + r.int(2 ** 32)), ...Array.from({ length: 200 }, () => 1 + r.int(1000))];
    for (const n of ns) for (const x of xs) if (remainder(x, n) !== x % n) throw new Error(`remainder(${x}, ${n}) = ${remainder(x, n)}, % gives ${x % n}`);
  });

  it('Rng - int() draws what rejection sampling with % draws from the same stream', () => {
    const bounds = [1, 2, 5, 6, 7, 15625, 2 ** 31 + 3, 2 ** 32 - 5, 2 ** 32];
    const a = new Rng(11);
    const raw = new Rng(11);
    for (let i = 0; i < 5000; i++) {
      const n = bounds[i % bounds.length];
      const limit = 4294967296 - (4294967296 % n);
      let x: number;
      do x = raw.nextUint32();
      while (x >= limit);
      expect(a.int(n)).toBe(x % n);
    }
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
