import { archKey, nb201Space } from '@hwnas/bench-core';
import { SYNTHETIC_METRICS, syntheticMetrics, toySpace } from '@hwnas/search/testing';
import { createProblem } from './problem';
import { RandomSearch } from './random';

const problem = createProblem({ objectives: ['accuracy'] }, SYNTHETIC_METRICS);

describe('RandomSearch', () => {
  it('random - proposes every architecture of a small space exactly once, then []', () => {
    const space = toySpace([3, 2, 2]);
    const s = new RandomSearch({ space, problem, seed: 1 });
    const asked = s.ask(100);
    expect(asked).toHaveLength(12);
    expect(new Set(asked.map((c) => archKey(space, c.arch))).size).toBe(12);
    for (const c of asked) s.tell({ trialId: c.trialId, arch: c.arch, status: 'ok', metrics: syntheticMetrics(c.arch) });
    expect(s.ask(1)).toEqual([]);
  });

  it('random - every option of every decision comes up about equally often', () => {
    const s = new RandomSearch({ space: nb201Space, problem, seed: 2 });
    const counts = nb201Space.decisions.map(() => new Array(5).fill(0));
    for (const c of s.ask(5000)) c.arch.forEach((o, d) => counts[d][o]++);
    for (const row of counts) for (const n of row) expect(Math.abs(n - 1000)).toBeLessThan(120);
  });
});
