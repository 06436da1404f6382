/**
 * The coordinator process: reads flags and environment, connects to NATS, rebuilds running
 * searches from their journals, and serves gRPC until SIGTERM or SIGINT.
 *
 *   HWNAS_API_TOKEN=secret node --import tsx apps/coordinator/src/main.ts --nats nats://127.0.0.1:4222 --data DIR
 *
 * Logs JSON lines (pino) to stdout; one line `{"msg":"listening","port":N}` once serving; lines
 * logged inside a span carry `trace_id`/`span_id`. Traces and metrics go to OpenTelemetry when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` is set (see `./telemetry.ts`).
 * Exit codes: 0 after a graceful stop, 2 for bad flags, 1 when NATS or the server fails.
 */
// First: the OpenTelemetry SDK must be registered before anything creates spans or meters.
import { observeQueueDepth, telemetry } from './telemetry';
import { hostname } from 'node:os';
import { autoscalerSettingsFromEnv, createKubernetesWorkerScaler, startAutoscaler } from '@hwnas/autoscaler';
import { Benchmark, getSpace, isNasError } from '@hwnas/bench-core';
import { CoordinatorDashboardSource, startDashboardServer } from '@hwnas/dashboard';
import { Coordinator, createTableSearchFactory } from '@hwnas/runtime';
import { storedCostModels } from '@hwnas/cost-model';
import { connectNats, createNames, ensureStreamsAtStart, NatsCostModelStore, JetStreamTrialJournal, NatsResultChannel, NatsTaskQueue, NatsTrialReportChannel, NatsWorkerRegistry } from '@hwnas/transport-nats';
import type { NatsCredentials } from '@hwnas/transport-nats';
import { exitOnStartError, stopOnSignal, traceLogMixin } from '@hwnas/telemetry';
import pino from 'pino';
import { readCoordinatorConfig, USAGE } from './config';
import { HeartbeatDeviceRegistry, offlineDeviceMetrics } from './device-registry';
import { DEFAULT_REQUEST_LIMITS } from './grpc/mappers';
import { startGrpcServer } from './server';

async function main(argv: readonly string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const cfg = readCoordinatorConfig(argv, process.env);
  const log = pino({ base: { app: 'coordinator', pid: process.pid }, mixin: traceLogMixin });
  if (cfg.tokenOnCommandLine) log.warn('the API token was given with --token: other users can read it with ps; prefer HWNAS_API_TOKEN or --token-file');
  const bench = Benchmark.open({ dataDir: cfg.dataDir });
  const nc = await connectNats({ servers: cfg.natsUrl.split(','), name: `coordinator-${hostname()}-${process.pid}`, credentials: cfg.credentials, waitOnFirstConnect: true });
  const names = createNames(cfg.prefix);
  await ensureStreamsAtStart(nc, names, cfg.streamReplicas, log);
  const onError = (err: unknown, context: string) => log.warn({ err: isNasError(err) ? err.message : String(err), context }, 'background failure');
  // The offline metrics are used only while rebuilding searches at start, before agents' heartbeats have arrived.
  const registry = new HeartbeatDeviceRegistry(nc, names, 15_000, Date.now, offlineDeviceMetrics(bench), log);
  registry.start();
  // Workers' heartbeats: their slots (searches without max_in_flight use them all) and the tasks
  // they hold (whose deadlines then follow the workers' leases).
  const workers = new NatsWorkerRegistry(nc, names);
  workers.start();
  // One line whenever the live workers change (ids and slots), so an operator sees what a search
  // without max_in_flight will use.
  let seenWorkers = '';
  const workerLog = setInterval(() => {
    const live = workers.list();
    const key = live.map((w) => `${w.workerId}:${w.concurrency}`).join(',');
    if (key !== seenWorkers) log.info({ workers: live.length, slots: workers.slots(), ids: live.map((w) => w.workerId).slice(0, 20) }, 'live workers');
    seenWorkers = key;
  }, 5000);
  workerLog.unref();
  // Searches with a cost model read its calibration from the key-value bucket `hwnas calibrate --nats` stores into:
  // the one a request names, else the cluster's (`<prefix>-cost-models`, as `hwnas calibrate --prefix P` defaults to).
  // Their references (over a second of CPU) are computed when the first screened search is
  // submitted, in slices between which the coordinator keeps serving: nothing at start.
  const costModels = bench.dataDir !== undefined ? storedCostModels({ dataDir: bench.dataDir, read: (device, bucket) => new NatsCostModelStore(nc, bucket ?? names.costModelBucket).get(device) }) : undefined;
  const limits = { ...DEFAULT_REQUEST_LIMITS, maxBudget: cfg.maxBudget, maxInFlight: cfg.maxInFlight };
  const queue = new NatsTaskQueue({ nc, names, onError });
  observeQueueDepth(() => queue.backlog());
  const journal = new JetStreamTrialJournal({ nc, names });
  const coordinator = new Coordinator({
    queue,
    // A short ack wait: results are applied in milliseconds, and after a coordinator crash the
    // results it held unacknowledged come back this soon to its successor.
    results: new NatsResultChannel({ nc, names, concurrency: cfg.resultConcurrency, ackWaitMs: 5000, onError }),
    journal,
    // Trainer searches: workers' intermediate reports in, stop orders of the scheduler out.
    reports: new NatsTrialReportChannel({ nc, names, onError }),
    factory: createTableSearchFactory(bench, registry),
    ...(costModels ? { costModels } : {}),
    limits,
    taskTimeoutMs: cfg.taskTimeoutMs,
    maxRunningSearches: cfg.maxRunningSearches,
    workers,
    onError,
    log,
  });
  registry.lenient = true;
  await coordinator.start();
  registry.lenient = false;
  log.info({ searches: coordinator.list().length, running: coordinator.runningCount }, 'recovered searches from the journal');
  const grpc = await startGrpcServer({ coordinator, bench, devices: registry, listen: cfg.listen, token: cfg.token, tls: cfg.tls, limits, maxMessageBytes: cfg.maxMessageBytes, log });
  log.info({ port: grpc.port, tls: Boolean(cfg.tls), auth: cfg.token !== undefined, prefix: cfg.prefix }, 'listening');
  log.info({ nats: cfg.natsUrl, prefix: cfg.prefix, coordinatorCredentials: credentialsKind(cfg.credentials) }, workerCredentialsHint(cfg.credentials));
  const dashboard = cfg.http
    ? await startDashboardServer({
        source: new CoordinatorDashboardSource({
          coordinator,
          journal,
          catalog: registry,
          listDevices: () => registry.list().map((d) => ({ deviceId: d.deviceId, kind: d.kind, description: d.description, metrics: d.metrics, agents: d.agentCount, lastSeenAtMs: d.lastHeartbeatAtMs })),
          backlog: () => queue.backlog(),
          metricInfo: (space, dataset) => bench.metrics(getSpace(space), dataset),
        }),
        listen: cfg.http,
        ...(cfg.token !== undefined ? { token: cfg.token } : {}),
        ...(cfg.traceUrl !== undefined ? { traceUrlTemplate: cfg.traceUrl } : {}),
      })
    : undefined;
  if (dashboard) log.info({ url: dashboard.url, auth: cfg.token !== undefined }, 'dashboard');

  // Elastic workers: only inside a Kubernetes cluster with HWNAS_AUTOSCALE_* set; off elsewhere.
  const scaling = autoscalerSettingsFromEnv(process.env);
  const scaler = scaling && (await createKubernetesWorkerScaler({ deployment: scaling.deployment, namespace: scaling.namespace }));
  const autoscaler = scaler
    ? startAutoscaler({
        scaler,
        backlog: () => queue.backlog(),
        ...scaling,
        onDecision: (t) => t.applied && log.info({ target: t.target, backlog: t.backlog, from: t.current, to: t.decision.replicas, reason: t.decision.reason }, 'scaled workers'),
        onError: (e) => log.warn({ err: e.message, code: e.code }, 'autoscaler'),
      })
    : undefined;
  log.info({ autoscaler: scaler ? scaler.target : 'off' }, 'autoscaler');

  const stop = async () => {
    await autoscaler?.stop();
    await dashboard?.close();
    await grpc.stop();
    await coordinator.stop();
    registry.stop();
    clearInterval(workerLog);
    workers.stop();
  };
  stopOnSignal({ stop, nats: nc, telemetry, log });
}

/** How this coordinator authenticates to NATS (never the secret itself). */
function credentialsKind(c: NatsCredentials | undefined): string {
  if (!c) return 'none';
  if ('credsFile' in c && c.credsFile) return `creds file ${c.credsFile}`;
  if ('token' in c && c.token) return 'token (HWNAS_NATS_TOKEN)';
  return 'user and password (HWNAS_NATS_USER, HWNAS_NATS_PASS)';
}

/** The line that tells an operator where workers get their NATS credentials from. */
function workerCredentialsHint(c: NatsCredentials | undefined): string {
  const how = c
    ? 'workers and device agents read their own NATS credentials from the same variables (HWNAS_NATS_CREDS, HWNAS_NATS_TOKEN, or HWNAS_NATS_USER with HWNAS_NATS_PASS); the coordinator does not hand them out'
    : 'NATS without credentials: workers and device agents connect with none (set HWNAS_NATS_CREDS, HWNAS_NATS_TOKEN or HWNAS_NATS_USER/HWNAS_NATS_PASS on every process to use them)';
  return `worker credentials: ${how}; start workers with --nats URL --prefix PREFIX`;
}

main(process.argv.slice(2)).catch(exitOnStartError('coordinator'));
