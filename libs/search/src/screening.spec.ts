import { nb201Space } from '@hwnas/bench-core';
import { SYNTHETIC_METRICS, syntheticMetrics, syntheticSource } from '@hwnas/search/testing';
import { createProblem } from './problem';
import { RandomSearch } from './random';
import { createStrategy } from './registry';
import { runInProcess } from './run-in-process';
import { canScreen, ScreenedStrategy } from './screening';
import type { SearchStrategy, StrategyState, TrialResult } from './strategy';

const cf = createProblem({ objectives: ['accuracy'], constraints: ['toy_latency<=8'], costFirst: true }, SYNTHETIC_METRICS);

describe('ScreenedStrategy', () => {
  it('screening - applies only in cost-first mode with a constraint on a cheap metric', () => {
    expect(canScreen(cf)).toBe(true);
    expect(canScreen(createProblem({ objectives: ['accuracy'], constraints: ['toy_latency<=8'] }, SYNTHETIC_METRICS))).toBe(false);
    expect(canScreen(createProblem({ objectives: ['accuracy', 'toy_latency'], costFirst: true }, SYNTHETIC_METRICS))).toBe(false);
    expect(createStrategy('random', { space: nb201Space, problem: cf, seed: 0 })).toBeInstanceOf(ScreenedStrategy);
    expect(createStrategy('random', { space: nb201Space, problem: cf, seed: 0 }, {}, { screen: false })).toBeInstanceOf(RandomSearch);
  });

  it('screening - queries costs first, never evaluates an architecture whose costs break a constraint, and tells the inner strategy', () => {
    const told: TrialResult[] = [];
    const inner = new RandomSearch({ space: nb201Space, problem: cf, seed: 1 });
    const spy: SearchStrategy = {
      ask: (n) => inner.ask(n),
      tell: (r) => {
        told.push(r);
        inner.tell(r);
      },
      snapshot: (): StrategyState => inner.snapshot(),
    };
    const run = runInProcess(new ScreenedStrategy({ space: nb201Space, problem: cf, seed: 1 }, spy), nb201Space, cf, syntheticSource(nb201Space), { budget: 40 });
    expect(run.evaluations).toBe(40);
    expect(run.evaluated.every((e) => e.metrics!.toy_latency <= 8)).toBe(true);
    expect(run.costQueries).toBeGreaterThanOrEqual(40);
    const rejected = told.filter((r) => r.metrics && r.metrics.accuracy === undefined);
    expect(rejected.length).toBeGreaterThan(0);
    expect(rejected.every((r) => r.metrics!.toy_latency > 8 && r.status === 'ok')).toBe(true);
    const full = told.filter((r) => r.metrics?.accuracy !== undefined);
    expect(full.every((r) => r.metrics!.accuracy === syntheticMetrics(r.arch).accuracy)).toBe(true);
  });
});
