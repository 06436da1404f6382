/**
 * The worker process: reads flags and environment, connects to NATS (reconnecting forever) and
 * evaluates tasks until SIGTERM or SIGINT, then hands back what it holds (other workers take it at
 * once) and exits 0.
 *
 *   node --import tsx apps/worker/src/main.ts --nats nats://127.0.0.1:4222 --data DIR --concurrency 16
 *
 * Traces (a `worker.evaluate` span per task delivery, child of the coordinator's `evaluate` span)
 * and metrics go to OpenTelemetry when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (see `./telemetry.ts`).
 *
 * Exit codes: 0 after a graceful stop, 2 for bad flags, 1 when NATS fails.
 */
// First: the OpenTelemetry SDK must be registered before anything creates spans or meters.
import { telemetry } from './telemetry';
import { hostname } from 'node:os';
import { Benchmark, isNasError } from '@hwnas/bench-core';
import { ReportsBeforeResults, startWorker, TableTrialEvaluator } from '@hwnas/runtime';
import type { StopOrder, TrialEvaluator, TrialReportSink } from '@hwnas/runtime';
import { OneShotTaskEvaluator, ProcessTrainerEvaluator, TrainedWithCostsEvaluator } from '@hwnas/trainer-process';
import { connectNats, createNames, ensureStreamsAtStart, NatsResultChannel, NatsTaskQueue, NatsTrialReportChannel, RemoteDeviceClient, startWorkerHeartbeat } from '@hwnas/transport-nats';
import { exitOnStartError, stopOnSignal, traceLogMixin } from '@hwnas/telemetry';
import pino from 'pino';
import { readWorkerConfig, USAGE } from './config';

async function main(argv: readonly string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const cfg = readWorkerConfig(argv, process.env);
  const workerId = cfg.workerId ?? `${hostname()}-${process.pid}`;
  const log = pino({ base: { app: 'worker', worker: workerId }, mixin: traceLogMixin });
  const bench = Benchmark.open({ dataDir: cfg.dataDir });
  const nc = await connectNats({ servers: cfg.natsUrl.split(','), name: `worker-${workerId}`, credentials: cfg.credentials, waitOnFirstConnect: true });
  const names = createNames(cfg.prefix);
  await ensureStreamsAtStart(nc, names, cfg.streamReplicas, log);
  const onError = (err: unknown, context: string) => log.warn({ err: isNasError(err) ? err.message : String(err), context }, 'background failure');
  const devices = new RemoteDeviceClient({ nc, names, timeoutMs: cfg.deviceTimeoutMs, retries: cfg.deviceRetries });
  const tables = new TableTrialEvaluator(bench, devices);
  // --trainer: accuracy from real training, --trainer-slots processes at once; logs carry the trial id.
  // Intermediate reports go to the coordinator, whose scheduler may order a trial stopped.
  const reports = cfg.trainer ? new NatsTrialReportChannel({ nc, names, onError }) : undefined;
  // A trial's result goes out once its reports are stored: a worker lost after it loses none.
  const ordered = reports ? new ReportsBeforeResults(reports, onError) : undefined;
  // One way to run a trainer command, for the ordinary trainer and the one-shot supernet alike.
  const processTrainer = (t: NonNullable<typeof cfg.trainer>, command: string, onReport?: TrialReportSink) =>
    new ProcessTrainerEvaluator({
      command,
      workRoot: t.workRoot,
      epochs: t.epochs,
      ...(t.timeoutS ? { timeoutMs: t.timeoutS * 1000 } : {}),
      log: (e) => log.info({ search: e.searchId, trial: e.trialId, stream: e.stream }, e.line),
      ...(onReport ? { onReport } : {}),
    });
  const trainer = cfg.trainer ? processTrainer(cfg.trainer, cfg.trainer.command, ordered?.sink) : undefined;
  const trained: TrialEvaluator | undefined = trainer ? new TrainedWithCostsEvaluator(trainer, tables) : undefined;
  // --oneshot-trainer: one-shot searches' supernet tasks, in the same work root (a retried task resumes there).
  const supernet = cfg.trainer?.oneShotCommand ? processTrainer(cfg.trainer, cfg.trainer.oneShotCommand) : undefined;
  const trainers = [trainer, supernet].filter((t) => t !== undefined);
  // A trial order stops one trainer; a whole-search order (the search was cancelled or ended) ends
  // its trainers, supernets included, and refuses its later tasks.
  const onStop = (o: StopOrder) => {
    if (o.type === 'trial') return void trainers.forEach((t) => t.stopTrial(o.searchId, o.trialId, o.epoch));
    const ended = trainers.reduce((n, t) => n + t.stopSearch(o.searchId), 0);
    if (ended > 0) log.info({ search: o.searchId, ended }, 'search stopped: its trainers were ended');
  };
  const stopOrders = trainer && reports ? await reports.subscribeStops(onStop) : undefined;
  // Every task goes through the one-shot evaluator: a one-shot stage this worker cannot run is refused, not mistaken for an ordinary evaluation.
  const evaluator: TrialEvaluator = new OneShotTaskEvaluator({
    costs: tables,
    other: trained ?? tables,
    ...(supernet ? { supernet } : {}),
    ...(trained ? { retrain: trained } : {}),
    ...(ordered ? { onReport: ordered.sink } : {}),
  });
  const concurrency = cfg.trainer ? cfg.trainer.slots : cfg.concurrency;
  const running = new Set<string>();
  const results = new NatsResultChannel({ nc, names, onError });
  const sub = await startWorker({
    queue: new NatsTaskQueue({ nc, names, ackWaitMs: cfg.ackWaitMs, onError }),
    results: ordered ? ordered.results(results) : results,
    evaluator,
    workerId,
    concurrency,
    maxDeliveries: cfg.maxDeliveries,
    heartbeatMs: cfg.heartbeatMs,
    running,
  });
  // Tells the coordinator this worker's slots (a search without --parallelism uses them all) and
  // the tasks it holds (their deadlines then follow its lease, however long they train).
  const stopHeartbeat = startWorkerHeartbeat({ nc, names, workerId, concurrency, running: () => running });
  log.info({ concurrency, prefix: cfg.prefix, trainer: cfg.trainer?.command }, 'consuming');
  // SIGTERM hands the tasks in progress back to the queue at once, for other workers to run; trainers
  // run in their own process groups and are ended (SIGTERM, then SIGKILL), and the redelivered
  // tasks resume from the checkpoints under --work-root.
  const stop = async () => {
    stopHeartbeat();
    await stopOrders?.stop();
    for (const t of trainers) t.abortAll('worker stopping');
    return sub.handBack();
  };
  stopOnSignal({ stop, nats: nc, telemetry, log });
}

main(process.argv.slice(2)).catch(exitOnStartError('worker'));
