import { nb201Space, Rng, sampleArch } from '@hwnas/bench-core';
import type { Arch } from '@hwnas/bench-core';
import { SYNTHETIC_METRICS, syntheticMetrics, syntheticSource } from '@hwnas/search/testing';
import { archEncoder } from './arch-features';
import { CategoricalGp, expectedExcess, normalCdf, selectHyper } from './gaussian-process';
import { GP_BO_DEFAULTS, GpBo } from './gp-bo';
import { createProblem, scalarScore } from './problem';
import { runInProcess } from './run-in-process';

const constrained = createProblem({ objectives: ['accuracy'], constraints: ['toy_latency<=8'] }, SYNTHETIC_METRICS);

describe('gaussian process', () => {
  it('CategoricalGp - interpolates its data and is unsure far from it', () => {
    const rng = new Rng(4);
    const archs = Array.from({ length: 40 }, () => sampleArch(nb201Space, rng));
    const ys = archs.map((a) => syntheticMetrics(a).accuracy);
    // The synthetic metrics depend on every edge, dead or not: the plain decisions, no pruning.
    const encode = (arch: Arch) => ({ arch, features: archEncoder(nb201Space)(arch).features });
    const points = archs.map(encode);
    const gp = new CategoricalGp(points, ys, { additive: 0.5, theta: 3, noise: 1e-4, features: 0.5 });
    for (let i = 0; i < archs.length; i++) expect(gp.predict(points[i]).mean).toBeCloseTo(ys[i], 1);
    const unseen = sampleArch(nb201Space, new Rng(99));
    expect(gp.predict(encode(unseen)).sd).toBeGreaterThan(10 * gp.predict(points[0]).sd);
    // The grid choice is one of the grid's points and gives a finite likelihood.
    const h = selectHyper(points, ys);
    expect(Number.isFinite(new CategoricalGp(points, ys, h).logLikelihood)).toBe(true);
  });

  it('CategoricalGp - meanAt / predictAt on a kernel vector equal mean / predict', () => {
    const rng = new Rng(8);
    const encode = archEncoder(nb201Space);
    const archs = Array.from({ length: 30 }, () => sampleArch(nb201Space, rng));
    const gp = new CategoricalGp(archs.map(encode), archs.map((a) => syntheticMetrics(a).accuracy), { additive: 0.5, theta: 3, noise: 0.01, features: 0.6 });
    for (let k = 0; k < 5; k++) {
      const point = encode(sampleArch(nb201Space, rng));
      const kernels = gp.kernels(point);
      expect(gp.meanAt(kernels)).toBe(gp.mean(point));
      expect(gp.predictAt(kernels)).toEqual(gp.predict(point));
      // The vector survives the solve: scoring it again gives the same answer.
      expect(gp.predictAt(kernels)).toEqual(gp.predict(point));
    }
  });

  it('expectedExcess / normalCdf - closed forms', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(expectedExcess(0, 1, 0)).toBeCloseTo(1 / Math.sqrt(2 * Math.PI), 7);
    expect(expectedExcess(5, 0, 2)).toBe(3);
    expect(expectedExcess(10, 1, 0)).toBeCloseTo(10, 6);
  });
});

describe('GpBo', () => {
  it('gp-bo - finds better feasible architectures than its random initial design', () => {
    const s = new GpBo({ space: nb201Space, problem: constrained, seed: 5 }, GP_BO_DEFAULTS);
    const run = runInProcess(s, nb201Space, constrained, syntheticSource(nb201Space), { budget: 40 });
    const best = (k: number) => Math.max(...run.evaluated.slice(0, k).filter((e) => e.metrics!.toy_latency <= 8).map((e) => scalarScore(constrained, e.metrics)));
    expect(best(40)).toBeGreaterThan(best(GP_BO_DEFAULTS.initialSamples));
  });

  it('gp-bo - after the initial design, most proposals meet the constraint (probability of feasibility)', () => {
    const s = new GpBo({ space: nb201Space, problem: constrained, seed: 6 }, GP_BO_DEFAULTS);
    const run = runInProcess(s, nb201Space, constrained, syntheticSource(nb201Space), { budget: 40 });
    const later = run.evaluated.slice(20);
    expect(later.filter((e) => e.metrics!.toy_latency <= 8).length).toBeGreaterThanOrEqual(15);
  });

  it('gp-bo - Pareto search (EHVI) spreads its evaluations along the front', () => {
    const pareto = createProblem({ objectives: ['accuracy:max', 'toy_latency:min'] }, SYNTHETIC_METRICS);
    const s = new GpBo({ space: nb201Space, problem: pareto, seed: 7 }, GP_BO_DEFAULTS);
    const run = runInProcess(s, nb201Space, pareto, syntheticSource(nb201Space), { budget: 40 });
    expect(run.pareto!.length).toBeGreaterThanOrEqual(4);
  });
});
