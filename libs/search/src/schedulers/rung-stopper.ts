import { InvalidArgumentError } from '@hwnas/bench-core';
import type { SchedulerOptions } from './fidelity-scheduler';
import { resolveRungs, topK } from './fidelity-scheduler';

/** What a {@link RungStopper} says about a running trial. */
export type StopDecision = 'continue' | 'stop';

/**
 * The stopping variant of ASHA and Hyperband (Syne Tune's `type="stopping"`, Optuna's
 * SuccessiveHalvingPruner and HyperbandPruner): every trial is launched for full fidelity, and
 * each intermediate report at a rung level is judged at once: the trial goes on when its score is
 * among the best max(1, floor(n/eta)) of the n scores recorded at that rung so far (its own
 * included), else it is stopped. Nothing waits, so it suits trainers that run all their epochs in
 * one process. With `brackets` > 1 (Hyperband), trial t judges only from the rung of bracket
 * t mod brackets on: bracket b skips the b lowest rungs. Deterministic: no randomness, no clock.
 * Not thread-safe: one caller at a time.
 */
export class RungStopper {
  readonly rungs: readonly number[];
  private readonly eta: number;
  private readonly brackets: number;
  /** Scores recorded per rung index. */
  private readonly recorded: { trialId: number; score: number | undefined }[][];
  /** Rungs each trial was already judged at (a repeated report is judged once). */
  private readonly judged = new Map<number, Set<number>>();

  /** `kind`: `asha` judges every trial from the lowest rung; `hyperband` spreads trials over brackets. */
  constructor(opts: SchedulerOptions, kind: 'asha' | 'hyperband' = 'asha') {
    this.rungs = resolveRungs(opts);
    this.eta = opts.eta ?? 3;
    this.brackets = kind === 'hyperband' ? this.rungs.length : 1;
    if (this.rungs.length < 2) throw new InvalidArgumentError(`early stopping needs at least two rungs (min epochs below max epochs), got ${this.rungs.join(',')}`);
    this.recorded = this.rungs.map(() => []);
  }

  /**
   * Judges a report of `trialId` after `epoch` epochs with `score` (higher is better; undefined
   * for a report without the score, which is never stopped for it). Reports between rung levels,
   * at the top rung, or at a rung the trial's bracket skips always continue.
   */
  onReport(trialId: number, epoch: number, score: number | undefined): StopDecision {
    const k = this.rungs.indexOf(epoch);
    if (k < 0 || k === this.rungs.length - 1 || k < trialId % this.brackets) return 'continue';
    let seen = this.judged.get(trialId);
    if (!seen) this.judged.set(trialId, (seen = new Set()));
    if (seen.has(k)) return 'continue';
    seen.add(k);
    if (score === undefined || Number.isNaN(score)) return 'continue';
    const rung = this.recorded[k];
    rung.push({ trialId, score });
    const keep = topK(rung, Math.max(1, Math.floor(rung.length / this.eta)));
    return keep.includes(trialId) ? 'continue' : 'stop';
  }
}
