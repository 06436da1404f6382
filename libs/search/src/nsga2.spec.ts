import { nb201Space } from '@hwnas/bench-core';
import { SYNTHETIC_METRICS, syntheticMetrics, syntheticSource } from '@hwnas/search/testing';
import { NSGA2_DEFAULTS, Nsga2 } from './nsga2';
import { nonDominatedSort } from './pareto';
import { createProblem, objectiveVector } from './problem';
import { runInProcess } from './run-in-process';
import type { Candidate } from './strategy';

const pareto = createProblem({ objectives: ['accuracy', 'toy_latency'] }, SYNTHETIC_METRICS);
const tell = (s: Nsga2, cs: readonly Candidate[]) => cs.forEach((c) => s.tell({ trialId: c.trialId, arch: c.arch, status: 'ok', metrics: syntheticMetrics(c.arch) }));

describe('Nsga2', () => {
  it('nsga2 - generations are barriers of populationSize evaluations', () => {
    const s = new Nsga2({ space: nb201Space, problem: pareto, seed: 1 }, NSGA2_DEFAULTS);
    const first = s.ask(100);
    expect(first).toHaveLength(NSGA2_DEFAULTS.populationSize);
    expect(s.ask(1)).toEqual([]);
    tell(s, first.slice(0, 9));
    expect(s.ask(1)).toEqual([]);
    tell(s, first.slice(9));
    expect(s.ask(100)).toHaveLength(NSGA2_DEFAULTS.populationSize);
  });

  it('nsga2 - survivors are the best fronts of parents + offspring (elitist non-dominated sorting)', () => {
    const s = new Nsga2({ space: nb201Space, problem: pareto, seed: 2 }, NSGA2_DEFAULTS);
    const seen: { arch: readonly number[]; v: number[] }[] = [];
    for (let g = 0; g < 6; g++) {
      const batch = s.ask(100);
      tell(s, batch);
      for (const c of batch) seen.push({ arch: c.arch, v: objectiveVector(pareto, syntheticMetrics(c.arch)) });
    }
    s.ask(100); // closes generation 5: selection among everything evaluated so far that survived
    const fronts = nonDominatedSort(seen.map((x) => x.v));
    // The overall first front (if it fits) is always kept: elitism.
    const population = (s.snapshot().data as { population: number[] }).population;
    const book = (s.snapshot().data as { book: { trials: { arch: number[] }[] } }).book.trials;
    const keys = new Set(population.map((id) => book[id].arch.join()));
    if (fronts[0].length <= NSGA2_DEFAULTS.populationSize) for (const i of fronts[0]) expect(keys.has(seen[i].arch.join())).toBe(true);
    expect(population).toHaveLength(NSGA2_DEFAULTS.populationSize);
  });

  it('nsga2 - improves the front over random initial populations on a learnable problem', () => {
    const run = runInProcess(new Nsga2({ space: nb201Space, problem: pareto, seed: 3 }, NSGA2_DEFAULTS), nb201Space, pareto, syntheticSource(nb201Space), { budget: 200 });
    const bestAcc = (k: number) => Math.max(...run.evaluated.slice(0, k).map((e) => e.metrics!.accuracy));
    expect(bestAcc(200)).toBeGreaterThan(bestAcc(10));
  });

  it('nsga2 - cost-first pre-selection breeds screenFactor x P candidates, queries their costs and evaluates P', () => {
    const cf = createProblem({ objectives: ['accuracy', 'toy_latency'], costFirst: true }, SYNTHETIC_METRICS);
    const s = new Nsga2({ space: nb201Space, problem: cf, seed: 4 }, NSGA2_DEFAULTS);
    tell(s, s.ask(100)); // initial population: full evaluations
    const screen = s.ask(1000);
    expect(screen).toHaveLength(NSGA2_DEFAULTS.populationSize * NSGA2_DEFAULTS.screenFactor);
    expect(screen.every((c) => c.need === 'costs')).toBe(true);
    for (const c of screen) s.tell({ trialId: c.trialId, arch: c.arch, status: 'ok', metrics: { toy_latency: syntheticMetrics(c.arch).toy_latency } });
    const evaluate = s.ask(1000);
    expect(evaluate).toHaveLength(NSGA2_DEFAULTS.populationSize);
    expect(evaluate.every((c) => c.need === 'full')).toBe(true);
    const screenedKeys = new Set(screen.map((c) => c.arch.join()));
    expect(evaluate.every((c) => screenedKeys.has(c.arch.join()))).toBe(true);
  });
});
