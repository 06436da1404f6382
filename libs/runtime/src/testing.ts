/**
 * Test helpers shipped as `@hwnas/runtime/testing`; import them from spec files only. The
 * conformance suites every task queue, result channel and trial journal passes (in memory here,
 * NATS in libs/transport-nats), the evaluators tests use to stall or slow workers, and a plain
 * cost model for screened searches.
 */
export { describeTaskQueueConformance } from './testing/task-queue-conformance';
export type { TaskQueueHarness } from './testing/task-queue-conformance';
export { describeResultChannelConformance } from './testing/result-channel-conformance';
export type { ResultChannelHarness } from './testing/result-channel-conformance';
export { describeTrialJournalConformance } from './testing/trial-journal-conformance';
export type { TrialJournalHarness } from './testing/trial-journal-conformance';
export { pause, sampleEvent, sampleResult, sampleTask, uniqueSearchId, waitUntil } from './testing/transport-fixtures';
export { stallingAfter } from './testing/stalling-evaluator';
export { ratioCostModels } from './testing/ratio-cost-models';
export type { RatioCostModelsOptions } from './testing/ratio-cost-models';
