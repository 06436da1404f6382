import { archKey, InvalidArgumentError, isNasError, Rng } from '@hwnas/bench-core';
import type { Arch, Benchmark, Metrics, SearchSpace } from '@hwnas/bench-core';
import { bestFeasible, isPareto, paretoFront } from './problem';
import type { SearchProblem } from './problem';
import type { Candidate, SearchStrategy, TrialNeed } from './strategy';

/**
 * Where the in-process runner gets metrics from, synchronously (a table, a simulator, a
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

/** Options of {@link runSearch}. */
export interface RunOptions {
  /** Number of distinct architectures to evaluate fully (the budget N). */
  readonly budget: number;
  /**
   * Trials in flight at once (default 1). With more than one, the runner completes a randomly
   * chosen in-flight trial each step (seeded by `seed`), so tells arrive out of order, reproducibly.
   */
  readonly parallelism?: number;
  /** Seed of the completion order when `parallelism` > 1 (default 0). */
  readonly seed?: number;
  /** Stop after this many cost queries even if the budget is not spent (default 1000 x budget). */
  readonly maxCostQueries?: number;
}

/** One completed trial, in completion order. */
export interface TrialLogEntry {
  readonly trialId: number;
  readonly need: TrialNeed;
  readonly arch: Arch;
  readonly key: string;
  readonly status: 'ok' | 'failed';
  readonly metrics?: Metrics;
  readonly error?: string;
}

/** An evaluated architecture in a run's result. */
export interface RunArch {
  readonly arch: Arch;
  readonly key: string;
  readonly metrics: Metrics;
}

/** What {@link runSearch} returns. Treat as frozen. */
export interface RunResult {
  /** Best feasible evaluated architecture (single-objective problems); undefined if none. */
  readonly best?: RunArch;
  /** Feasible non-dominated evaluated architectures (Pareto problems), in evaluation order. */
  readonly pareto?: readonly RunArch[];
  /** The strategy's own pick, where it has one (`SearchStrategy.recommend`). */
  readonly recommended?: Arch;
  /** Distinct architectures evaluated fully (failed ones included). */
  readonly evaluations: number;
  /** Cost-first queries answered. */
  readonly costQueries: number;
  /** Why the run stopped. */
  readonly stop: 'budget' | 'exhausted' | 'cost-queries';
  /** Full evaluations in completion order (failed ones included). */
  readonly evaluated: readonly TrialLogEntry[];
  /** Every completed trial (cost queries too), in completion order. */
  readonly history: readonly TrialLogEntry[];
}

/**
 * Runs an ask/tell loop in-process until `budget` distinct architectures were evaluated, the
 * strategy has nothing more to propose, or the cost-query cap is reached. Full evaluations are
 * counted once per distinct architecture (an architecture asked again is answered from the cache
 * and counts nothing); cost queries are counted separately. Deterministic given the strategy's
 * seed, `options.seed` and the source.
 */
export function runSearch(strategy: SearchStrategy, space: SearchSpace, problem: SearchProblem, source: MetricSource, options: RunOptions): RunResult {
  const budget = options.budget;
  if (!Number.isInteger(budget) || budget < 0) throw new InvalidArgumentError(`budget must be a non-negative integer, got ${budget}`);
  const parallelism = options.parallelism ?? 1;
  if (!Number.isInteger(parallelism) || parallelism < 1) throw new InvalidArgumentError(`parallelism must be a positive integer, got ${parallelism}`);
  const maxCostQueries = options.maxCostQueries ?? 1000 * Math.max(budget, 1);
  const order = new Rng(options.seed ?? 0);
  const cache = new Map<string, TrialLogEntry>();
  const evaluated: TrialLogEntry[] = [];
  const history: TrialLogEntry[] = [];
  const inflight: Candidate[] = [];
  let costQueries = 0;
  let stop: RunResult['stop'] = 'budget';

  while (evaluated.length < budget) {
    if (costQueries >= maxCostQueries) {
      stop = 'cost-queries';
      break;
    }
    const want = parallelism - inflight.length;
    if (want > 0) {
      const asked = strategy.ask(want);
      if (asked.length > want) throw new InvalidArgumentError(`strategy proposed ${asked.length} candidates when asked for ${want}`);
      inflight.push(...asked);
    }
    if (inflight.length === 0) {
      stop = 'exhausted';
      break;
    }
    const c = inflight.splice(parallelism === 1 ? 0 : order.int(inflight.length), 1)[0];
    const key = c.key ?? archKey(space, c.arch);
    let entry: TrialLogEntry;
    if (c.need === 'costs') {
      costQueries++;
      entry = attempt(c.trialId, 'costs', c.arch, key, () => source.costs(c.arch, problem.cheapMetrics));
    } else {
      const cached = cache.get(key);
      if (cached) entry = { ...cached, trialId: c.trialId };
      else {
        entry = attempt(c.trialId, 'full', c.arch, key, () => source.evaluate(c.arch));
        cache.set(key, entry);
        evaluated.push(entry);
      }
    }
    history.push(entry);
    strategy.tell({
      trialId: c.trialId,
      arch: c.arch,
      status: entry.status,
      ...(entry.metrics ? { metrics: entry.metrics } : {}),
      ...(entry.error !== undefined ? { error: entry.error } : {}),
    });
  }

  const ok = evaluated.filter((e): e is TrialLogEntry & { metrics: Metrics } => e.status === 'ok' && e.metrics !== undefined);
  const pick = (e: TrialLogEntry & { metrics: Metrics }): RunArch => ({ arch: e.arch, key: e.key, metrics: e.metrics });
  const recommended = strategy.recommend?.();
  const result: RunResult = {
    evaluations: evaluated.length,
    costQueries,
    stop,
    evaluated,
    history,
    ...(recommended ? { recommended } : {}),
  };
  if (isPareto(problem)) return { ...result, pareto: paretoFront(problem, ok).map(pick) };
  const best = bestFeasible(problem, ok);
  return best ? { ...result, best: pick(best) } : result;
}

function attempt(trialId: number, need: TrialNeed, arch: Arch, key: string, fn: () => Metrics): TrialLogEntry {
  try {
    return { trialId, need, arch, key, status: 'ok', metrics: fn() };
  } catch (e) {
    // A NasError is an evaluation failure the strategy must cope with; anything else is a bug.
    if (!isNasError(e)) throw e;
    return { trialId, need, arch, key, status: 'failed', error: e.message };
  }
}
