/**
 * @hwnas/trainer-process: the trainer evaluator. It runs the user's training command per
 * evaluation under the contract `hwnas.trainer/v1` (docs/trainer-contract.md): local processes
 * in their own process groups, JSON-line reports on stdout, timeouts and cancellation by signals.
 */
export { ProcessTrainerEvaluator, TRIAL_FILE_NAME, EPOCH_EVENT_NAME, STOPPED_EPOCH_METRIC } from './trainer-evaluator';
export { TrainedWithCostsEvaluator } from './with-costs';
export type { ProcessTrainerOptions, ArchFreeTrainerTask, TrainerReportMessage } from './trainer-evaluator';
export { runTrainer, DEFAULT_KILL_GRACE_MS, DEFAULT_STDERR_TAIL_LINES } from './run-trainer';
export type { RunTrainerOptions, TrainerRun } from './run-trainer';
export { parseTrainerLine, STDIN_LIFELINE_ENV, TRAINER_CONTRACT } from './protocol';
export type { TrainerArch, TrainerMessage } from './protocol';
export { parseShellWords } from './shell-words';
export { TrainerFailedError, TrainerTimeoutError, TrainerCancelledError, TrainerCommandError, TrainerProtocolError } from './errors';
export { runOneShotSearch, runSupernetStage, oneShotCostTable, ONE_SHOT_SEARCH_TRIAL, ONE_SHOT_RETRAIN_TRIAL } from './oneshot-search';
export type { OneShotSearchSpec, OneShotProgress, OneShotResult, OneShotParts, SupernetStageResult } from './oneshot-search';
export { OneShotTaskEvaluator, SUPERNET_METRIC_PREFIX, RESUMED_FROM_METRIC } from './oneshot-task';
export type { OneShotTaskEvaluatorOptions } from './oneshot-task';
