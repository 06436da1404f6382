import { InvalidArgumentError, UnknownMetricError } from '@hwnas/bench-core';
import { SYNTHETIC_METRICS } from '@hwnas/search/testing';
import {
  bestFeasible,
  compareResults,
  constrainedDominates,
  createProblem,
  isFeasible,
  isPareto,
  paretoFront,
  parseConstraint,
  parseObjective,
  scalarScore,
  violation,
} from './problem';

describe('problem', () => {
  it('parseObjective - reads METRIC, METRIC:max and METRIC:min', () => {
    expect(parseObjective('accuracy')).toEqual({ metric: 'accuracy' });
    expect(parseObjective('raspi4_latency:min')).toEqual({ metric: 'raspi4_latency', direction: 'min' });
    expect(() => parseObjective('accuracy:up')).toThrow(/objective "accuracy:up"/);
  });

  it('parseConstraint - reads METRIC<=VALUE and names the text when malformed', () => {
    expect(parseConstraint('raspi4_latency<=15.72')).toEqual({ metric: 'raspi4_latency', bound: 15.72 });
    expect(parseConstraint(' flops <= 100 ')).toEqual({ metric: 'flops', bound: 100 });
    expect(() => parseConstraint('raspi4_latency<15')).toThrow(/"raspi4_latency<15".*only "<="/);
    expect(() => parseConstraint('raspi4_latency<=fast')).toThrow(/bound "fast"/);
    expect(() => parseConstraint('latency')).toThrow(InvalidArgumentError);
  });

  it('createProblem - takes directions from the metric list and rejects unknown metrics, listing the known ones', () => {
    const p = createProblem({ objectives: ['accuracy', 'toy_latency'] }, SYNTHETIC_METRICS);
    expect(p.objectives).toEqual([
      { metric: 'accuracy', direction: 'max' },
      { metric: 'toy_latency', direction: 'min' },
    ]);
    expect(isPareto(p)).toBe(true);
    expect(() => createProblem({ constraints: ['raspi4_latency<=1'] }, SYNTHETIC_METRICS)).toThrow(UnknownMetricError);
    expect(() => createProblem({ objectives: ['speed'] }, SYNTHETIC_METRICS)).toThrow(/available metrics: accuracy, toy_latency, flops/);
    expect(() => createProblem({ objectives: ['accuracy', 'accuracy'] }, SYNTHETIC_METRICS)).toThrow(/twice/);
  });

  it('createProblem - cost-first mode lists the cost and model metrics as cheap', () => {
    expect(createProblem({}, SYNTHETIC_METRICS).cheapMetrics).toEqual([]);
    expect(createProblem({ costFirst: true }, SYNTHETIC_METRICS).cheapMetrics).toEqual(['toy_latency', 'flops']);
  });

  it('scalarScore - is the MnasNet reward acc * (lat/T)^w when a reward is set', () => {
    const p = createProblem({ reward: { cost: 'toy_latency', targetCost: 10 } }, SYNTHETIC_METRICS);
    expect(p.reward).toEqual({ accuracy: 'accuracy', cost: 'toy_latency', targetCost: 10, exponent: -0.07 });
    expect(scalarScore(p, { accuracy: 90, toy_latency: 20 })).toBeCloseTo(90 * Math.pow(2, -0.07), 12);
    expect(scalarScore(p, { accuracy: 90, toy_latency: 10 })).toBeCloseTo(90, 12);
    expect(() => createProblem({ objectives: ['accuracy', 'toy_latency'], reward: { cost: 'toy_latency', targetCost: 1 } }, SYNTHETIC_METRICS)).toThrow(
      /Pareto/,
    );
  });

  it('violation - is relative and 0 exactly when feasible; a missing metric is infeasible', () => {
    const p = createProblem({ constraints: ['toy_latency<=10', 'flops<=100'] }, SYNTHETIC_METRICS);
    expect(violation(p, { toy_latency: 10, flops: 50 })).toBe(0);
    expect(violation(p, { toy_latency: 12, flops: 150 })).toBeCloseTo(0.2 + 0.5, 12);
    expect(isFeasible(p, { toy_latency: 9 })).toBe(false);
  });

  it('compareResults - feasible beats infeasible, smaller violation beats larger, unevaluated ranks last', () => {
    const p = createProblem({ constraints: ['toy_latency<=10'] }, SYNTHETIC_METRICS);
    const feasibleLow = { accuracy: 80, toy_latency: 5 };
    const feasibleHigh = { accuracy: 90, toy_latency: 9 };
    const slightlyOver = { accuracy: 95, toy_latency: 11 };
    const farOver = { accuracy: 99, toy_latency: 30 };
    const screened = { toy_latency: 3 };
    const sorted = [screened, farOver, feasibleLow, slightlyOver, feasibleHigh].sort((a, b) => compareResults(p, b, a));
    expect(sorted).toEqual([feasibleHigh, feasibleLow, slightlyOver, farOver, screened]);
  });

  it('constrainedDominates - Pareto dominance among feasible, feasibility first', () => {
    const p = createProblem({ objectives: ['accuracy', 'toy_latency'], constraints: ['flops<=100'] }, SYNTHETIC_METRICS);
    const a = { accuracy: 90, toy_latency: 5, flops: 10 };
    const b = { accuracy: 85, toy_latency: 6, flops: 10 };
    const c = { accuracy: 95, toy_latency: 7, flops: 10 };
    const infeasible = { accuracy: 99, toy_latency: 1, flops: 200 };
    expect(constrainedDominates(p, a, b)).toBe(true);
    expect(constrainedDominates(p, a, c)).toBe(false);
    expect(constrainedDominates(p, c, a)).toBe(false);
    expect(constrainedDominates(p, b, infeasible)).toBe(true);
  });

  it('bestFeasible / paretoFront - report the best feasible item and the feasible non-dominated set', () => {
    const single = createProblem({ constraints: ['toy_latency<=10'] }, SYNTHETIC_METRICS);
    const items = [
      { arch: 'a', metrics: { accuracy: 91, toy_latency: 12 } },
      { arch: 'b', metrics: { accuracy: 88, toy_latency: 8 } },
      { arch: 'c', metrics: { accuracy: 89, toy_latency: 9 } },
      { arch: 'd', metrics: { accuracy: 70, toy_latency: 2 } },
    ];
    expect(bestFeasible(single, items)?.arch).toBe('c');
    const pareto = createProblem({ objectives: ['accuracy', 'toy_latency'], constraints: ['toy_latency<=10'] }, SYNTHETIC_METRICS);
    expect(paretoFront(pareto, items).map((i) => i.arch)).toEqual(['b', 'c', 'd']);
  });
});
