import { InvalidArgumentError } from '@hwnas/bench-core';
import { createScheduler, halvingBracketEpochs, resolveRungs, RungStopper } from '@hwnas/search';
import type { FidelityScheduler, SchedulerOptions } from '@hwnas/search';
import type { EarlyStoppingRule, TrainingSpec } from './search-spec';

/**
 * The schedulers of a trainer search that promote: a trial trains to the lowest rung and ends
 * there; the scheduler sends the best of each completed rung on to the next rung, where the
 * trainer resumes from the trial's checkpoint (`sh`: synchronous successive halving in brackets
 * of eta^(rungs-1) trials; `budget-sh`: one bracket of every trial of the search). The other
 * rules (`asha`, `hyperband`) stop trials while they train to full fidelity ({@link RungStopper}).
 */
export const PROMOTING_RULES = ['sh', 'budget-sh'] as const satisfies readonly EarlyStoppingRule[];

/** Whether `rule` promotes trials between runs (see {@link PROMOTING_RULES}). */
export function isPromotingRule(rule: EarlyStoppingRule): rule is (typeof PROMOTING_RULES)[number] {
  return (PROMOTING_RULES as readonly string[]).includes(rule);
}

/** The stopping rule of a trainer search with `asha` or `hyperband`; undefined for every other rule. Throws InvalidArgumentError for fewer than two rungs. */
export function createStopper(training: TrainingSpec): RungStopper | undefined {
  if (training.scheduler !== 'asha' && training.scheduler !== 'hyperband') return undefined;
  return new RungStopper(schedulerOptions(training), training.scheduler);
}

/**
 * The scheduler of a trainer search of `budget` trials with `sh` or `budget-sh`; undefined for
 * every other rule. `budget-sh` is given the epochs one bracket of all `budget` trials costs, so
 * it explores exactly the search's budget and promotes the best 1/eta of all of it. A fresh
 * scheduler per call (it holds the search's state). Throws InvalidArgumentError for fewer than two rungs.
 */
export function createPromotingScheduler(training: TrainingSpec, budget: number): FidelityScheduler | undefined {
  if (!isPromotingRule(training.scheduler)) return undefined;
  const opts = schedulerOptions(training);
  const rungs = resolveRungs(opts);
  if (rungs.length < 2) throw new InvalidArgumentError(`early stopping needs at least two rungs (min epochs below max epochs), got ${rungs.join(',')}`);
  return createScheduler(training.scheduler, training.scheduler === 'budget-sh' ? { ...opts, epochBudget: halvingBracketEpochs(rungs, training.eta, budget) } : opts);
}

function schedulerOptions(training: TrainingSpec): SchedulerOptions {
  return { maxEpochs: training.epochs, ...(training.minEpochs !== undefined ? { minEpochs: training.minEpochs } : {}), eta: training.eta };
}
