import { InvalidArgumentError } from '@hwnas/bench-core';
import type { StrategyName } from '../registry';
import { runBenchSearch } from './bench-search';
import type { BenchMode, BenchRow, BenchSearchOptions, BenchSearchReport, BenchTable, BenchTables, BenchTask } from './bench-search';

/** The grid a benchmark report was run on: what a re-run must repeat for its rows to be comparable. */
export interface BenchSettings {
  readonly devices: readonly string[];
  readonly tasks: readonly BenchTask[];
  readonly modes: readonly BenchMode[];
  readonly budgetsC: readonly number[];
  readonly budgetsP: readonly number[];
  readonly seeds: number;
}

/**
 * The settings of a report (`what` names it in errors). Throws {@link InvalidArgumentError} when its
 * tables are not one run's grid (every device x task x mode once, one budget list per task).
 */
export function benchSettingsOf(report: BenchSearchReport, what: string): BenchSettings {
  const devices = unique(report.tables.map((t) => t.device));
  const tasks = unique(report.tables.map((t) => t.task));
  const modes = unique(report.tables.map((t) => t.mode));
  if (report.tables.length === 0) throw new InvalidArgumentError(`${what} holds no tables`);
  const budgets = (task: BenchTask): number[] => {
    const lists = unique(report.tables.filter((t) => t.task === task).map((t) => t.budgets.join(',')));
    if (lists.length > 1) throw new InvalidArgumentError(`${what}: task ${task} tables have different budgets (${lists.join(' vs ')})`);
    return lists.length ? lists[0].split(',').map(Number) : [];
  };
  const settings = { devices, tasks, modes, budgetsC: budgets('C'), budgetsP: budgets('P'), seeds: report.seeds };
  for (const device of devices) {
    for (const task of tasks) {
      for (const mode of modes) {
        const n = report.tables.filter((t) => t.device === device && t.task === task && t.mode === mode).length;
        if (n !== 1) throw new InvalidArgumentError(`${what}: expected one table of task ${task}, ${device}, ${mode} mode, found ${n}`);
      }
    }
  }
  return settings;
}

/** What {@link rerunStrategies} needs besides the tables. */
export interface RerunOptions {
  /** Strategies whose rows are re-run and replaced (or added). */
  readonly strategies: readonly StrategyName[];
  /**
   * Settings the caller asked for explicitly; each must equal the earlier report's, so that a
   * re-run cannot silently mix grids. Unset fields take the report's.
   */
  readonly requested?: Partial<BenchSettings>;
  readonly cpuClockMs?: BenchSearchOptions['cpuClockMs'];
  readonly onProgress?: BenchSearchOptions['onProgress'];
}

/**
 * Re-runs only `strategies` on the grid of an earlier report (same devices, tasks, modes, budgets,
 * seeds and strategy options) and returns the report with their rows replaced in place; a strategy
 * the report lacks gets its row after the last strategy row (before any peer rows). Every other row,
 * peers included, is kept as it was. The fresh run's `cpuMs` is the re-run's alone.
 *
 * Throws {@link InvalidArgumentError} when a requested setting differs from the report's, or when the
 * tables give a task another threshold, optimum or front than the report has (other data).
 */
export function rerunStrategies(tables: BenchTables, earlier: BenchSearchReport, what: string, options: RerunOptions): { readonly report: BenchSearchReport; readonly fresh: BenchSearchReport } {
  if (options.strategies.length === 0) throw new InvalidArgumentError(`${what}: name at least one strategy to re-run`);
  const settings = benchSettingsOf(earlier, what);
  const differences = Object.entries(options.requested ?? {})
    .filter(([key, value]) => value !== undefined && !sameSetting(value, settings[key as keyof BenchSettings]))
    .map(([key, value]) => `${key} ${show(value)} (the report has ${show(settings[key as keyof BenchSettings])})`);
  if (differences.length) throw new InvalidArgumentError(`${what} was run with other settings: ${differences.join('; ')}`);
  const fresh = runBenchSearch(tables, {
    devices: settings.devices,
    tasks: settings.tasks,
    modes: settings.modes,
    ...(settings.budgetsC.length ? { budgetsC: settings.budgetsC } : {}),
    ...(settings.budgetsP.length ? { budgetsP: settings.budgetsP } : {}),
    seeds: settings.seeds,
    strategies: options.strategies,
    strategyOptions: earlier.strategyOptions,
    ...(options.cpuClockMs ? { cpuClockMs: options.cpuClockMs } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const named = new Set<string>(options.strategies);
  const own = new Set<string>([...earlier.strategies, 'random+screen']);
  const out: BenchTable[] = earlier.tables.map((old) => {
    const mine = fresh.tables.find((t) => t.task === old.task && t.device === old.device && t.mode === old.mode)!;
    if (JSON.stringify(mine.info) !== JSON.stringify(old.info)) {
      throw new InvalidArgumentError(`${what}: task ${old.task} on ${old.device} differs on these tables (${JSON.stringify(mine.info)} vs ${JSON.stringify(old.info)}); was it run on other data?`);
    }
    const replacement = new Map(mine.rows.filter((r) => named.has(r.strategy)).map((r) => [r.strategy, r]));
    const rows: BenchRow[] = old.rows.map((r) => replacement.get(r.strategy) ?? r);
    const added = [...replacement.values()].filter((r) => !old.rows.some((o) => o.strategy === r.strategy));
    let at = 0;
    rows.forEach((r, k) => {
      if (own.has(r.strategy)) at = k + 1;
    });
    rows.splice(at, 0, ...added);
    return { ...old, rows };
  });
  const strategies = [...earlier.strategies, ...options.strategies.filter((s) => !earlier.strategies.includes(s))];
  return { report: { ...earlier, strategies, tables: out }, fresh };
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

function sameSetting(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    // Order does not matter for devices, tasks and modes, and budgets are sorted by the run.
    const key = (v: readonly unknown[]) => [...v].map(String).sort().join(',');
    return key(a) === key(b);
  }
  return a === b;
}

function show(v: unknown): string {
  return Array.isArray(v) ? v.join(',') : String(v);
}
