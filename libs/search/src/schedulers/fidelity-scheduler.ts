import { InvalidArgumentError } from '@hwnas/bench-core';
import type { Arch, Metrics, SearchSpace } from '@hwnas/bench-core';
import { isFeasible, scalarScore } from '../problem';
import type { SearchProblem } from '../problem';

/**
 * Multi-fidelity scheduling (successive halving, ASHA, Hyperband): budgets are training epochs,
 * and a scheduler decides which trial trains to which epoch next. It wraps any strategy: the
 * strategy proposes architectures (through `propose`), the scheduler decides their fidelity, and
 * whether each one is promoted to a higher rung or stopped. Schedulers are pure and deterministic:
 * no clock, no randomness (ties are broken by trial id), so a run depends only on the strategy's
 * seed and the order of reports.
 */

/** One unit of work: train trial `trialId` until it has reached `epochs` epochs (total). Treat as frozen. */
export interface FidelityJob {
  readonly trialId: number;
  readonly arch: Arch;
  /** Epochs to reach (a rung level), total, not additional: a promoted trial resumes from its checkpoint. */
  readonly epochs: number;
  /** `start`: the trial's first job; `promote`: a trial continues to a higher rung. */
  readonly kind: 'start' | 'promote';
}

/**
 * Where a trial stands:
 * - `running`: a job of it is out;
 * - `paused`: reported at a rung below the top, may still be promoted (ASHA);
 * - `stopped`: will never be promoted (early-stopped; never reported as the best);
 * - `completed`: reached the top rung (the only trials that may be reported as the best);
 * - `failed`: its evaluation failed.
 */
export type TrialFate = 'running' | 'paused' | 'stopped' | 'completed' | 'failed';

/** A new trial from the strategy: its id and architecture; undefined when the strategy has none now. */
export type Proposal = { readonly trialId: number; readonly arch: Arch } | undefined;

/**
 * A multi-fidelity scheduler. Not thread-safe: one caller at a time. Jobs may be out at once
 * (several workers); reports may come in any order.
 */
export interface FidelityScheduler {
  /** Rung levels in epochs, ascending; the last is the full fidelity. */
  readonly rungs: readonly number[];
  /**
   * The next job, or undefined when nothing can run now (jobs out must report first, or the
   * strategy has nothing to propose). Calls `propose` only when it wants a new trial.
   */
  next(propose: () => Proposal): FidelityJob | undefined;
  /**
   * The result of a job: `score` (higher is better) at `epochs`, or undefined when the trial is
   * infeasible (below the top rung it is then `stopped`); `failed` when its evaluation failed.
   * Neither is ever promoted. A trial that reaches the top rung is `completed`. A report of a trial without a job out at `epochs` is ignored (a duplicate).
   */
  report(trialId: number, epochs: number, score: number | undefined, failed?: boolean): void;
  /**
   * Ends the search: trials that could still have been promoted (`paused`) and trials whose job
   * will not come back (`running`: cancelled at the end) become `stopped`.
   */
  finish(): void;
  /**
   * No new trial will be proposed (the search's budget of trials is spent, or its strategy has
   * none left): a bracket still waiting to start trials is cut to those it has, so that its rung
   * can complete and its best be promoted. Optional: only schedulers that wait for a fixed number
   * of trials need it. Idempotent.
   */
  seal?(): void;
  /** Where a trial stands (`stopped` for ids never seen). */
  fate(trialId: number): TrialFate;
  /** Trials currently in a fate (ascending ids). */
  trials(fate: TrialFate): number[];
}

/** The schedulers by name (`none`: every trial at full fidelity, no early stopping). */
export type SchedulerName = 'none' | 'sh' | 'asha' | 'hyperband' | 'budget-sh' | 'forecast-sh' | 'forecast-asha' | 'forecast-hyperband';

/**
 * Names of every scheduler (`budget-sh`: successive halving with one bracket sized to the epoch
 * budget; `forecast-*`: the same as sh/asha/hyperband, promoting by a forecast of the full-fidelity score).
 */
export const SCHEDULER_NAMES: readonly SchedulerName[] = ['none', 'sh', 'asha', 'hyperband', 'budget-sh', 'forecast-sh', 'forecast-asha', 'forecast-hyperband'];

/**
 * True for a scheduler that plans with the search's epoch budget (`budget-sh`): its run on a
 * smaller budget is a different run, not a prefix of a longer one.
 */
export function needsEpochBudget(name: SchedulerName): boolean {
  return name === 'budget-sh';
}

/** True when `name` is a scheduler name. */
export function isSchedulerName(name: string): name is SchedulerName {
  return (SCHEDULER_NAMES as readonly string[]).includes(name);
}

/** Options of every scheduler. */
export interface SchedulerOptions {
  /** Full fidelity in epochs (the top rung). */
  readonly maxEpochs: number;
  /** Lowest rung in epochs (default `maxEpochs / eta^k` for the largest k with at least 1 epoch). */
  readonly minEpochs?: number;
  /** Reduction factor: a rung keeps the best 1/eta of its trials (default 3, as Syne Tune). */
  readonly eta?: number;
  /**
   * Explicit rung levels in epochs (ascending, last = `maxEpochs`), e.g. `[12, 200]` when only two
   * fidelities exist. Overrides `minEpochs`.
   */
  readonly rungs?: readonly number[];
  /** Synchronous successive halving: trials per bracket at its lowest rung (default ceil(eta^(rungs-1))). */
  readonly bracketSize?: number;
  /** Epochs the whole search may spend: required by `budget-sh`, which plans its bracket with it. */
  readonly epochBudget?: number;
  /** The search space: required by the `forecast-*` schedulers (their model's features). */
  readonly space?: SearchSpace;
}

/**
 * Rung levels from `minEpochs` to `maxEpochs` growing by `eta` (rounded to whole epochs, last one
 * always `maxEpochs`). Throws {@link InvalidArgumentError} for non-positive or inverted bounds.
 */
export function rungLevels(minEpochs: number, maxEpochs: number, eta: number): number[] {
  if (!Number.isInteger(maxEpochs) || maxEpochs < 1) throw new InvalidArgumentError(`max epochs must be a positive integer, got ${maxEpochs}`);
  if (!Number.isInteger(minEpochs) || minEpochs < 1 || minEpochs > maxEpochs) throw new InvalidArgumentError(`min epochs must be an integer in 1..${maxEpochs}, got ${minEpochs}`);
  if (!(eta > 1)) throw new InvalidArgumentError(`eta (reduction factor) must be greater than 1, got ${eta}`);
  const out: number[] = [];
  for (let r = minEpochs; Math.round(r) < maxEpochs; r *= eta) {
    const level = Math.round(r);
    if (out[out.length - 1] !== level) out.push(level);
  }
  out.push(maxEpochs);
  return out;
}

/** The rung levels an options bag describes (validated). */
export function resolveRungs(opts: SchedulerOptions): number[] {
  const eta = opts.eta ?? 3;
  if (!(eta > 1)) throw new InvalidArgumentError(`eta (reduction factor) must be greater than 1, got ${eta}`);
  if (opts.rungs) {
    const r = opts.rungs;
    if (r.length === 0 || r.some((x, i) => !Number.isInteger(x) || x < 1 || (i > 0 && x <= r[i - 1]))) {
      throw new InvalidArgumentError(`rungs must be ascending positive integers, got ${r.join(',')}`);
    }
    if (r[r.length - 1] !== opts.maxEpochs) throw new InvalidArgumentError(`the last rung (${r[r.length - 1]}) must equal max epochs (${opts.maxEpochs})`);
    return [...r];
  }
  let min = opts.minEpochs;
  if (min === undefined) {
    min = opts.maxEpochs;
    while (min / eta >= 1) min /= eta;
    min = Math.max(1, Math.round(min));
  }
  return rungLevels(min, opts.maxEpochs, eta);
}

/**
 * The score a scheduler ranks a result by at a rung: the problem's scalar score when the result is
 * feasible, else undefined (an infeasible or failed trial is never promoted, since it could never
 * be the answer).
 */
export function promotionScore(problem: SearchProblem, metrics: Metrics | undefined): number | undefined {
  if (!metrics || !isFeasible(problem, metrics)) return undefined;
  const s = scalarScore(problem, metrics);
  return Number.isNaN(s) ? undefined : s;
}

/** The best `k` of `entries` with a score (descending score, then ascending trial id). */
export function topK(entries: readonly { readonly trialId: number; readonly score: number | undefined }[], k: number): number[] {
  return entries
    .filter((e): e is { trialId: number; score: number } => e.score !== undefined)
    .sort((a, b) => b.score - a.score || a.trialId - b.trialId)
    .slice(0, Math.max(0, k))
    .map((e) => e.trialId);
}
