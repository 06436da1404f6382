import type { Metrics } from '@hwnas/bench-core';

/**
 * An intermediate result of a running evaluation: the metrics a trainer reported after `epoch`
 * epochs (total, not additional). Reports of one evaluation arrive in the order the trainer
 * printed them; a retried or promoted evaluation may report an epoch again. They feed learning
 * curves and multi-fidelity schedulers (early stopping); the final result still arrives as a
 * `TaskResult`. Treat as frozen.
 */
export interface TrialReport {
  readonly type: 'trial_report';
  readonly searchId: string;
  readonly trialId: number;
  readonly epoch: number;
  readonly metrics: Metrics;
}

/**
 * Where an evaluator delivers intermediate reports (a coordinator's scheduler, a journal, a log).
 * Called synchronously as reports arrive; must not throw (a throwing sink is ignored by callers).
 */
export type TrialReportSink = (report: TrialReport) => void;

/** A point of a trial's learning curve: one intermediate report's epoch and metrics. */
export interface CurvePoint {
  readonly epoch: number;
  readonly metrics: Metrics;
}

/**
 * The score early stopping judges a report on (higher is better): the validation accuracy
 * trainers report per epoch, or `accuracy` when that is all a report has; undefined when neither.
 */
export function reportScore(metrics: Metrics): number | undefined {
  return metrics.valid_accuracy ?? metrics.accuracy;
}
