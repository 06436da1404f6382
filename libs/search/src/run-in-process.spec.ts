import { InvalidArgumentError, nb201Space } from '@hwnas/bench-core';
import { SYNTHETIC_METRICS, syntheticMetrics, syntheticSource, toySpace } from '@hwnas/search/testing';
import { createProblem } from './problem';
import { createStrategy } from './registry';
import { runInProcess } from './run-in-process';

const problem = createProblem({ objectives: ['accuracy'], constraints: ['toy_latency<=8'] }, SYNTHETIC_METRICS);

describe('runInProcess', () => {
  it('runInProcess - stops at the budget of distinct evaluations and reports the best feasible one', () => {
    const run = runInProcess(createStrategy('rea', { space: nb201Space, problem, seed: 1 }), nb201Space, problem, syntheticSource(nb201Space), { budget: 50 });
    expect(run.stop).toBe('budget');
    expect(run.evaluations).toBe(50);
    const feasible = run.evaluated.filter((e) => e.metrics!.toy_latency <= 8);
    expect(run.best!.metrics.accuracy).toBe(Math.max(...feasible.map((e) => e.metrics!.accuracy)));
  });

  it('runInProcess - the same seeds give the same run, also with out-of-order completions', () => {
    const go = () =>
      runInProcess(createStrategy('fox-nas', { space: nb201Space, problem, seed: 2 }), nb201Space, problem, syntheticSource(nb201Space), { budget: 40, parallelism: 5, seed: 3 })
        .history.map((h) => h.key);
    expect(go()).toEqual(go());
  });

  it('runInProcess - reports exhaustion on a space smaller than the budget', () => {
    const space = toySpace([2, 3]);
    const p = createProblem({ objectives: ['accuracy'] }, SYNTHETIC_METRICS);
    const run = runInProcess(createStrategy('random', { space, problem: p, seed: 0 }), space, p, { evaluate: syntheticMetrics, costs: syntheticMetrics }, { budget: 10 });
    expect(run.stop).toBe('exhausted');
    expect(run.evaluations).toBe(6);
  });

  it('runInProcess - counts cost queries separately and reports a Pareto front for two objectives', () => {
    const p = createProblem({ objectives: ['accuracy', 'toy_latency'], costFirst: true }, SYNTHETIC_METRICS);
    const run = runInProcess(createStrategy('nsga2', { space: nb201Space, problem: p, seed: 4 }), nb201Space, p, syntheticSource(nb201Space), { budget: 60 });
    expect(run.evaluations).toBe(60);
    expect(run.costQueries).toBeGreaterThan(0);
    expect(run.pareto!.length).toBeGreaterThan(0);
    expect(run.best).toBeUndefined();
  });

  it('runInProcess - rejects a bad budget', () => {
    expect(() => runInProcess(createStrategy('random', { space: nb201Space, problem, seed: 0 }), nb201Space, problem, syntheticSource(nb201Space), { budget: -1 })).toThrow(
      InvalidArgumentError,
    );
  });
});
