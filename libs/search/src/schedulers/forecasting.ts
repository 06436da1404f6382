import { InvalidArgumentError } from '@hwnas/bench-core';
import type { Arch, SearchSpace } from '@hwnas/bench-core';
import { fitRidge, LinearFeatures, predict, RidgeSolver } from '../linear-model';
import type { LinearModel } from '../linear-model';
import type { FidelityJob, FidelityScheduler, Proposal, TrialFate } from './fidelity-scheduler';

/** Options of {@link ForecastingScheduler}. */
export interface ForecastOptions {
  /** The search space (the model's features are FOX-NAS's main effects of its decisions). */
  readonly space: SearchSpace;
  /**
   * Trials a rung's model needs (trials with a score at that rung that reached the top) before
   * its forecast is used (default 10); until then the rung ranks by score alone.
   */
  readonly minSamples?: number;
  /** Ridge penalty on every feature but the intercept (default 1). */
  readonly ridge?: number;
}

/** One rung's model: rows (active features) and targets (top-rung score minus the rung's score). */
interface GainModel {
  readonly solver: RidgeSolver;
  readonly rows: number[][];
  readonly gains: number[];
  fitted?: LinearModel;
}

/**
 * Promotes by a forecast of the full-fidelity score instead of the score at a low rung.
 * @experimental
 *
 * How much a network gains from longer training depends on its architecture, so ranking by the
 * low-rung score alone may stop a final winner early. For each rung below the top, a ridge
 * regression on the architecture's main-effect features predicts the gain from that rung to the
 * top, learned online from the run's own trials that reached the top; the inner scheduler
 * (successive halving, ASHA, Hyperband) is handed score + predicted gain at that rung and decides
 * as usual. Until a rung's model has `minSamples` trials the rung ranks by score alone. Top-rung
 * scores pass through unchanged, so only real full-fidelity results can be the answer.
 * Deterministic: the forecasts depend only on the order of reports. Not thread-safe.
 */
export class ForecastingScheduler implements FidelityScheduler {
  readonly rungs: readonly number[];
  private readonly features: LinearFeatures;
  private readonly minSamples: number;
  private readonly models: GainModel[];
  private readonly archs = new Map<number, Arch>();
  /** Each trial's feasible scores by rung index below the top. */
  private readonly scores = new Map<number, Map<number, number>>();

  constructor(
    private readonly inner: FidelityScheduler,
    opts: ForecastOptions,
  ) {
    this.rungs = inner.rungs;
    this.minSamples = opts.minSamples ?? 10;
    const ridge = opts.ridge ?? 1;
    if (!Number.isInteger(this.minSamples) || this.minSamples < 1) throw new InvalidArgumentError(`forecast min samples must be a positive integer, got ${this.minSamples}`);
    if (!(ridge >= 0)) throw new InvalidArgumentError(`forecast ridge penalty must be non-negative, got ${ridge}`);
    this.features = new LinearFeatures(opts.space, 'none');
    const p = this.features.count;
    this.models = this.rungs.slice(0, -1).map(() => ({ solver: new RidgeSolver(p, (i) => (i === 0 ? 0 : ridge)), rows: [], gains: [] }));
  }

  next(propose: () => Proposal): FidelityJob | undefined {
    const job = this.inner.next(propose);
    if (job) this.archs.set(job.trialId, job.arch);
    return job;
  }

  report(trialId: number, epochs: number, score: number | undefined, failed = false): void {
    const k = this.rungs.indexOf(epochs);
    const arch = this.archs.get(trialId);
    // A report without a job out (a duplicate) goes to the inner scheduler alone, which ignores it.
    if (k < 0 || !arch || failed || score === undefined || this.inner.fate(trialId) !== 'running') return this.inner.report(trialId, epochs, score, failed);
    if (k === this.rungs.length - 1) {
      this.learn(trialId, arch, score);
      return this.inner.report(trialId, epochs, score, failed);
    }
    let mine = this.scores.get(trialId);
    if (!mine) this.scores.set(trialId, (mine = new Map()));
    mine.set(k, score);
    this.inner.report(trialId, epochs, score + (this.gainAt(k, arch) ?? 0), failed);
  }

  /**
   * The forecast gain of `arch` from rung index `k` to the top (score units), or undefined while
   * that rung's model has fewer than `minSamples` trials.
   */
  gainAt(k: number, arch: Arch): number | undefined {
    const m = this.models[k];
    if (!m || m.rows.length < this.minSamples) return undefined;
    m.fitted ??= fitRidge(m.solver, m.rows, m.gains);
    return predict(m.fitted, this.features.active(arch));
  }

  finish(): void {
    this.inner.finish();
  }

  fate(trialId: number): TrialFate {
    return this.inner.fate(trialId);
  }

  trials(fate: TrialFate): number[] {
    return this.inner.trials(fate);
  }

  private learn(trialId: number, arch: Arch, topScore: number): void {
    const mine = this.scores.get(trialId);
    if (!mine) return;
    const active = this.features.active(arch);
    for (const [k, s] of mine) {
      const m = this.models[k];
      m.solver.addRow(active);
      m.rows.push(active);
      m.gains.push(topScore - s);
      m.fitted = undefined;
    }
  }
}
