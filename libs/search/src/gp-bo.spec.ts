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

  it('CategoricalGp - a fit extending an earlier one equals a fit from scratch to the bit', () => {
    const rng = new Rng(12);
    const encode = archEncoder(nb201Space);
    const points = Array.from({ length: 60 }, () => encode(sampleArch(nb201Space, rng)));
    const ys = points.map((p) => syntheticMetrics(p.arch).accuracy + rng.next());
    const hyper = { additive: 0.5, theta: 3, noise: 0.01, features: 0.6 };
    const earlier = new CategoricalGp(points.slice(0, 45), ys.slice(0, 45), hyper);
    // New encodings of the same architectures still count as the same data points.
    const extended = new CategoricalGp(points.map((p) => encode(p.arch)), ys, hyper, undefined, earlier);
    const scratch = new CategoricalGp(points, ys, hyper);
    expect(extended.logLikelihood).toBe(scratch.logLikelihood);
    const probes = Array.from({ length: 5 }, () => encode(sampleArch(nb201Space, rng)));
    for (const p of probes) expect(extended.predict(p)).toEqual(scratch.predict(p));
    // Other hyperparameters or other leading points: the earlier fit does not apply, and the
    // result is still the fit of the data given.
    for (const [pts, h] of [
      [points, { ...hyper, theta: 8 }],
      [[points[1], points[0], ...points.slice(2)], hyper],
    ] as const) {
      const y = pts === points ? ys : [ys[1], ys[0], ...ys.slice(2)];
      expect(new CategoricalGp(pts, y, h, undefined, earlier).logLikelihood).toBe(new CategoricalGp(pts, y, h).logLikelihood);
    }
  });

  it('CategoricalGp - sdBoundAt bounds the posterior sd from above, and is tight at a data point', () => {
    const rng = new Rng(13);
    const encode = archEncoder(nb201Space);
    const archs = Array.from({ length: 50 }, () => sampleArch(nb201Space, rng));
    const gp = new CategoricalGp(archs.map(encode), archs.map((a) => syntheticMetrics(a).accuracy), { additive: 0.5, theta: 3, noise: 0.01, features: 0.6 });
    let tighter = 0;
    for (let k = 0; k < 200; k++) {
      const kernels = gp.kernels(encode(sampleArch(nb201Space, rng)));
      const bound = gp.sdBoundAt(kernels);
      expect(gp.predictAt(kernels).sd).toBeLessThanOrEqual(bound * (1 + 1e-9));
      if (bound < 0.9 * gp.priorSd) tighter++;
    }
    // Most candidates share decisions with some data point: the bound is well below the prior's.
    expect(tighter).toBeGreaterThan(100);
    const atData = gp.kernels(encode(archs[0]));
    expect(gp.sdBoundAt(atData)).toBeLessThan(0.15 * gp.priorSd);
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
