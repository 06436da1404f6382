import { ACCURACY_METRICS, costMetricInfo, InvalidArgumentError } from '@hwnas/bench-core';
import type { Arch, SearchSpace } from '@hwnas/bench-core';
import type { RawOptionValue } from '../options';
import { createProblem } from '../problem';
import type { SearchProblem } from '../problem';
import { createStrategy, STRATEGY_NAMES } from '../registry';
import type { StrategyName } from '../registry';
import { columnSource, runInProcess } from '../run-in-process';
import { hvOf, regretOf, taskC, taskP } from './tasks';
import type { TaskCInfo, TaskPInfo } from './tasks';

/** The two evaluation modes of TASKS.md. */
export type BenchMode = 'joint' | 'cost-first';

/** Task C (constrained) or task P (Pareto). */
export type BenchTask = 'C' | 'P';

/** The tables the harness runs on: dense columns indexed by benchmark index. */
export interface BenchTables {
  readonly space: SearchSpace;
  /** Test accuracy (%), by benchmark index. */
  readonly accuracy: ArrayLike<number>;
  /** Device cost columns by metric name (e.g. `raspi4_latency`, ms), by benchmark index. */
  readonly costs: Readonly<Record<string, ArrayLike<number>>>;
  /** Benchmark index of an architecture. */
  readonly indexOf: (arch: Arch) => number;
}

/** Options of {@link runBenchSearch}; defaults follow TASKS.md. */
export interface BenchSearchOptions {
  /** Cost columns to run on (each a key of `BenchTables.costs`). Default: every column. */
  readonly devices?: readonly string[];
  /** Task C budgets (default 50, 100, 200, 500). */
  readonly budgetsC?: readonly number[];
  /** Task P budgets (default 100, 300, 1000). */
  readonly budgetsP?: readonly number[];
  /** Number of seeds, run as 0..seeds-1 (default 30). */
  readonly seeds?: number;
  /** Strategies (default all, registry order; `random` is always included as the baseline). */
  readonly strategies?: readonly StrategyName[];
  /** Modes (default both). */
  readonly modes?: readonly BenchMode[];
  /** Tasks (default both). */
  readonly tasks?: readonly BenchTask[];
  /** Per-strategy option overrides (the same for every seed and device). */
  readonly strategyOptions?: Partial<Record<StrategyName, Readonly<Record<string, RawOptionValue>>>>;
  /** CPU-time clock in ms (e.g. from `process.cpuUsage`), to report strategy overhead; optional. */
  readonly cpuClockMs?: () => number;
  /** Called with one line per finished table. */
  readonly onProgress?: (line: string) => void;
}

/** Mean and sample standard deviation (n - 1) over seeds. */
export interface Stats {
  readonly mean: number;
  readonly std: number;
}

/**
 * Label of a row: a strategy name, or `random+screen` (random search restricted to the
 * architectures that meet the constraints, through cost-first screening; a reference row of the
 * cost-first task C tables).
 */
export type BenchRowLabel = StrategyName | 'random+screen' | PeerLabel;

/** Label of a row of another system's runs (search-quality: peers.ts), e.g. `optuna-tpe`. */
export type PeerLabel = string;

/** One strategy's row of a table. */
export interface BenchRow {
  readonly strategy: BenchRowLabel;
  /** Per budget: regret (task C) or HV gap (task P). */
  readonly value: readonly Stats[];
  /** Per budget: the worst seed's value (search-quality: the mean alone hides bad seeds). */
  readonly worst?: readonly number[];
  /** Task P: HV ratio per budget. */
  readonly hvRatio?: readonly Stats[];
  /** Task C: runs whose first N evaluations held nothing feasible, per budget. */
  readonly noneFeasible?: readonly number[];
  /** Mean cost-first queries per run (at the largest budget). */
  readonly costQueries: number;
  /** Runs that stopped before the largest budget (the strategy had nothing more to propose). */
  readonly exhaustedRuns: number;
  /** Mean CPU ms per run (strategy + table lookups), when a clock was given. */
  readonly cpuMsPerRun?: number;
}

/** One table: a task, a device and a mode. */
export interface BenchTable {
  readonly task: BenchTask;
  readonly device: string;
  readonly mode: BenchMode;
  readonly budgets: readonly number[];
  readonly info: TaskCInfo | TaskPInfo;
  readonly rows: readonly BenchRow[];
}

/** What {@link runBenchSearch} returns (written as JSON and rendered as markdown). */
export interface BenchSearchReport {
  readonly seeds: number;
  readonly strategies: readonly StrategyName[];
  readonly strategyOptions: Partial<Record<StrategyName, Readonly<Record<string, RawOptionValue>>>>;
  readonly tables: readonly BenchTable[];
  /** Total CPU ms of all runs, when a clock was given. */
  readonly cpuMs?: number;
}

/**
 * Runs the search benchmark of TASKS.md in-process on the tables: every strategy, every seed,
 * both tasks and modes, each device. Each run goes once to the largest budget; the values at the
 * smaller budgets are those of its first N distinct evaluations (strategies do not know the
 * budget, so this equals separate runs). Pure apart from the optional clock; deterministic.
 *
 * The `random` row is plain random search in both modes (it never queries costs): the baseline.
 * In cost-first mode every other strategy is wrapped in cost-first screening (see the registry),
 * and task C tables get a reference row `random+screen`, random search over the architectures
 * that meet the constraint, to show how much of a gain is screening alone.
 */
export function runBenchSearch(tables: BenchTables, options: BenchSearchOptions = {}): BenchSearchReport {
  const devices = options.devices ?? Object.keys(tables.costs);
  for (const d of devices) {
    if (!tables.costs[d]) throw new InvalidArgumentError(`no cost column "${d}"; available: ${Object.keys(tables.costs).join(', ')}`);
  }
  const budgetsC = checkBudgets(options.budgetsC ?? [50, 100, 200, 500], 'task C');
  const budgetsP = checkBudgets(options.budgetsP ?? [100, 300, 1000], 'task P');
  const seeds = options.seeds ?? 30;
  if (!Number.isInteger(seeds) || seeds < 1) throw new InvalidArgumentError(`seeds must be a positive integer, got ${seeds}`);
  const requested = options.strategies ?? STRATEGY_NAMES;
  const strategies: StrategyName[] = ['random', ...requested.filter((s) => s !== 'random')];
  const modes = options.modes ?? ['joint', 'cost-first'];
  const tasks = options.tasks ?? ['C', 'P'];
  const clock = options.cpuClockMs;
  const startAll = clock?.();
  const out: BenchTable[] = [];

  for (const device of devices) {
    const cost = tables.costs[device];
    const source = columnSource({ accuracy: tables.accuracy, [device]: cost }, tables.indexOf);
    const infos = [ACCURACY_METRICS.find((m) => m.name === 'accuracy')!, costMetricInfo(device)];
    for (const task of tasks) {
      const budgets = task === 'C' ? budgetsC : budgetsP;
      const info: TaskCInfo | TaskPInfo = task === 'C' ? taskC(tables.accuracy, cost) : taskP(tables.accuracy, cost);
      for (const mode of modes) {
        const problem: SearchProblem =
          task === 'C'
            ? createProblem({ objectives: ['accuracy:max'], constraints: [{ metric: device, bound: (info as TaskCInfo).threshold }], costFirst: mode === 'cost-first' }, infos)
            : createProblem({ objectives: ['accuracy:max', `${device}:min`], costFirst: mode === 'cost-first' }, infos);
        const rows: BenchRow[] = [];
        const labels: (StrategyName | 'random+screen')[] = [...strategies];
        if (mode === 'cost-first' && task === 'C') labels.splice(1, 0, 'random+screen');
        for (const label of labels) {
          const strategy: StrategyName = label === 'random+screen' ? 'random' : label;
          const screen = label !== 'random';
          const perBudget: number[][] = budgets.map(() => []);
          const ratios: number[][] = budgets.map(() => []);
          const none = budgets.map(() => 0);
          let costQueries = 0;
          let exhaustedRuns = 0;
          const t0 = clock?.();
          for (let seed = 0; seed < seeds; seed++) {
            const s = createStrategy(strategy, { space: tables.space, problem, seed }, options.strategyOptions?.[strategy] ?? {}, { screen });
            const run = runInProcess(s, tables.space, problem, source, { budget: budgets[budgets.length - 1] });
            costQueries += run.costQueries;
            if (run.stop !== 'budget') exhaustedRuns++;
            const indices = run.evaluated.map((e) => tables.indexOf(e.arch));
            budgets.forEach((n, k) => {
              const first = indices.slice(0, n);
              if (task === 'C') {
                const r = regretOf(info as TaskCInfo, tables.accuracy, cost, first);
                perBudget[k].push(r.regret);
                if (r.noneFeasible) none[k]++;
              } else {
                const h = hvOf(info as TaskPInfo, tables.accuracy, cost, first);
                perBudget[k].push(h.gap);
                ratios[k].push(h.ratio);
              }
            });
          }
          const cpu = t0 !== undefined && clock ? (clock() - t0) / seeds : undefined;
          rows.push({
            strategy: label,
            value: perBudget.map(stats),
            worst: perBudget.map((v) => Math.max(...v)),
            ...(task === 'P' ? { hvRatio: ratios.map(stats) } : { noneFeasible: none }),
            costQueries: costQueries / seeds,
            exhaustedRuns,
            ...(cpu !== undefined ? { cpuMsPerRun: cpu } : {}),
          });
        }
        out.push({ task, device, mode, budgets, info, rows });
        options.onProgress?.(`task ${task} ${device} ${mode}: ${labels.length} rows x ${seeds} seeds done`);
      }
    }
  }
  return {
    seeds,
    strategies,
    strategyOptions: options.strategyOptions ?? {},
    tables: out,
    ...(startAll !== undefined && clock ? { cpuMs: clock() - startAll } : {}),
  };
}

function checkBudgets(budgets: readonly number[], what: string): number[] {
  if (budgets.length === 0 || budgets.some((b) => !Number.isInteger(b) || b < 1)) {
    throw new InvalidArgumentError(`${what} budgets must be positive integers, got ${budgets.join(',')}`);
  }
  return [...budgets].sort((a, b) => a - b);
}

/** Mean and sample standard deviation. */
export function stats(values: readonly number[]): Stats {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, std: Math.sqrt(variance) };
}
