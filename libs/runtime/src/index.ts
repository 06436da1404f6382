/**
 * @hwnas/runtime: the ports (task queue, result channel, trial journal, evaluators), the
 * coordinator and worker loops over them, and in-memory implementations (the embedded mode).
 */
export type { SearchId, SearchSpec, SearchLimits, AccuracySource, TrainingSpec, EarlyStoppingRule } from './search-spec';
export { normalizeSearchSpec, DEFAULT_LIMITS, EARLY_STOPPING_RULES } from './search-spec';
export { PROMOTING_RULES, createStopper, isPromotingRule } from './training-schedulers';
export type { SearchEvent, SequencedEvent, TaskResult, ErrorInfo, ScreenDecision } from './events';
export type { CostModels, CostModelSpec, CostScreener, LoadedCostModel, PredictedCost } from './ports/cost-models';
export { screenedMetricNames } from './search-screening';
export type { EvalTask, TaskQueue, TaskControl, Subscription, TaskSubscription, ConsumeOptions } from './ports/task-queue';
export type { ResultChannel } from './ports/result-channel';
export type { TrialJournal } from './ports/trial-journal';
export type { TrialEvaluator, DeviceClient, AccuracyProxy } from './ports/trial-evaluator';
// Intermediate reports of trainer evaluations (learning curves, early stopping).
export type { TrialReport, TrialReportSink, CurvePoint } from './trial-report';
export { reportScore } from './trial-report';
export type { TrialReportChannel, StopOrder, TrialStopOrder, SearchStopOrder } from './ports/trial-report-channel';
export { InMemoryTrialReportChannel } from './in-memory/trial-report-channel';
export { ReportsBeforeResults } from './reports-before-results';
export { SearchRun } from './search-run';
export type { SearchSetup, EvaluatedArch, RunStep, RunCounts } from './search-run';
export { loopSettings } from './search-run';
export { Coordinator } from './coordinator';
export { DEFAULT_TASK_TIMEOUT_MS, SearchNotFoundError, SearchNotFinishedError, RequestIdConflictError } from './coordinator-options';
export type { CoordinatorLog, CoordinatorOptions, SearchFactory, SubmitOptions } from './coordinator-options';
export type { SearchState } from './search-record';
export type { SearchView, SearchUpdate } from './search-view';
export type { FailureCode, FinishStatus } from './search-outcome';
export type { Clock } from './ports/clock';
export type { LiveWorkers } from './ports/live-workers';
export { ALL_WORKER_SLOTS } from './auto-windows';
export { systemClock } from './ports/clock';
export { DEFAULT_HEARTBEAT_MS, startWorker, WORKER_SPAN_NAME } from './worker-loop';
export type { WorkerOptions } from './worker-loop';
export { InMemoryTaskQueue } from './in-memory/task-queue';
export { InMemoryResultChannel } from './in-memory/result-channel';
export { InMemoryTrialJournal } from './in-memory/trial-journal';
export { FileTrialJournal } from './file/trial-journal';
export { createTableSearchFactory, TableTrialEvaluator } from './tabular';
export type { DeviceCatalog } from './tabular';
export { startEmbedded } from './embedded';
export type { Embedded, EmbeddedOptions } from './embedded';
export { SPAN_NAMES, metricAttributes } from './search-trace';
export { contextFromTraceparent, formatTraceparent, RUNTIME_SCOPE } from './trace-context';
