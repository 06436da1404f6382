import { InvalidArgumentError } from '@hwnas/bench-core';
import type { Arch, Metrics, SearchSpace } from '@hwnas/bench-core';
import { compareResults, isPareto, paretoFront, SearchLoop } from '@hwnas/search';
import type { EvaluatedArch, LoopResult, LoopTask, SearchProblem, SearchStrategy } from '@hwnas/search';
import type { CostScreen, ScreenedCost } from './cost-screen';
import { screenedCostMetrics } from './cost-screen';

/** Where a screened search gets its numbers. */
export interface ScreenedSearchSources {
  /** The device metric the problem constrains or optimises (e.g. `raspi4_latency`). */
  readonly metric: string;
  /** Measures `arch` on the device (its backend or agent): the metric's value. */
  readonly measure: (arch: Arch) => Promise<number>;
  /** Row of `arch` in the screen's references. */
  readonly rowOf: (arch: Arch) => number;
  /** Every other metric of a full evaluation (accuracy, ...); must not hold `metric`. */
  readonly evaluate: (arch: Arch) => Metrics;
  /** The predictor; absent: every cost is measured on the device (the reference run). */
  readonly screen?: CostScreen;
}

/** What {@link runScreenedSearch} returns. */
export interface ScreenedSearchResult {
  readonly best?: EvaluatedArch;
  readonly pareto?: readonly EvaluatedArch[];
  /** Distinct architectures evaluated fully, in tell order (metrics carry `<metric>_measured`). */
  readonly evaluated: readonly EvaluatedArch[];
  /** Every trial told to the strategy (cost queries too), in tell order. */
  readonly trials: readonly EvaluatedArch[];
  /** Cost queries the search made (each answered by the device or by the model). */
  readonly costQueries: number;
  /** Distinct architectures measured on the device during the search (calibration not included). */
  readonly deviceMeasurements: number;
  /** Why the search stopped. */
  readonly stop: string;
}

/**
 * Drives a {@link SearchLoop} (one task at a time, in ask order, so the run depends on the seed
 * alone) whose device cost comes from `sources.measure` or, when a screen is given, from its
 * prediction. The device measures an architecture only when it matters:
 * - a cost query whose prediction is within z std of a constraint's bound (the screen's rule);
 * - a full evaluation whose cost is still predicted and that could change the result with its
 *   optimistic cost (mean - z std): become the best feasible architecture (one objective) or enter
 *   the Pareto front (several).
 * Every measurement refines the screen's model. Each reported cost says whether it was measured.
 */
export async function runScreenedSearch(strategy: SearchStrategy, space: SearchSpace, problem: SearchProblem, sources: ScreenedSearchSources, options: { readonly budget: number }): Promise<ScreenedSearchResult> {
  if (!Number.isInteger(options.budget) || options.budget < 1) throw new InvalidArgumentError(`screened search: budget must be a positive integer, got ${options.budget}`);
  const loop = new SearchLoop('screened', { strategy: strategy.constructor.name, budget: options.budget, maxInFlight: 1, ordering: 'ordered' }, { space, problem, strategy });
  const { metric, screen } = sources;
  /** Device measurements of this search, by row (each architecture is measured once). */
  const measured = new Map<number, number>();
  const measureRow = async (arch: Arch, row: number): Promise<ScreenedCost> => {
    let value = measured.get(row);
    if (value === undefined) {
      value = await sources.measure(arch);
      measured.set(row, value);
    }
    return screen ? screen.record(row, value) : { value, measured: true, mean: value, std: 0 };
  };
  const costOf = async (arch: Arch, mustKnow: boolean): Promise<ScreenedCost> => {
    const row = sources.rowOf(arch);
    if (!screen || mustKnow || screen.mustMeasure(row)) return measureRow(arch, row);
    return screen.cost(row);
  };
  const couldChangeResult = (metrics: Metrics, optimisticCost: number): boolean => {
    const optimistic = { ...metrics, [metric]: optimisticCost };
    if (isPareto(problem)) {
      const front = (loop.pareto() ?? []).map((e) => ({ arch: e.arch, metrics: e.metrics ?? {} }));
      return paretoFront(problem, [...front, { arch: [], metrics: optimistic }]).some((e) => e.metrics === optimistic);
    }
    return compareResults(problem, optimistic, loop.best()?.metrics) > 0;
  };
  const answer = async (task: LoopTask): Promise<LoopResult> => {
    const arch = loop.archOf(task.trialId);
    if (task.need === 'costs') {
      const cost = await costOf(arch, false);
      const cheap: Record<string, number> = {};
      const others = task.metrics.some((m) => m !== metric) ? sources.evaluate(arch) : {};
      for (const m of task.metrics) if (m !== metric && others[m] !== undefined) cheap[m] = others[m];
      return { taskId: task.taskId, status: 'ok', metrics: { ...cheap, ...screenedCostMetrics(metric, cost) } };
    }
    const rest = sources.evaluate(arch);
    if (rest[metric] !== undefined) throw new InvalidArgumentError(`screened search: the evaluation source must not report the device metric "${metric}"`);
    let cost = await costOf(arch, false);
    if (!cost.measured && screen && couldChangeResult(rest, screen.optimistic(sources.rowOf(arch)))) cost = await costOf(arch, true);
    return { taskId: task.taskId, status: 'ok', metrics: { ...rest, ...screenedCostMetrics(metric, cost) } };
  };

  const queue: LoopTask[] = [...loop.start().dispatch];
  while (queue.length > 0) {
    const task = queue.shift()!;
    for (const next of loop.accept(await answer(task)).dispatch) queue.push(next);
  }
  const evaluated = loop.history().filter((e) => !e.cached);
  const base = { evaluated, trials: loop.trials(), costQueries: loop.counts.costQueries, deviceMeasurements: measured.size, stop: loop.finishReason };
  if (isPareto(problem)) return { ...base, pareto: loop.pareto() ?? [] };
  const best = loop.best();
  return best ? { ...base, best } : base;
}

