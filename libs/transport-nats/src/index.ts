/**
 * @hwnas/transport-nats: the NATS adapters of the runtime ports. A JetStream work queue for
 * evaluation tasks ({@link NatsTaskQueue}), a JetStream result channel ({@link NatsResultChannel}),
 * a JetStream journal per search ({@link JetStreamTrialJournal}), and remote device measurements
 * over core request/reply ({@link RemoteDeviceClient}, wire types in `device-protocol.ts`). All
 * names come from {@link createNames}; {@link connectNats} and {@link ensureStreams} set things up.
 */
export { createNames, encodeToken, decodeToken } from './subjects';
export type { NatsNames } from './subjects';
export { connectNats, ensureStreams, ensureStreamsAtStart, MAX_STREAM_REPLICAS, NATS_CREDENTIALS_HELP, natsCredentialsFromEnv, STREAM_REPLICAS_HELP, streamConfigs } from './connect';
export type { ConnectNatsOptions, EnsuredStream, NatsCredentials, StartLog, StreamOptions } from './connect';
export { DEFAULT_TASK_ACK_WAIT_MS, NatsTaskQueue } from './nats-task-queue';
export type { NatsTaskQueueOptions } from './nats-task-queue';
export { NatsResultChannel } from './nats-result-channel';
export type { NatsResultChannelOptions } from './nats-result-channel';
export { NatsTrialReportChannel } from './nats-trial-report-channel';
export type { NatsTrialReportChannelOptions } from './nats-trial-report-channel';
export { JetStreamTrialJournal, JOURNAL_SEQ_HEADER } from './jetstream-trial-journal';
export type { JetStreamTrialJournalOptions } from './jetstream-trial-journal';
export { RemoteDeviceClient, DEVICE_REQUEST_SPAN_NAME } from './remote-device-client';
export type { RemoteDeviceClientOptions } from './remote-device-client';
export { encodeMeasureRequest, parseMeasureRequest, encodeMeasureReply, parseMeasureReply, errorReply, isRetryableCode } from './device-protocol';
export type { MeasureRequest, MeasureReply, MeasureReplyOk, MeasureReplyError } from './device-protocol';
export { DEFAULT_WORKER_HEARTBEAT_MS, NatsWorkerRegistry, parseWorkerHeartbeat, startWorkerHeartbeat } from './worker-heartbeat';
export type { WorkerHeartbeat, WorkerHeartbeatOptions } from './worker-heartbeat';
export { injectNatsHeaders, extractFromNatsHeaders, natsHeaderGetter, natsHeaderSetter, TRANSPORT_NATS_SCOPE } from './trace-context';
export { NatsCostModelStore, CostModelNotFoundError, COST_MODEL_BUCKET } from './cost-model-store';
