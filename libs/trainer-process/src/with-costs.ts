import type { Metrics } from '@hwnas/bench-core';
import { ACCURACY_METRICS } from '@hwnas/bench-core';
import type { EvalTask, TrialEvaluator } from '@hwnas/runtime';

/**
 * A {@link TrialEvaluator} that trains for accuracy and looks costs up elsewhere: a full
 * evaluation is the trainer's metrics over the cost evaluator's (tables, device backends), with
 * the cost evaluator's accuracy metrics removed so that only trained accuracies count; a cost
 * query goes to the cost evaluator alone. The cost lookup runs first, so that an architecture the
 * tables reject fails before any training.
 */
export class TrainedWithCostsEvaluator implements TrialEvaluator {
  private readonly dropped: ReadonlySet<string>;

  /** `accuracyMetrics`: metric names taken from the trainer only (default the benchmark's accuracy metrics). */
  constructor(
    private readonly trainer: TrialEvaluator,
    private readonly costs: TrialEvaluator,
    accuracyMetrics: readonly string[] = ACCURACY_METRICS.map((m) => m.name),
  ) {
    this.dropped = new Set(accuracyMetrics);
  }

  async evaluate(task: EvalTask, signal?: AbortSignal): Promise<Metrics> {
    const costs = await this.costs.evaluate(task, signal);
    if (task.need === 'costs') return costs;
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(costs)) if (!this.dropped.has(k)) out[k] = v;
    return { ...out, ...(await this.trainer.evaluate(task, signal)) };
  }
}
