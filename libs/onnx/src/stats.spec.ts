import { fractionalRanks, pearson, spearman } from './stats';

describe('spearman', () => {
  it('spearman - is 1 for any increasing relation and -1 for a decreasing one', () => {
    const x = [1, 5, 2, 8, 3];
    expect(spearman(x, x.map((v) => v ** 3))).toBeCloseTo(1, 12);
    expect(spearman(x, x.map((v) => -Math.exp(v)))).toBeCloseTo(-1, 12);
  });

  it('spearman - averages tied ranks like scipy.stats.spearmanr', () => {
    expect(Array.from(fractionalRanks([1, 2, 2, 3]))).toEqual([1, 2.5, 2.5, 4]);
    // scipy.stats.spearmanr([1, 2, 2, 3], [1, 3, 2, 4]) = 0.9486832980505139
    expect(spearman([1, 2, 2, 3], [1, 3, 2, 4])).toBeCloseTo(0.9486832980505139, 12);
    expect(Array.from(fractionalRanks([-Infinity, 0, -Infinity]))).toEqual([1.5, 3, 1.5]);
  });

  it('spearman - rejects NaN and mismatched lengths', () => {
    expect(() => spearman([1, NaN], [1, 2])).toThrow(/NaN/);
    expect(() => pearson([1, 2, 3], [1, 2])).toThrow(/equal length/);
  });
});
