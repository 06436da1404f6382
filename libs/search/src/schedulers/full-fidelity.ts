import type { FidelityJob, FidelityScheduler, Proposal, SchedulerOptions, TrialFate } from './fidelity-scheduler';
import { TrialFates } from './trial-fates';

/** No early stopping: every trial trains to full fidelity in one job (the baseline of task E). */
export class FullFidelityScheduler implements FidelityScheduler {
  readonly rungs: readonly number[];
  private readonly book = new TrialFates();

  constructor(opts: SchedulerOptions) {
    this.rungs = [opts.maxEpochs];
  }

  next(propose: () => Proposal): FidelityJob | undefined {
    const p = propose();
    if (!p) return undefined;
    this.book.add(p.trialId, p.arch, this.rungs[0]);
    return { trialId: p.trialId, arch: p.arch, epochs: this.rungs[0], kind: 'start' };
  }

  report(trialId: number, epochs: number, _score: number | undefined, failed = false): void {
    if (!this.book.settle(trialId, epochs)) return;
    this.book.set(trialId, failed ? 'failed' : 'completed');
  }

  finish(): void {
    this.book.stopUnfinished(); // nothing pauses here: the running ones
  }

  fate(trialId: number): TrialFate {
    return this.book.fate(trialId);
  }

  trials(fate: TrialFate): number[] {
    return this.book.trials(fate);
  }
}
