import { Rng } from '@hwnas/bench-core';
import { crowdingDistance, dominates, hypervolume, nonDominated, nonDominatedSort } from './pareto';

describe('pareto', () => {
  it('dominates - needs no-worse everywhere and better somewhere (minimisation)', () => {
    expect(dominates([1, 2], [1, 3])).toBe(true);
    expect(dominates([1, 3], [1, 3])).toBe(false);
    expect(dominates([0, 4], [1, 3])).toBe(false);
  });

  it('nonDominatedSort - splits points into successive fronts', () => {
    const pts = [
      [1, 5],
      [2, 2],
      [5, 1],
      [3, 3],
      [4, 4],
      [6, 6],
    ];
    expect(nonDominatedSort(pts)).toEqual([[0, 1, 2], [3], [4], [5]]);
  });

  it('crowdingDistance - gives the boundary points Infinity and inner points the normalised gap', () => {
    const pts = [
      [0, 4],
      [1, 2],
      [4, 0],
    ];
    const d = crowdingDistance(pts, [0, 1, 2]);
    expect(d[0]).toBe(Infinity);
    expect(d[2]).toBe(Infinity);
    expect(d[1]).toBeCloseTo(4 / 4 + 4 / 4, 12);
  });

  it('nonDominated - keeps non-dominated points, including duplicates', () => {
    expect(nonDominated([[1, 1], [2, 2], [1, 1], [0, 3]])).toEqual([0, 2, 3]);
    expect(nonDominated([[1, 1, 1], [2, 2, 2], [0, 3, 1]])).toEqual([0, 2]);
  });

  it('hypervolume - exact in 2-D', () => {
    // Staircase (1,3), (2,2), (3,1) with reference (4,4): 3*1 + 2*1 + 1*1 ... = 6.
    expect(hypervolume([[1, 3], [2, 2], [3, 1]], [4, 4])).toBeCloseTo(6, 12);
    expect(hypervolume([[5, 1]], [4, 4])).toBe(0);
    expect(hypervolume([], [1, 1])).toBe(0);
  });

  it('hypervolume - exact in 3-D (checked against a fine grid count)', () => {
    const rng = new Rng(4);
    const pts = Array.from({ length: 6 }, () => [rng.int(8), rng.int(8), rng.int(8)]);
    const ref = [8, 8, 8];
    let cells = 0;
    for (let x = 0; x < 8; x++) for (let y = 0; y < 8; y++) for (let z = 0; z < 8; z++) if (pts.some((p) => p[0] <= x && p[1] <= y && p[2] <= z)) cells++;
    expect(hypervolume(pts, ref)).toBeCloseTo(cells, 9);
  });
});
