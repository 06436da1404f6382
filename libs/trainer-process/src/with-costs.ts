import type { Metrics } from '@hwnas/bench-core';
import { ACCURACY_METRICS } from '@hwnas/bench-core';
import type { EvalTask, TrialEvaluator } from '@hwnas/runtime';

/** A trainer that knows which searches were ordered stopped (e.g. {@link ProcessTrainerEvaluator}). */
export interface StopAware {
  /** Throws when the search was ordered stopped. */
  refuseStopped?(searchId: string): void;
}

/**
 * A {@link TrialEvaluator} that trains for accuracy and looks costs up elsewhere: a full
 * evaluation is the trainer's metrics over the cost evaluator's (tables, device backends), with
 * the cost evaluator's accuracy metrics removed so that only trained accuracies count; a cost
 * query goes to the cost evaluator alone. The cost lookup runs first, so that an architecture the
 * tables reject fails before any training, and one that `admit` rules out from its costs alone
 * (a violated latency bound) is never trained: its result is the costs without an objective, so
 * it counts as evaluated and infeasible, as under cost-first screening.
 */
export class TrainedWithCostsEvaluator implements TrialEvaluator {
  private readonly dropped: ReadonlySet<string>;

  /**
   * `admit`: whether costs allow training (default: always); `accuracyMetrics`: metric names taken
   * from the trainer only (default the benchmark's accuracy metrics).
   */
  constructor(
    private readonly trainer: TrialEvaluator & StopAware,
    private readonly costs: TrialEvaluator,
    private readonly admit: (costs: Metrics) => boolean = () => true,
    accuracyMetrics: readonly string[] = ACCURACY_METRICS.map((m) => m.name),
  ) {
    this.dropped = new Set(accuracyMetrics);
  }

  async evaluate(task: EvalTask, signal?: AbortSignal): Promise<Metrics> {
    // A late task of a search ordered stopped fails before its costs are looked up: with a remote
    // device that lookup is a real measurement, wasted on a search that has ended.
    this.trainer.refuseStopped?.(task.searchId);
    const costs = await this.costs.evaluate(task, signal);
    if (task.need === 'costs') return costs;
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(costs)) if (!this.dropped.has(k)) out[k] = v;
    if (!this.admit(out)) return out;
    return { ...out, ...(await this.trainer.evaluate(task, signal)) };
  }
}
