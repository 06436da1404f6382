import { archKey, hammingDistance, nb201Space } from '@hwnas/bench-core';
import { SYNTHETIC_METRICS, syntheticMetrics } from '@hwnas/search/testing';
import { NeighbourhoodAwareRandomSearch, NA_RS_DEFAULTS } from './na-rs';
import { createProblem, scalarScore } from './problem';

const problem = createProblem({ objectives: ['accuracy'] }, SYNTHETIC_METRICS);

describe('NeighbourhoodAwareRandomSearch', () => {
  it('na-rs - proposes a sampled architecture and then its 24 Hamming-1 neighbours', () => {
    const s = new NeighbourhoodAwareRandomSearch({ space: nb201Space, problem, seed: 1 }, NA_RS_DEFAULTS);
    const asked = s.ask(25);
    expect(asked).toHaveLength(25);
    const centre = asked[0].arch;
    expect(asked.slice(1).every((c) => hammingDistance(c.arch, centre) === 1)).toBe(true);
    expect(new Set(asked.map((c) => archKey(nb201Space, c.arch))).size).toBe(25);
  });

  it('na-rs - the score of a sampled architecture is the mean over its 25-architecture neighbourhood', () => {
    const s = new NeighbourhoodAwareRandomSearch({ space: nb201Space, problem, seed: 2 }, NA_RS_DEFAULTS);
    const asked = s.ask(25);
    for (const c of asked) s.tell({ trialId: c.trialId, arch: c.arch, status: 'ok', metrics: syntheticMetrics(c.arch) });
    const expected = asked.reduce((sum, c) => sum + scalarScore(problem, syntheticMetrics(c.arch)), 0) / 25;
    const got = s.neighbourhoodScore(asked[0].arch)!;
    expect(got.complete).toBe(true);
    expect(got.members).toBe(25);
    expect(got.score).toBeCloseTo(expected, 12);
    expect(s.recommend()).toEqual(asked[0].arch);
  });

  it('na-rs - recommends the sampled architecture with the best neighbourhood mean, not the best single one', () => {
    const s = new NeighbourhoodAwareRandomSearch({ space: nb201Space, problem, seed: 3 }, NA_RS_DEFAULTS);
    const centres: (readonly number[])[] = [];
    for (let h = 0; h < 4; h++) {
      const asked = s.ask(25);
      centres.push(asked[0].arch);
      for (const c of asked) s.tell({ trialId: c.trialId, arch: c.arch, status: 'ok', metrics: syntheticMetrics(c.arch) });
    }
    const scores = centres.map((c) => s.neighbourhoodScore(c)!.score);
    expect(s.recommend()).toEqual(centres[scores.indexOf(Math.max(...scores))]);
  });

  it('na-rs - the neighbours option subsamples the neighbourhood', () => {
    const s = new NeighbourhoodAwareRandomSearch({ space: nb201Space, problem, seed: 4 }, { neighbours: 6 });
    const asked = s.ask(14);
    expect(asked.slice(1, 7).every((c) => hammingDistance(c.arch, asked[0].arch) === 1)).toBe(true);
    expect(hammingDistance(asked[7].arch, asked[0].arch)).toBeGreaterThan(1);
  });
});
