import { Rng } from '@hwnas/bench-core';
import { kendallTau } from './kendall';

/** O(n^2) tau-b straight from the definition. */
function bruteTauB(x: number[], y: number[]): number {
  let c = 0;
  let d = 0;
  let tx = 0;
  let ty = 0;
  for (let i = 0; i < x.length; i++) {
    for (let j = i + 1; j < x.length; j++) {
      const s = Math.sign(x[i] - x[j]) * Math.sign(y[i] - y[j]);
      if (s > 0) c++;
      else if (s < 0) d++;
      else {
        if (x[i] === x[j] && y[i] !== y[j]) tx++;
        if (y[i] === y[j] && x[i] !== x[j]) ty++;
      }
    }
  }
  return (c - d) / Math.sqrt((c + d + tx) * (c + d + ty));
}

describe('kendallTau', () => {
  it('kendallTau - is 1 for the same order, -1 for the reverse, and matches known values', () => {
    expect(kendallTau([1, 2, 3, 4], [10, 20, 30, 40])).toBe(1);
    expect(kendallTau([1, 2, 3, 4], [4, 3, 2, 1])).toBe(-1);
    // scipy.stats.kendalltau([12, 2, 1, 12, 2], [1, 4, 7, 1, 0]) -> -0.47140452079103173
    expect(kendallTau([12, 2, 1, 12, 2], [1, 4, 7, 1, 0])).toBeCloseTo(-0.47140452079103173, 14);
    expect(kendallTau([1, 1, 1], [1, 2, 3])).toBeNaN();
  });

  it('kendallTau - equals the O(n^2) definition of tau-b on random samples with many ties', () => {
    const rng = new Rng(3);
    for (let trial = 0; trial < 50; trial++) {
      const n = 2 + rng.int(200);
      const levels = 1 + rng.int(12);
      const x = Array.from({ length: n }, () => rng.int(levels));
      const y = Array.from({ length: n }, (_, i) => (rng.next() < 0.5 ? x[i] : rng.int(levels)));
      const expected = bruteTauB(x, y);
      if (Number.isNaN(expected)) expect(kendallTau(x, y)).toBeNaN();
      else expect(kendallTau(x, y)).toBeCloseTo(expected, 12);
    }
  });

  it('kendallTau - rejects samples of different lengths and non-finite values', () => {
    expect(() => kendallTau([1, 2], [1])).toThrow(/differ in length/);
    expect(() => kendallTau([1, NaN], [1, 2])).toThrow(/not finite/);
    expect(() => kendallTau([1], [1])).toThrow(/at least 2/);
  });
});
