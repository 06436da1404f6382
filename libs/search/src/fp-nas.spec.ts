import { fbnetSpace, nb201Space } from '@hwnas/bench-core';
import { SYNTHETIC_METRICS, syntheticMetrics } from '@hwnas/search/testing';
import { factorisation, FP_NAS_DEFAULTS, FpNas } from './fp-nas';
import { createProblem } from './problem';

const problem = createProblem({ objectives: ['accuracy'], constraints: ['toy_latency<=8'] }, SYNTHETIC_METRICS);

/** Evaluates every proposal at once; returns the number of proposals. */
function drive(s: FpNas, steps: number): number {
  let n = 0;
  for (let i = 0; i < steps; i++) {
    const asked = s.ask(8);
    n += asked.length;
    for (const c of asked) s.tell({ trialId: c.trialId, arch: c.arch, status: 'ok', metrics: syntheticMetrics(c.arch) });
  }
  return n;
}

describe('FpNas', () => {
  it('fp-nas - K = max(K_min, ceil(lambda * H)): 3 on NB201 (H = 6 ln 5) and 13 on FBNet (H = 22 ln 9) at the start', () => {
    const nb = new FpNas({ space: nb201Space, problem, seed: 1 }, FP_NAS_DEFAULTS);
    expect(nb.entropy()).toBeCloseTo(6 * Math.log(5), 12);
    expect(nb.samplesPerRound()).toBe(3);
    const fb = new FpNas({ space: fbnetSpace, problem, seed: 1 }, FP_NAS_DEFAULTS);
    expect(fb.entropy()).toBeCloseTo(22 * Math.log(9), 9);
    expect(fb.samplesPerRound()).toBe(13);
  });

  it('fp-nas - K falls as the entropy falls', () => {
    const s = new FpNas({ space: fbnetSpace, problem: createProblem({ objectives: ['accuracy'] }, SYNTHETIC_METRICS), seed: 2 }, FP_NAS_DEFAULTS);
    const h0 = s.entropy();
    drive(s, 60);
    expect(s.entropy()).toBeLessThan(h0);
    const sizes = s.roundSizes();
    expect(sizes[0]).toBe(13);
    expect(sizes[sizes.length - 1]).toBeLessThan(sizes[0]);
    expect(s.samplesPerRound()).toBe(Math.max(2, Math.ceil(0.25 * s.entropy() - 1e-9)));
  });

  it('fp-nas - switches from the factorised to the joint distribution after coarseRounds, with exactly the same probabilities at the switch', () => {
    const options = { ...FP_NAS_DEFAULTS, coarseRounds: 4 };
    const s = new FpNas({ space: fbnetSpace, problem, seed: 3 }, options);
    while (s.roundSizes().length < 3) {
      for (const c of s.ask(20)) s.tell({ trialId: c.trialId, arch: c.arch, status: 'ok', metrics: syntheticMetrics(c.arch) });
    }
    const state = s.snapshot();
    // Two copies fed the same fourth round: one switches to the joint distribution, one never does.
    const switching = new FpNas({ space: fbnetSpace, problem, seed: 3 }, options, state);
    const staying = new FpNas({ space: fbnetSpace, problem, seed: 3 }, { ...options, coarseRounds: 1000 }, state);
    expect(switching.distribution).toBe('coarse');
    while (switching.distribution === 'coarse') {
      const asked = switching.ask(20);
      expect(staying.ask(20)).toEqual(asked);
      for (const c of asked) {
        const r = { trialId: c.trialId, arch: c.arch, status: 'ok' as const, metrics: syntheticMetrics(c.arch) };
        switching.tell(r);
        staying.tell(r);
      }
    }
    expect(switching.roundSizes()).toHaveLength(4);
    expect(staying.distribution).toBe('coarse');
    fbnetSpace.decisions.forEach((_, d) => {
      const joint = switching.probabilities(d);
      staying.probabilities(d).forEach((p, o) => expect(joint[o]).toBeCloseTo(p, 12));
    });
  });

  it('fp-nas - the FBNet factorisation is block/skip x kernel x expansion x group', () => {
    const [f] = factorisation(fbnetSpace);
    expect(f.factors).toEqual(['type', 'kernel', 'expansion', 'group']);
    expect(f.levels).toEqual([['block', 'skip'], ['3', '5'], ['1', '3', '6'], ['1', '2']]);
    expect(f.of[1]).toEqual([0, 0, 0, 1]); // k3_e1_g2
    expect(f.of[8]).toEqual([1, -1, -1, -1]); // skip
    expect(factorisation(nb201Space)[0].factors).toEqual(['family', 'kernel']);
  });

  it('fp-nas - the cost term moves probability away from options that break the cost target', () => {
    const costly = createProblem({ objectives: ['accuracy'], constraints: ['toy_latency<=4'] }, SYNTHETIC_METRICS);
    const withCost = new FpNas({ space: nb201Space, problem: costly, seed: 4 }, { ...FP_NAS_DEFAULTS, beta: 5 });
    const without = new FpNas({ space: nb201Space, problem: costly, seed: 4 }, { ...FP_NAS_DEFAULTS, beta: 0 });
    drive(withCost, 40);
    drive(without, 40);
    const expected = (s: FpNas) =>
      nb201Space.decisions.reduce((sum, _, d) => sum + s.probabilities(d).reduce((a, p, o) => a + p * syntheticMetrics(Array.from({ length: 6 }, (_, k) => (k === d ? o : 0))).toy_latency, 0), 0);
    expect(expected(withCost)).toBeLessThan(expected(without));
  });

  it('fp-nas - recommends the most likely architecture', () => {
    const s = new FpNas({ space: nb201Space, problem, seed: 5 }, FP_NAS_DEFAULTS);
    drive(s, 30);
    const rec = s.recommend();
    rec.forEach((o, d) => expect(s.probabilities(d)[o]).toBe(Math.max(...s.probabilities(d))));
  });
});
