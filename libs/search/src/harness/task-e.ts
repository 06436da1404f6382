import { ACCURACY_METRICS, costMetricInfo, InvalidArgumentError } from '@hwnas/bench-core';
import type { Arch, SearchSpace } from '@hwnas/bench-core';
import { createProblem } from '../problem';
import { createStrategy, STRATEGY_NAMES } from '../registry';
import type { StrategyName } from '../registry';
import { needsEpochBudget } from '../schedulers/fidelity-scheduler';
import type { SchedulerName } from '../schedulers/fidelity-scheduler';
import { createScheduler } from '../schedulers/registry';
import { runFidelitySearch } from '../schedulers/run-fidelity';
import { stats } from './bench-search';
import type { Stats } from './bench-search';
import { regretOf, taskC } from './tasks';
import type { TaskCInfo } from './tasks';

/** Epochs of the low and the full fidelity of task E (the two NAS-Bench-201 schedules). */
export const TASK_E_RUNGS = [12, 200] as const;

/** The tables task E runs on: dense columns indexed by benchmark index. */
export interface TaskETables {
  readonly space: SearchSpace;
  /** 200-epoch test accuracy (%), by benchmark index. */
  readonly accuracy: ArrayLike<number>;
  /** 12-epoch test accuracy (%), by benchmark index. */
  readonly accuracy12: ArrayLike<number>;
  /** Device cost columns by metric name, by benchmark index. */
  readonly costs: Readonly<Record<string, ArrayLike<number>>>;
  readonly indexOf: (arch: Arch) => number;
}

/** Options of {@link runTaskE}; defaults follow TASKS.md. */
export interface TaskEOptions {
  /** Cost columns (default every one). */
  readonly devices?: readonly string[];
  /** Epoch budgets (default 10 000, 20 000, 60 000). */
  readonly budgets?: readonly number[];
  /** Number of seeds (default 30). */
  readonly seeds?: number;
  /** First seed (default 0): seeds are firstSeed..firstSeed+seeds-1 (e.g. 100 for held-out seeds). */
  readonly firstSeed?: number;
  /** Strategies (default all; `random` is always run). */
  readonly strategies?: readonly StrategyName[];
  /** Schedulers (default none, sh, asha, hyperband; `none` is always run; `budget-sh` runs once per budget). */
  readonly schedulers?: readonly SchedulerName[];
  /** Reduction factor of the schedulers (default 3). */
  readonly eta?: number;
  /** Called with one line per finished row. */
  readonly onProgress?: (line: string) => void;
}

/** One row: a strategy under a scheduler. */
export interface TaskERow {
  readonly strategy: StrategyName;
  readonly scheduler: SchedulerName;
  /** Regret per budget. */
  readonly regret: readonly Stats[];
  /** Runs with no feasible full-fidelity result within the budget, per budget. */
  readonly noneFeasible: readonly number[];
  /** Epochs spent per run (at the largest budget). */
  readonly epochsSpent: Stats;
  /** Trials started and full trainings finished per run (at the largest budget). */
  readonly trials: Stats;
  readonly fullTrainings: Stats;
  /**
   * Runs (of the seeds) that evaluated the device's optimum at any fidelity, and runs that trained
   * it to full fidelity, at the largest budget: the first says whether the strategy found it, the
   * second whether the scheduler then promoted it.
   */
  readonly optimumSeen: number;
  readonly optimumTrained: number;
}

/**
 * How well the low fidelity ranks the answer: among the feasible architectures, the rank (1 = best)
 * of the 200-epoch optimum by 12-epoch accuracy, and the regret of the best 200-epoch accuracy among
 * the top k by 12-epoch accuracy, for a few k. A scheduler that promotes by 12-epoch accuracy cannot
 * beat the regret of the top k it can afford to promote.
 */
export interface LowFidelityRanking {
  readonly optimumRank: number;
  readonly regretOfTop: readonly { readonly k: number; readonly regret: number }[];
}

/** {@link LowFidelityRanking} of a device's column (ties by index). Pure. */
export function lowFidelityRanking(info: TaskCInfo, accuracy: ArrayLike<number>, accuracy12: ArrayLike<number>, cost: ArrayLike<number>, ks: readonly number[] = [10, 20, 50, 100]): LowFidelityRanking {
  const feasible: number[] = [];
  for (let i = 0; i < accuracy.length; i++) if (cost[i] <= info.threshold) feasible.push(i);
  const by12 = feasible.sort((a, b) => accuracy12[b] - accuracy12[a] || a - b);
  let best = -Infinity;
  const bestAt: number[] = [];
  for (const i of by12) bestAt.push((best = Math.max(best, accuracy[i])));
  return {
    optimumRank: by12.indexOf(info.optimumIndex) + 1,
    regretOfTop: ks.filter((k) => k <= by12.length).map((k) => ({ k, regret: info.optimum - bestAt[k - 1] })),
  };
}

/** One device's table. */
export interface TaskETable {
  readonly device: string;
  readonly budgets: readonly number[];
  readonly info: TaskCInfo;
  readonly ranking: LowFidelityRanking;
  readonly rows: readonly TaskERow[];
}

/** What {@link runTaskE} returns. */
export interface TaskEReport {
  readonly seeds: number;
  readonly firstSeed: number;
  readonly eta: number;
  readonly rungs: readonly number[];
  readonly tables: readonly TaskETable[];
}

/**
 * Task E of TASKS.md (task C's problem with an epoch budget and two fidelities): every strategy,
 * with each scheduler, over seeds, on each device. A 12-epoch evaluation returns the 12-epoch
 * accuracy and costs 12 epochs; a full one returns the 200-epoch accuracy and costs 200, or 188
 * when it continues a 12-epoch trial. Regret after B epochs = optimum - best feasible 200-epoch
 * accuracy among the full evaluations finished within B. Each run goes once to the largest
 * budget, one job at a time, so a smaller budget sees exactly that run's prefix; a scheduler that
 * plans with the budget (`budget-sh`) runs once per budget instead. Pure; deterministic.
 */
export function runTaskE(tables: TaskETables, options: TaskEOptions = {}): TaskEReport {
  const devices = options.devices ?? Object.keys(tables.costs);
  for (const d of devices) if (!tables.costs[d]) throw new InvalidArgumentError(`no cost column "${d}"; available: ${Object.keys(tables.costs).join(', ')}`);
  const budgets = [...(options.budgets ?? [10_000, 20_000, 60_000])].sort((a, b) => a - b);
  if (budgets.length === 0 || budgets.some((b) => !Number.isInteger(b) || b < 1)) throw new InvalidArgumentError(`task E budgets must be positive integers (epochs), got ${budgets.join(',')}`);
  const seeds = options.seeds ?? 30;
  const firstSeed = options.firstSeed ?? 0;
  if (!Number.isInteger(seeds) || seeds < 1) throw new InvalidArgumentError(`seeds must be a positive integer, got ${seeds}`);
  const eta = options.eta ?? 3;
  const strategies: StrategyName[] = ['random', ...(options.strategies ?? STRATEGY_NAMES).filter((s) => s !== 'random')];
  const schedulers: SchedulerName[] = ['none', ...(options.schedulers ?? ['sh', 'asha', 'hyperband']).filter((s) => s !== 'none')];
  const rungs = [...TASK_E_RUNGS];
  const maxEpochs = rungs[rungs.length - 1];
  const out: TaskETable[] = [];

  for (const device of devices) {
    const cost = tables.costs[device];
    const info = taskC(tables.accuracy, cost);
    const infos = [ACCURACY_METRICS.find((m) => m.name === 'accuracy')!, costMetricInfo(device)];
    const problem = createProblem({ objectives: ['accuracy:max'], constraints: [{ metric: device, bound: info.threshold }] }, infos);
    const source = {
      evaluate: (arch: Arch, epochs: number) => {
        const i = tables.indexOf(arch);
        return { accuracy: epochs >= maxEpochs ? tables.accuracy[i] : tables.accuracy12[i], [device]: cost[i] };
      },
    };
    const rows: TaskERow[] = [];
    for (const strategy of strategies) {
      for (const scheduler of schedulers) {
        const regrets: number[][] = budgets.map(() => []);
        const none = budgets.map(() => 0);
        const spent: number[] = [];
        const trials: number[] = [];
        const full: number[] = [];
        let optimumSeen = 0;
        let optimumTrained = 0;
        for (let seed = firstSeed; seed < firstSeed + seeds; seed++) {
          const runTo = (epochBudget: number) => {
            const s = createStrategy(strategy, { space: tables.space, problem, seed }, {}, { screen: false });
            const sched = createScheduler(scheduler, { maxEpochs, rungs, eta, epochBudget, space: tables.space });
            const run = runFidelitySearch(s, sched, problem, source, { epochBudget });
            return { run, fullRuns: run.log.filter((e) => e.epochs === maxEpochs && e.status === 'ok') };
          };
          // A scheduler that plans with the budget runs once per budget; any other runs once to the
          // largest, and a smaller budget reads that run's prefix.
          const perBudget = needsEpochBudget(scheduler) ? budgets.map(runTo) : undefined;
          const { run, fullRuns } = perBudget ? perBudget[perBudget.length - 1] : runTo(budgets[budgets.length - 1]);
          budgets.forEach((b, k) => {
            const within = perBudget ? perBudget[k].fullRuns : fullRuns.filter((e) => e.spentEpochs <= b);
            const r = regretOf(info, tables.accuracy, cost, within.map((e) => tables.indexOf(e.arch)));
            regrets[k].push(r.regret);
            if (r.noneFeasible) none[k]++;
          });
          spent.push(run.spentEpochs);
          trials.push(run.fates.size);
          full.push(fullRuns.length);
          if (run.log.some((e) => tables.indexOf(e.arch) === info.optimumIndex)) optimumSeen++;
          if (fullRuns.some((e) => tables.indexOf(e.arch) === info.optimumIndex)) optimumTrained++;
        }
        rows.push({ strategy, scheduler, regret: regrets.map(stats), noneFeasible: none, epochsSpent: stats(spent), trials: stats(trials), fullTrainings: stats(full), optimumSeen, optimumTrained });
        options.onProgress?.(`task E ${device} ${strategy}+${scheduler}: ${seeds} seeds done`);
      }
    }
    out.push({ device, budgets, info, ranking: lowFidelityRanking(info, tables.accuracy, tables.accuracy12, cost), rows });
  }
  return { seeds, firstSeed, eta, rungs, tables: out };
}

/** Renders a task E report as markdown: per device, rows = strategy x scheduler, columns = budgets. */
export function renderTaskEMarkdown(report: TaskEReport, headerLines: readonly string[] = []): string {
  const out: string[] = ['# Task E: constrained search with an epoch budget and early stopping (NAS-Bench-201 CIFAR-10)', ''];
  out.push(...headerLines, '');
  out.push(
    `Seeds ${report.firstSeed}..${report.firstSeed + report.seeds - 1}; rungs ${report.rungs.join(' and ')} epochs; schedulers with reduction factor eta = ${report.eta}; every strategy with its default options, told each trial's first (lowest-rung) result. ` +
      'Cells: regret in accuracy points after B epochs, mean (standard deviation, n - 1) over seeds; "ratio" = mean / the mean of random search at full fidelity (`random` + `none`). ' +
      'Epochs, trials and full trainings are per run at the largest budget; "optimum seen / trained": runs (of the seeds) that evaluated the optimum at any fidelity / trained it to full fidelity within the largest budget.' +
      (report.tables.some((t) => t.rows.some((r) => needsEpochBudget(r.scheduler)))
        ? ' A scheduler that plans with the epoch budget (`budget-sh`) is run once per budget (each cell its own runs); every other row is one run per seed to the largest budget, read at each smaller one.'
        : ''),
    '',
  );
  for (const t of report.tables) {
    out.push(`## ${t.device} (T = ${t.info.threshold.toFixed(4)}, optimum ${t.info.optimum.toFixed(3)})`, '');
    out.push(
      `Among the ${t.info.feasibleCount} feasible architectures the optimum ranks ${t.ranking.optimumRank} by 12-epoch accuracy; the best 200-epoch accuracy among the top k by 12-epoch accuracy has regret ${t.ranking.regretOfTop.map((r) => `${r.regret.toFixed(3)} (k=${r.k})`).join(', ')}.`,
      '',
    );
    const base = t.rows.find((r) => r.strategy === 'random' && r.scheduler === 'none');
    out.push(`| strategy | scheduler | ${t.budgets.map((b) => `B=${b}`).join(' | ')} | ${t.budgets.map((b) => `ratio B=${b}`).join(' | ')} | epochs spent | trials | full trainings | optimum seen / trained |`);
    out.push(`| --- | --- | ${t.budgets.map(() => '---').join(' | ')} | ${t.budgets.map(() => '---').join(' | ')} | --- | --- | --- | --- |`);
    for (const r of t.rows) {
      const cells = r.regret.map((s, k) => `${s.mean.toFixed(3)} (${s.std.toFixed(3)})${r.noneFeasible[k] ? ` [${r.noneFeasible[k]} none]` : ''}`);
      const ratios = r.regret.map((s, k) => (base && base.regret[k].mean > 0 ? (s.mean / base.regret[k].mean).toFixed(2) : ''));
      out.push(`| ${r.strategy} | ${r.scheduler} | ${cells.join(' | ')} | ${ratios.join(' | ')} | ${r.epochsSpent.mean.toFixed(0)} | ${r.trials.mean.toFixed(1)} | ${r.fullTrainings.mean.toFixed(1)} | ${r.optimumSeen} / ${r.optimumTrained} |`);
    }
    out.push('');
  }
  return out.join('\n');
}
