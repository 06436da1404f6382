import { nb201Space } from '@hwnas/bench-core';
import { SYNTHETIC_METRICS, syntheticMetrics } from '@hwnas/search/testing';
import { AutoShrink, AUTOSHRINK_DEFAULTS } from './autoshrink';
import { createProblem } from './problem';

const problem = createProblem({ objectives: ['accuracy'], constraints: ['toy_latency<=8'] }, SYNTHETIC_METRICS);

/** Drives one full pass: every proposal is evaluated at once. */
function runPass(s: AutoShrink) {
  for (let i = 0; i < 1000 && s.steps().filter((t) => t.pass === 0).length < 24; i++) {
    for (const c of s.ask(4)) s.tell({ trialId: c.trialId, arch: c.arch, status: 'ok', metrics: syntheticMetrics(c.arch) });
  }
}

describe('AutoShrink', () => {
  it('autoshrink - starts from the full space and removes exactly one option per step until one is left per decision', () => {
    const s = new AutoShrink({ space: nb201Space, problem, seed: 1 }, { ...AUTOSHRINK_DEFAULTS, restart: false });
    expect(s.aliveOptions().flat().every((v) => v === 1)).toBe(true);
    runPass(s);
    const steps = s.steps();
    expect(steps).toHaveLength(30 - 6);
    let alive = 30;
    for (const step of steps) {
      const total = step.alive.reduce((a, b) => a + b, 0);
      expect(total).toBe(alive - 1);
      alive = total;
    }
    expect(s.aliveOptions().map((row) => row.reduce((a, b) => a + b, 0))).toEqual([1, 1, 1, 1, 1, 1]);
    expect(s.ask(1)).toEqual([]);
  });

  it('autoshrink - scores k = 10 candidate removals per step while enough options are left', () => {
    const s = new AutoShrink({ space: nb201Space, problem, seed: 2 }, { ...AUTOSHRINK_DEFAULTS, restart: false });
    // The first step needs one draw per candidate removal: at most 10 distinct architectures.
    const first = s.ask(100);
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThanOrEqual(10);
  });

  it('autoshrink - returns the best snapshot along the way, not the last', () => {
    const s = new AutoShrink({ space: nb201Space, problem, seed: 3 }, { ...AUTOSHRINK_DEFAULTS, restart: false });
    runPass(s);
    const steps = s.steps();
    const best = steps.reduce((a, b) => (b.bestScore > a.bestScore ? b : a));
    expect(s.recommend()).toEqual(best.bestArch);
    expect(best).not.toBe(steps[steps.length - 1]);
  });

  it('autoshrink - the score is acc - 0.1 * (log10(cost) - 6) with acc as a fraction, minus a penalty when infeasible', () => {
    const s = new AutoShrink({ space: nb201Space, problem, seed: 4 }, AUTOSHRINK_DEFAULTS);
    expect(s.score({ accuracy: 90, toy_latency: 5 })).toBeCloseTo(0.9 - 0.1 * (Math.log10(5) - 6), 12);
    expect(s.score({ accuracy: 90, toy_latency: 10 })).toBeCloseTo(0.9 - 0.1 * (Math.log10(10) - 6) - 1 - 0.25, 12);
  });

  it('autoshrink - with restart it begins a new pass from the full space', () => {
    const s = new AutoShrink({ space: nb201Space, problem, seed: 5 }, AUTOSHRINK_DEFAULTS);
    runPass(s);
    for (let i = 0; i < 5; i++) for (const c of s.ask(4)) s.tell({ trialId: c.trialId, arch: c.arch, status: 'ok', metrics: syntheticMetrics(c.arch) });
    expect(s.steps().some((t) => t.pass === 1)).toBe(true);
  });
});
