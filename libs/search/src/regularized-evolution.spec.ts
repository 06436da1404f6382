import { hammingDistance, nb201Space } from '@hwnas/bench-core';
import { SYNTHETIC_METRICS, syntheticMetrics, syntheticSource } from '@hwnas/search/testing';
import { createProblem, scalarScore } from './problem';
import { RegularizedEvolution, REA_DEFAULTS } from './regularized-evolution';
import { runInProcess } from './run-in-process';

const problem = createProblem({ objectives: ['accuracy'] }, SYNTHETIC_METRICS);

/** Evaluates every proposal at once, in order. */
function step(rea: RegularizedEvolution, n = 1) {
  const asked = rea.ask(n);
  for (const c of asked) rea.tell({ trialId: c.trialId, arch: c.arch, status: 'ok', metrics: syntheticMetrics(c.arch) });
  return asked;
}

describe('RegularizedEvolution', () => {
  it('rea - defaults are population 10, tournament 3', () => {
    expect(REA_DEFAULTS).toMatchObject({ populationSize: 10, sampleSize: 3 });
  });

  it('rea - the population grows to P and then keeps exactly P members, dropping the oldest', () => {
    const rea = new RegularizedEvolution({ space: nb201Space, problem, seed: 1 }, REA_DEFAULTS);
    for (let i = 0; i < 10; i++) {
      step(rea);
      expect(rea.populationTrials()).toHaveLength(i + 1);
    }
    for (let i = 0; i < 40; i++) {
      const before = rea.populationTrials();
      const [c] = step(rea);
      expect(rea.populationTrials()).toEqual([...before.slice(1), c.trialId]);
    }
  });

  it('rea - after the population fills, each child is a one-decision mutant of a tournament winner of 3', () => {
    const rea = new RegularizedEvolution({ space: nb201Space, problem, seed: 4 }, REA_DEFAULTS);
    const archs = new Map<number, readonly number[]>();
    for (let i = 0; i < 10; i++) for (const c of step(rea)) archs.set(c.trialId, c.arch);
    let checked = 0;
    for (let i = 0; i < 60; i++) {
      const members = rea.populationTrials().map((id) => ({ id, arch: archs.get(id)!, score: scalarScore(problem, syntheticMetrics(archs.get(id)!)) }));
      const [child] = step(rea);
      archs.set(child.trialId, child.arch);
      const parents = members.filter((m) => hammingDistance(m.arch, child.arch) === 1);
      expect(parents.length).toBeGreaterThan(0);
      if (parents.length !== 1) continue;
      // The best of 3 distinct members can never be one of the 2 worst of the population.
      const worse = members.filter((m) => m.score < parents[0].score).length;
      expect(worse).toBeGreaterThanOrEqual(2);
      checked++;
    }
    expect(checked).toBeGreaterThan(30);
  });

  it('rea - with the tournament as large as the population the parent is always the best member', () => {
    const rea = new RegularizedEvolution({ space: nb201Space, problem, seed: 7 }, { ...REA_DEFAULTS, sampleSize: 10 });
    const archs = new Map<number, readonly number[]>();
    for (let i = 0; i < 10; i++) for (const c of step(rea)) archs.set(c.trialId, c.arch);
    for (let i = 0; i < 30; i++) {
      const members = rea.populationTrials().map((id) => archs.get(id)!);
      const best = members.reduce((a, b) => (scalarScore(problem, syntheticMetrics(b)) > scalarScore(problem, syntheticMetrics(a)) ? b : a));
      const [child] = step(rea);
      archs.set(child.trialId, child.arch);
      expect(hammingDistance(best, child.arch)).toBe(1);
    }
  });

  it('rea - failed trials never join the population', () => {
    const rea = new RegularizedEvolution({ space: nb201Space, problem, seed: 2 }, REA_DEFAULTS);
    const [c] = rea.ask(1);
    rea.tell({ trialId: c.trialId, arch: c.arch, status: 'failed', error: 'worker lost' });
    expect(rea.populationTrials()).toEqual([]);
  });

  it('rea - cost-first pre-selection queries costs first and never evaluates an infeasible candidate', () => {
    const cf = createProblem({ objectives: ['accuracy'], constraints: ['toy_latency<=8'], costFirst: true }, SYNTHETIC_METRICS);
    const run = runInProcess(new RegularizedEvolution({ space: nb201Space, problem: cf, seed: 3 }, REA_DEFAULTS), nb201Space, cf, syntheticSource(nb201Space), {
      budget: 60,
    });
    expect(run.costQueries).toBeGreaterThan(60);
    expect(run.evaluated.every((e) => e.metrics!.toy_latency <= 8)).toBe(true);
  });
});
