import type { Arch } from '@hwnas/bench-core';
import type { TrialFate } from './fidelity-scheduler';

/** Per-trial bookkeeping every scheduler shares: architecture, fate, job out, rung results. */
export class TrialFates {
  private readonly archs = new Map<number, Arch>();
  private readonly fates = new Map<number, TrialFate>();
  /** Epochs of the job out per trial. */
  private readonly out = new Map<number, number>();

  add(trialId: number, arch: Arch, epochs: number): void {
    this.archs.set(trialId, arch);
    this.fates.set(trialId, 'running');
    this.out.set(trialId, epochs);
  }

  arch(trialId: number): Arch {
    return this.archs.get(trialId)!;
  }

  /** Marks a job out for a known trial. */
  dispatch(trialId: number, epochs: number): void {
    this.fates.set(trialId, 'running');
    this.out.set(trialId, epochs);
  }

  /** True (and clears the job) when `trialId` has a job out at `epochs`; false for a duplicate or stray report. */
  settle(trialId: number, epochs: number): boolean {
    if (this.out.get(trialId) !== epochs) return false;
    this.out.delete(trialId);
    return true;
  }

  /**
   * The fate a settled job leaves its trial in: failed; completed at the top rung (an infeasible
   * trial too: it is simply never the best); below it paused for a promotion, or stopped when the
   * report carries no score to rank it by.
   */
  landed(trialId: number, top: boolean, score: number | undefined, failed: boolean): void {
    this.fates.set(trialId, failed ? 'failed' : top ? 'completed' : score === undefined ? 'stopped' : 'paused');
  }

  /** At the end of a run: every trial still paused or running is stopped. */
  stopUnfinished(): void {
    for (const [id, f] of this.fates) if (f === 'paused' || f === 'running') this.fates.set(id, 'stopped');
  }

  set(trialId: number, fate: TrialFate): void {
    this.fates.set(trialId, fate);
  }

  fate(trialId: number): TrialFate {
    return this.fates.get(trialId) ?? 'stopped';
  }

  trials(fate: TrialFate): number[] {
    const ids: number[] = [];
    for (const [id, f] of this.fates) if (f === fate) ids.push(id);
    return ids.sort((a, b) => a - b);
  }
}
