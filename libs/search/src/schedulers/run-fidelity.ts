import { InvalidArgumentError, isNasError } from '@hwnas/bench-core';
import type { Arch, Metrics } from '@hwnas/bench-core';
import { bestFeasible } from '../problem';
import type { SearchProblem } from '../problem';
import type { SearchStrategy } from '../strategy';
import type { FidelityScheduler, Proposal, TrialFate } from './fidelity-scheduler';
import { promotionScore } from './fidelity-scheduler';

/** Metrics of an architecture trained to `epochs` epochs (a table, a simulator). May throw a NasError: the job then fails. */
export interface FidelitySource {
  evaluate(arch: Arch, epochs: number): Metrics;
}

/** Options of {@link runFidelitySearch}. */
export interface FidelityRunOptions {
  /** Training epochs the run may spend; a job that would end past it is not run. */
  readonly epochBudget: number;
}

/** One finished job, in completion order. */
export interface FidelityLogEntry {
  readonly trialId: number;
  readonly arch: Arch;
  /** Epochs the trial reached. */
  readonly epochs: number;
  /** Epochs this job cost (the rung minus what the trial had already trained: promotions resume). */
  readonly costEpochs: number;
  /** Epochs spent by the run when this job finished. */
  readonly spentEpochs: number;
  readonly status: 'ok' | 'failed';
  readonly metrics?: Metrics;
}

/** What {@link runFidelitySearch} returns. Treat as frozen. */
export interface FidelityRunResult {
  readonly log: readonly FidelityLogEntry[];
  readonly spentEpochs: number;
  /** Best feasible trial at full fidelity; stopped trials are never the best. */
  readonly best?: FidelityLogEntry;
  /** `budget`: the next job would have overrun the budget; `exhausted`: nothing more to run. */
  readonly stop: 'budget' | 'exhausted';
  /** Fate of every trial at the end (after `finish`). */
  readonly fates: ReadonlyMap<number, TrialFate>;
}

/**
 * Runs a strategy under a multi-fidelity scheduler in-process, one job at a time, until the epoch
 * budget is spent: the scheduler asks the strategy for new trials and decides each trial's rung,
 * the source gives the metrics at that rung, and a promoted trial pays only the epochs it adds.
 * The strategy is told each trial's first result (at the rung it started at), once; later rungs
 * inform the scheduler only. Deterministic given the strategy's seed and the source.
 *
 * Throws {@link InvalidArgumentError} for a strategy that asks for cost-only queries (screening),
 * which this runner does not model.
 */
export function runFidelitySearch(strategy: SearchStrategy, scheduler: FidelityScheduler, problem: SearchProblem, source: FidelitySource, options: FidelityRunOptions): FidelityRunResult {
  const budget = options.epochBudget;
  if (!(budget >= 0)) throw new InvalidArgumentError(`epoch budget must be non-negative, got ${budget}`);
  const maxEpochs = scheduler.rungs[scheduler.rungs.length - 1];
  const trained = new Map<number, number>();
  const told = new Set<number>();
  const log: FidelityLogEntry[] = [];
  let spent = 0;
  let stop: FidelityRunResult['stop'] = 'exhausted';
  const propose = (): Proposal => {
    const c = strategy.ask(1)[0];
    if (!c) return undefined;
    if (c.need !== 'full') throw new InvalidArgumentError(`strategy asked for a "${c.need}" query; the multi-fidelity runner runs full evaluations only (create the strategy without screening)`);
    return { trialId: c.trialId, arch: c.arch };
  };

  for (;;) {
    const job = scheduler.next(propose);
    if (!job) break;
    const cost = job.epochs - (trained.get(job.trialId) ?? 0);
    if (spent + cost > budget) {
      stop = 'budget';
      break;
    }
    spent += cost;
    trained.set(job.trialId, job.epochs);
    let metrics: Metrics | undefined;
    let error: string | undefined;
    try {
      metrics = source.evaluate(job.arch, job.epochs);
    } catch (e) {
      if (!isNasError(e)) throw e;
      error = e.message;
    }
    log.push({ trialId: job.trialId, arch: job.arch, epochs: job.epochs, costEpochs: cost, spentEpochs: spent, status: metrics ? 'ok' : 'failed', ...(metrics ? { metrics } : {}) });
    scheduler.report(job.trialId, job.epochs, promotionScore(problem, metrics), metrics === undefined);
    if (!told.has(job.trialId)) {
      told.add(job.trialId);
      strategy.tell({ trialId: job.trialId, arch: job.arch, status: metrics ? 'ok' : 'failed', ...(metrics ? { metrics } : { error }) });
    }
  }
  scheduler.finish();
  const fates = new Map<number, TrialFate>();
  for (const id of told) fates.set(id, scheduler.fate(id));
  const full = log.filter((e): e is FidelityLogEntry & { metrics: Metrics } => e.epochs === maxEpochs && e.metrics !== undefined);
  const best = bestFeasible(problem, full);
  return { log, spentEpochs: spent, stop, fates, ...(best ? { best } : {}) };
}
