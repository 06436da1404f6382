import { InvalidArgumentError, isNasError, Rng } from '@hwnas/bench-core';
import type { Arch, Benchmark, Metrics, SearchSpace } from '@hwnas/bench-core';
import { isPareto } from './problem';
import type { SearchProblem } from './problem';
import { SearchLoop } from './search-loop';
import type { EvaluatedArch, LoopResult, LoopTask } from './search-loop';
import type { SearchStrategy } from './strategy';

/**
 * Where the in-process driver gets metrics from, synchronously (a table, a simulator, a
 * synthetic function in tests). `evaluate` may throw: the trial is then told as failed.
 */
export interface MetricSource {
  /** A full evaluation: every metric. */
  evaluate(arch: Arch): Metrics;
  /** A cost query: the cheap metrics only (`metrics` lists which ones). */
  costs(arch: Arch, metrics: readonly string[]): Metrics;
}

/**
 * A {@link MetricSource} over the benchmark tables (`Benchmark.metricsOf`): the full record for an
 * evaluation, the requested cost columns for a cost query.
 */
export function tabularSource(bench: Benchmark, space: SearchSpace, dataset: string): MetricSource {
  return {
    evaluate: (arch) => bench.metricsOf(space, dataset, arch),
    costs: (arch, metrics) => {
      const all = bench.metricsOf(space, dataset, arch);
      const out: Record<string, number> = {};
      for (const m of metrics) if (all[m] !== undefined) out[m] = all[m];
      return out;
    },
  };
}

/**
 * A fast {@link MetricSource} over dense NB201-style columns (value by benchmark index), for the
 * benchmark harness: `indexOf` maps an architecture to its row.
 */
export function columnSource(columns: Readonly<Record<string, ArrayLike<number>>>, indexOf: (arch: Arch) => number): MetricSource {
  const names = Object.keys(columns);
  return {
    evaluate: (arch) => {
      const i = indexOf(arch);
      const out: Record<string, number> = {};
      for (const m of names) out[m] = columns[m][i];
      return out;
    },
    costs: (arch, metrics) => {
      const i = indexOf(arch);
      const out: Record<string, number> = {};
      for (const m of metrics) if (columns[m] !== undefined) out[m] = columns[m][i];
      return out;
    },
  };
}

/** Options of {@link runInProcess}. */
export interface RunOptions {
  /** Number of distinct architectures to evaluate fully (the budget N). */
  readonly budget: number;
  /**
   * Trials in flight at once (default 1). With more than one, the driver completes a randomly
   * chosen in-flight trial each step (seeded by `seed`), so tells arrive out of order, reproducibly.
   */
  readonly parallelism?: number;
  /** Seed of the completion order when `parallelism` > 1 (default 0). */
  readonly seed?: number;
  /** Stop after this many cost queries even if the budget is not spent (default 1000 x budget). */
  readonly maxCostQueries?: number;
}

/** One trial told to the strategy (see {@link EvaluatedArch}). */
export type TrialLogEntry = EvaluatedArch;

/** An evaluated architecture in a run's result. */
export interface RunArch {
  readonly arch: Arch;
  readonly key: string;
  readonly metrics: Metrics;
}

/** What {@link runInProcess} returns. Treat as frozen. */
export interface RunResult {
  /** Best feasible evaluated architecture (single-objective problems); undefined if none. */
  readonly best?: RunArch;
  /** Feasible non-dominated evaluated architectures (Pareto problems), in evaluation order. */
  readonly pareto?: readonly RunArch[];
  /** The strategy's own pick, where it has one (`SearchStrategy.recommend`). */
  readonly recommended?: Arch;
  /** Distinct architectures evaluated fully (failed ones included). */
  readonly evaluations: number;
  /** Cost-first queries answered by the source (repeats are answered from the loop's cache). */
  readonly costQueries: number;
  /** Why the run stopped. */
  readonly stop: 'budget' | 'exhausted' | 'cost-queries';
  /** Distinct full evaluations in the order they were told (failed ones included). */
  readonly evaluated: readonly TrialLogEntry[];
  /** Every trial told to the strategy (cost queries and cache answers too), in tell order. */
  readonly history: readonly TrialLogEntry[];
}

/**
 * Drives a {@link SearchLoop} (the one ask/tell loop) in-process against a synchronous source
 * until the loop is finished: `budget` distinct architectures evaluated, the strategy has nothing
 * more to propose, or the cost-query cap is reached (the loop's budget rule). Deterministic given
 * the strategy's seed, `options.seed` and the source.
 */
export function runInProcess(strategy: SearchStrategy, space: SearchSpace, problem: SearchProblem, source: MetricSource, options: RunOptions): RunResult {
  const budget = options.budget;
  if (!Number.isInteger(budget) || budget < 0) throw new InvalidArgumentError(`budget must be a non-negative integer, got ${budget}`);
  const parallelism = options.parallelism ?? 1;
  if (!Number.isInteger(parallelism) || parallelism < 1) throw new InvalidArgumentError(`parallelism must be a positive integer, got ${parallelism}`);
  const loop = new SearchLoop(
    'run',
    {
      strategy: strategy.constructor.name,
      budget,
      maxInFlight: parallelism,
      ordering: 'async',
      ...(options.maxCostQueries !== undefined ? { maxCostQueries: options.maxCostQueries } : {}),
    },
    { space, problem, strategy },
  );
  const order = new Rng(options.seed ?? 0);
  const inFlight: LoopTask[] = [...loop.start().dispatch];
  while (inFlight.length > 0) {
    const task = inFlight.splice(parallelism === 1 ? 0 : order.int(inFlight.length), 1)[0];
    const arch = loop.archOf(task.trialId);
    for (const next of loop.accept(attempt(task, () => (task.need === 'costs' ? source.costs(arch, task.metrics) : source.evaluate(arch)))).dispatch) inFlight.push(next);
  }

  const reason = loop.finishReason;
  const evaluated = loop.history().filter((e) => !e.cached);
  const recommended = loop.recommended();
  const result: RunResult = {
    evaluations: evaluated.length,
    costQueries: loop.counts.costQueries,
    stop: reason === 'budget' || reason === 'cost-queries' ? reason : 'exhausted',
    evaluated,
    history: loop.trials(),
    ...(recommended ? { recommended } : {}),
  };
  const pick = (e: EvaluatedArch): RunArch => ({ arch: e.arch, key: e.key, metrics: e.metrics! });
  if (isPareto(problem)) return { ...result, pareto: (loop.pareto() ?? []).map(pick) };
  const best = loop.best();
  return best ? { ...result, best: pick(best) } : result;
}

function attempt(task: LoopTask, fn: () => Metrics): LoopResult {
  try {
    return { taskId: task.taskId, status: 'ok', metrics: fn() };
  } catch (e) {
    // A NasError is an evaluation failure the strategy must cope with; anything else is a bug.
    if (!isNasError(e)) throw e;
    return { taskId: task.taskId, status: 'failed', error: { code: e.code, message: e.message } };
  }
}
