import { mape, median } from './stats';

describe('cost-model statistics', () => {
  it('computes MAPE as a fraction and rejects a non-positive actual value', () => {
    expect(mape([11, 18], [10, 20])).toBeCloseTo(0.1, 12);
    // Above a floor of 15 only the second item counts.
    expect(mape([1, 18], [0.01, 20], 15)).toBeCloseTo(0.1, 12);
    expect(mape([1], [0.01], 15)).toBeNaN();
    expect(() => mape([1, 1], [0, 1])).toThrow(/actual value 0 must be positive/);
    expect(() => mape([1], [1, 2])).toThrow(/equal, non-zero length/);
  });
  it('takes the median of odd and even samples', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});
