import type { FidelityJob, FidelityScheduler, Proposal, SchedulerOptions, TrialFate } from './fidelity-scheduler';
import { resolveRungs, topK } from './fidelity-scheduler';
import { TrialFates } from './trial-fates';

/**
 * Asynchronous successive halving (ASHA; Li et al. 2020, the promotion variant of Syne Tune's
 * `ASHA`): a free worker first looks for a promotion, from the highest rung down: a trial that is
 * among the best floor(n/eta) of the n results at its rung and not yet promoted goes to the next
 * rung. Otherwise a new trial starts at the lowest rung. Nothing waits for a full rung, so workers
 * never idle; trials below the top stay `paused` (promotable later) and count as `stopped` once the
 * search ends ({@link AshaScheduler.finish}).
 */
export class AshaScheduler implements FidelityScheduler {
  readonly rungs: readonly number[];
  private readonly eta: number;
  private readonly book = new TrialFates();
  /** Results per rung index: trial id and score. */
  private readonly results: { trialId: number; score: number | undefined }[][];
  /** Trials already promoted out of each rung. */
  private readonly promoted: Set<number>[];

  constructor(opts: SchedulerOptions) {
    this.rungs = resolveRungs(opts);
    this.eta = opts.eta ?? 3;
    this.results = this.rungs.map(() => []);
    this.promoted = this.rungs.map(() => new Set());
  }

  next(propose: () => Proposal): FidelityJob | undefined {
    for (let k = this.rungs.length - 2; k >= 0; k--) {
      const rung = this.results[k];
      const best = topK(rung, Math.floor(rung.length / this.eta));
      const id = best.find((t) => !this.promoted[k].has(t));
      if (id === undefined) continue;
      this.promoted[k].add(id);
      this.book.dispatch(id, this.rungs[k + 1]);
      return { trialId: id, arch: this.book.arch(id), epochs: this.rungs[k + 1], kind: 'promote' };
    }
    const p = propose();
    if (!p) return undefined;
    this.book.add(p.trialId, p.arch, this.rungs[0]);
    return { trialId: p.trialId, arch: p.arch, epochs: this.rungs[0], kind: 'start' };
  }

  report(trialId: number, epochs: number, score: number | undefined, failed = false): void {
    if (!this.book.settle(trialId, epochs)) return;
    const k = this.rungs.indexOf(epochs);
    this.results[k].push({ trialId, score: failed ? undefined : score });
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
