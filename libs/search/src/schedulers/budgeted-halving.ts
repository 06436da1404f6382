import { InvalidArgumentError } from '@hwnas/bench-core';
import type { FidelityJob, FidelityScheduler, Proposal, SchedulerOptions, TrialFate } from './fidelity-scheduler';
import { resolveRungs, topK } from './fidelity-scheduler';
import { TrialFates } from './trial-fates';

/** One bracket: its planned size per rung, the rung being filled, and the results at each rung. */
interface Bracket {
  /** Trials planned per rung index: rung 0 starts plan[0], rung k promotes plan[k] (the top rung: as many as the budget allows). */
  readonly plan: readonly number[];
  /** Rung index being filled. */
  rung: number;
  /** Jobs handed out at the current rung, and those that reported. */
  dispatched: number;
  reported: number;
  /** Results per rung index: trial id and score (undefined: infeasible or failed). */
  readonly results: { trialId: number; score: number | undefined }[][];
  /** Candidates of the current rung (rung > 0), best first, not yet handed out. */
  queue: number[];
  /** Rung 0 stopped starting trials early: the strategy had nothing to propose while no job was out. */
  starved: boolean;
}

/**
 * Successive halving on an epoch budget, the original form of the algorithm (Karnin et al. 2013;
 * Jamieson & Talwalkar 2016, who give it a total budget rather than a bracket size): one bracket
 * sized to the whole budget. It starts n trials at the lowest rung, then promotes the best
 * floor(n/eta) of them to the next rung, and so on; n is the largest count whose plan fits the
 * budget, a promotion costing only the epochs it adds (trials resume from their checkpoints).
 *
 * Unlike {@link SynchronousHalvingScheduler}, which promotes the best of each small bracket of
 * eta^K trials as it fills, every promotion here is decided against everything explored at the
 * rung below, so no promotion goes to the best of a handful of early, poor trials. The price:
 * the scheduler must know the budget (`epochBudget`), and a run's full-fidelity results come only
 * after its exploration, so a shorter budget is a different run, not a prefix of a longer one.
 *
 * Promotions go best first; at the top rung the scheduler keeps promoting the next best of the
 * rung below while the budget allows (it pays for the plan's rounding and for trials that were
 * infeasible or failed), and when no candidate is left while the rest of the budget pays for one
 * trial taken to the top, a new bracket is sized to what remains. Workers wait only at a rung's end (synchronous).
 * Deterministic (ties by trial id); never hands out a job past the budget. Not thread-safe.
 */
export class BudgetedHalvingScheduler implements FidelityScheduler {
  readonly rungs: readonly number[];
  private readonly eta: number;
  private readonly budget: number;
  private readonly book = new TrialFates();
  private committed = 0;
  private bracket: Bracket;

  constructor(opts: SchedulerOptions) {
    this.rungs = resolveRungs(opts);
    this.eta = opts.eta ?? 3;
    const budget = opts.epochBudget;
    if (budget === undefined || !Number.isInteger(budget) || budget < 1) throw new InvalidArgumentError(`budgeted successive halving needs the search's epoch budget (a positive integer), got ${budget}`);
    this.budget = budget;
    this.bracket = this.open(budget);
  }

  /** Epochs of the jobs handed out so far (the scheduler never goes past its budget). */
  get committedEpochs(): number {
    return this.committed;
  }

  /** A bracket planned for `epochs`: n at rung 0 and floor(n/eta^k) (at least one) at rung k. */
  private open(epochs: number): Bracket {
    const plan = (n: number) => halvingPlan(this.rungs.length, this.eta, n);
    const cost = (n: number) => planEpochs(this.rungs, plan(n));
    // The largest n whose plan fits: cost grows with n, so step up from the real-valued estimate's floor.
    const perTrial = this.rungs.reduce((a, _r, k) => a + this.cost(k) / this.eta ** k, 0);
    let n = Math.max(1, Math.floor(epochs / perTrial));
    while (n > 1 && cost(n) > epochs) n--;
    while (cost(n + 1) <= epochs) n++;
    return { plan: plan(n), rung: 0, dispatched: 0, reported: 0, results: this.rungs.map(() => []), queue: [], starved: false };
  }

  /** Epochs a job reaching rung `k` costs: the rung minus the rung below (a promotion resumes). */
  private cost(k: number): number {
    return this.rungs[k] - (k > 0 ? this.rungs[k - 1] : 0);
  }

  private affordable(k: number): boolean {
    return this.committed + this.cost(k) <= this.budget;
  }

  next(propose: () => Proposal): FidelityJob | undefined {
    for (;;) {
      const b = this.bracket;
      const top = this.rungs.length - 1;
      if (b.rung === 0) {
        if (!b.starved && b.dispatched < b.plan[0] && this.affordable(0)) {
          const p = propose();
          if (p) {
            b.dispatched++;
            this.committed += this.cost(0);
            this.book.add(p.trialId, p.arch, this.rungs[0]);
            return { trialId: p.trialId, arch: p.arch, epochs: this.rungs[0], kind: 'start' };
          }
          // Nothing to propose: wait for the jobs out (their results may give the strategy more), else stop exploring.
          if (b.reported < b.dispatched) return undefined;
          b.starved = true;
        }
      } else {
        const quota = b.rung === top ? Infinity : b.plan[b.rung];
        if (b.dispatched < quota && b.queue.length > 0 && this.affordable(b.rung)) {
          const id = b.queue.shift()!;
          b.dispatched++;
          this.committed += this.cost(b.rung);
          this.book.dispatch(id, this.rungs[b.rung]);
          return { trialId: id, arch: this.book.arch(id), epochs: this.rungs[b.rung], kind: 'promote' };
        }
      }
      // The rung hands out no more jobs: wait for those out, then move on.
      if (b.reported < b.dispatched) return undefined;
      if (!this.advance()) return undefined;
    }
  }

  /** Closes the current rung: promotes into the next one, or opens a new bracket; false when nothing can run any more. */
  private advance(): boolean {
    const b = this.bracket;
    const top = this.rungs.length - 1;
    // Candidates left unpromoted when their rung closes are stopped.
    for (const id of b.queue) if (this.book.fate(id) === 'paused') this.book.set(id, 'stopped');
    b.queue = [];
    if (b.rung < top && b.dispatched > 0) {
      const below = b.results[b.rung];
      b.rung++;
      b.dispatched = 0;
      b.reported = 0;
      b.queue = topK(below, below.length);
      if (b.queue.length > 0) return true;
    }
    // The top rung is done, or nothing was promotable: a new bracket with what remains, if the
    // strategy still proposes and the rest pays for at least one trial taken to the top.
    if (b.starved || this.budget - this.committed < this.rungs[top]) return false;
    this.bracket = this.open(this.budget - this.committed);
    return true;
  }

  report(trialId: number, epochs: number, score: number | undefined, failed = false): void {
    if (!this.book.settle(trialId, epochs)) return;
    const b = this.bracket;
    const k = this.rungs.indexOf(epochs);
    b.reported++;
    b.results[k].push({ trialId, score: failed ? undefined : score });
    this.book.landed(trialId, k === this.rungs.length - 1, score, failed);
  }

  finish(): void {
    this.book.stopUnfinished();
  }

  fate(trialId: number): TrialFate {
    return this.book.fate(trialId);
  }

  trials(fate: TrialFate): number[] {
    return this.book.trials(fate);
  }
}

/** Trials per rung of a halving bracket that starts `trials`: floor(n/eta^k) at rung k, at least one. */
function halvingPlan(rungCount: number, eta: number, trials: number): number[] {
  const counts = [trials];
  for (let k = 1; k < rungCount; k++) counts.push(Math.max(1, Math.floor(counts[k - 1] / eta)));
  return counts;
}

/** Epochs a plan costs: each job pays its rung minus the rung below (a promotion resumes). */
function planEpochs(rungs: readonly number[], plan: readonly number[]): number {
  return plan.reduce((a, c, k) => a + c * (rungs[k] - (k > 0 ? rungs[k - 1] : 0)), 0);
}

/**
 * The epoch budget of a `budget-sh` search that explores `trials` architectures: what one bracket
 * starting them all at the lowest rung costs, so that the scheduler plans exactly that bracket
 * (the live search's budget counts architectures, not epochs). `rungs` as the scheduler's.
 */
export function halvingBracketEpochs(rungs: readonly number[], eta: number, trials: number): number {
  if (!Number.isInteger(trials) || trials < 1) throw new InvalidArgumentError(`a halving bracket needs a positive whole number of trials, got ${trials}`);
  return planEpochs(rungs, halvingPlan(rungs.length, eta, trials));
}
