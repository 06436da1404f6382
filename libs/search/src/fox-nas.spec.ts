import { nb201Space } from '@hwnas/bench-core';
import { SYNTHETIC_METRICS, syntheticMetrics, syntheticSource } from '@hwnas/search/testing';
import { FOX_NAS_DEFAULTS, FoxNas } from './fox-nas';
import { createProblem, scalarScore } from './problem';
import { runInProcess } from './run-in-process';


const constrained = createProblem({ objectives: ['accuracy'], constraints: ['toy_latency<=8'] }, SYNTHETIC_METRICS);

describe('FoxNas', () => {
  it('fox-nas - evaluates initialSamples random architectures before the first fit', () => {
    const s = new FoxNas({ space: nb201Space, problem: constrained, seed: 1 }, FOX_NAS_DEFAULTS);
    const asked = s.ask(20);
    expect(asked).toHaveLength(20);
    expect(s.explain()).toEqual([]);
    expect(s.predicted('toy_latency', asked[0].arch)).toBeUndefined();
  });

  it('fox-nas - the annealing never proposes a candidate its cost predictor places over the constraint', () => {
    const s = new FoxNas({ space: nb201Space, problem: constrained, seed: 2 }, FOX_NAS_DEFAULTS);
    let checked = 0;
    for (let i = 0; i < 120; i++) {
      const [c] = s.ask(1);
      if (i >= FOX_NAS_DEFAULTS.initialSamples) {
        // The predictors used for this proposal are the ones fitted at the round that produced it.
        expect(s.predicted('toy_latency', c.arch)!).toBeLessThanOrEqual(8);
        checked++;
      }
      s.tell({ trialId: c.trialId, arch: c.arch, status: 'ok', metrics: syntheticMetrics(c.arch) });
    }
    expect(checked).toBe(100);
  });

  it('fox-nas - explain() prints coefficients that reproduce the predictions (an explainable linear model)', () => {
    const s = new FoxNas({ space: nb201Space, problem: constrained, seed: 3 }, FOX_NAS_DEFAULTS);
    const run = runInProcess(s, nb201Space, constrained, syntheticSource(nb201Space), { budget: 80 });
    const [acc, lat] = s.explain();
    expect(acc.metric).toBe('accuracy');
    expect(lat.metric).toBe('toy_latency');
    expect(acc.samples).toBe(80);
    expect(acc.r2).toBeGreaterThan(0.8);
    // Rebuild a prediction from the printed terms: intercept + the weights of the terms that are on.
    const arch = run.evaluated[5].arch;
    const names = nb201Space.decisions.map((d, i) => `${d.name}=${d.options[arch[i]]}`);
    const on = (term: string) => term.split(' x ').every((t) => names.includes(t));
    const rebuilt = lat.intercept + lat.coefficients.filter((c) => on(c.term)).reduce((a, c) => a + c.weight, 0);
    expect(rebuilt).toBeCloseTo(s.predicted('toy_latency', arch)!, 6);
    // The synthetic latency is additive, so its predictor is (nearly) exact.
    expect(Math.abs(rebuilt - syntheticMetrics(arch).toy_latency)).toBeLessThan(0.05);
  });

  it('fox-nas - finds better architectures than its random initial design on a learnable problem', () => {
    const s = new FoxNas({ space: nb201Space, problem: constrained, seed: 5 }, FOX_NAS_DEFAULTS);
    const run = runInProcess(s, nb201Space, constrained, syntheticSource(nb201Space), { budget: 100 });
    const score = (k: number) => Math.max(...run.evaluated.slice(0, k).filter((e) => e.metrics!.toy_latency <= 8).map((e) => scalarScore(constrained, e.metrics)));
    expect(score(100)).toBeGreaterThan(score(20));
  });
});
