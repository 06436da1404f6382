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
