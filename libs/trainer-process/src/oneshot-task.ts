import { InvalidArgumentError, NasError } from '@hwnas/bench-core';
import type { Metrics } from '@hwnas/bench-core';
import type { EvalTask, TrialEvaluator, TrialReportSink } from '@hwnas/runtime';
import { derivedArchMetrics } from '@hwnas/search';
import type { OneShotTaskPayload } from '@hwnas/search';
import { runSupernetStage } from './oneshot-search';
import type { ProcessTrainerEvaluator } from './trainer-evaluator';

/** Prefix of a supernet task's own final metrics in its result (so that none reads as the search's objective). */
export const SUPERNET_METRIC_PREFIX = 'supernet_';
/** Result metric of a supernet task that resumed from its checkpoint: the checkpoint's epoch. */
export const RESUMED_FROM_METRIC = 'supernet_resumed_from_epoch';

/** The parts of a {@link OneShotTaskEvaluator}. */
export interface OneShotTaskEvaluatorOptions {
  /** Runs supernet tasks (its command is the one-shot trainer, e.g. `oneshot/search.py`); absent: this worker refuses them. */
  readonly supernet?: ProcessTrainerEvaluator;
  /** Measures architectures: the tables and device backends (the cost table, the measure stage). */
  readonly costs: TrialEvaluator;
  /** Trains the derived architecture from scratch (the retrain stage); absent: this worker refuses it. */
  readonly retrain?: TrialEvaluator;
  /** Evaluates every task that is not part of a one-shot search. */
  readonly other: TrialEvaluator;
  /** Receives the supernet's per-epoch progress as trial reports. Must not throw. */
  readonly onReport?: TrialReportSink;
}

/**
 * A worker's {@link TrialEvaluator} that runs the trials of one-shot searches (tasks with a
 * `oneShot` payload) and hands every other task to `other`:
 * - `supernet`: the supernet search on this worker's one-shot trainer ({@link runSupernetStage};
 *   epochs from the task's fidelity, seed from the task). Each epoch's report (losses, entropy,
 *   expected cost, and the derived architecture as `derived_decision_<i>` metrics) goes to
 *   `onReport`; the result is the supernet's final metrics prefixed `supernet_`, the derived
 *   architecture's `derived_decision_<i>`, and {@link RESUMED_FROM_METRIC} when it resumed from a
 *   checkpoint (a retried task on a worker sharing the work root).
 * - `measure`: the derived architecture measured by `costs` (tables and device backends), never trained.
 * - `retrain`: the derived architecture trained from scratch by `retrain` (an ordinary trainer evaluation).
 * A stage this worker has no part for fails with a non-retryable `failed_precondition` error.
 */
export class OneShotTaskEvaluator implements TrialEvaluator {
  constructor(private readonly opts: OneShotTaskEvaluatorOptions) {}

  evaluate(task: EvalTask, signal?: AbortSignal): Metrics | Promise<Metrics> {
    const stage = task.oneShot;
    if (!stage) return this.opts.other.evaluate(task, signal);
    switch (stage.stage) {
      case 'supernet':
        return this.supernet(task, stage, signal);
      case 'measure':
        return this.opts.costs.evaluate({ ...task, need: 'full' }, signal);
      case 'retrain':
        if (!this.opts.retrain) throw new NasError(`task ${task.taskId}: retraining a derived architecture needs a worker with a trainer (--trainer)`, 'failed_precondition');
        return this.opts.retrain.evaluate(task, signal);
      default:
        throw new InvalidArgumentError(`task ${task.taskId}: unknown one-shot stage ${JSON.stringify((stage as { stage: unknown }).stage)}`);
    }
  }

  private async supernet(task: EvalTask, o: OneShotTaskPayload, signal?: AbortSignal): Promise<Metrics> {
    if (!this.opts.supernet) throw new NasError(`task ${task.taskId}: a ${o.method} supernet task needs a worker with a one-shot trainer (--oneshot-trainer)`, 'failed_precondition');
    if (!task.fidelity) throw new InvalidArgumentError(`task ${task.taskId}: a supernet task needs its epochs (fidelity)`);
    const { searchId, trialId } = task;
    const stage = await runSupernetStage(
      {
        searchId,
        space: task.space,
        dataset: task.dataset,
        method: o.method,
        epochs: task.fidelity.epochs,
        devices: task.devices,
        ...(o.costMetric !== undefined ? { costMetric: o.costMetric, costWeight: o.costWeight ?? 1 } : {}),
        ...(o.costTarget !== undefined ? { costTarget: o.costTarget } : {}),
        ...(task.seed !== undefined ? { seed: task.seed } : {}),
      },
      {
        trainer: this.opts.supernet,
        costs: this.opts.costs,
        ...(signal ? { signal } : {}),
        onProgress: (p) => {
          const metrics = { ...p.metrics, ...(p.arch ? derivedArchMetrics(p.arch.encoding) : {}) };
          this.opts.onReport?.({ type: 'trial_report', searchId, trialId, epoch: p.epoch, metrics });
        },
      },
    );
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(stage.supernet)) out[`${SUPERNET_METRIC_PREFIX}${k}`] = v;
    return { ...out, ...derivedArchMetrics(stage.arch.encoding), ...(stage.resumedFrom !== undefined ? { [RESUMED_FROM_METRIC]: stage.resumedFrom } : {}) };
  }
}
