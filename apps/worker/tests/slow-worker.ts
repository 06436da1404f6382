/**
 * A worker process whose evaluations take `--eval-ms` (a stand-in for a training run), built from
 * the same parts as the real worker (startWorker, NatsTaskQueue, NatsResultChannel, the worker
 * heartbeat, stopOnSignal with hand-back). Prints `started <taskId>` when an evaluation begins. For the recovery tests.
 *
 *   node --import tsx apps/worker/tests/slow-worker.ts --nats URL --prefix P --eval-ms 60000 \
 *     [--ack-wait-ms MS] [--heartbeat-ms MS] [--concurrency 4] [--worker-id ID]
 */
import { parseArgs } from 'node:util';
import { NasError } from '@hwnas/bench-core';
import type { Metrics } from '@hwnas/bench-core';
import { startWorker } from '@hwnas/runtime';
import type { EvalTask } from '@hwnas/runtime';
import { connectNats, createNames, NatsResultChannel, NatsTaskQueue, startWorkerHeartbeat } from '@hwnas/transport-nats';
import { startTelemetry, stopOnSignal } from '@hwnas/telemetry';
import pino from 'pino';

const { values } = parseArgs({
  options: {
    nats: { type: 'string' },
    prefix: { type: 'string' },
    'eval-ms': { type: 'string' },
    'ack-wait-ms': { type: 'string' },
    'heartbeat-ms': { type: 'string' },
    concurrency: { type: 'string', default: '4' },
    'worker-id': { type: 'string', default: `slow-${process.pid}` },
  },
});

/** Resolves after `ms`, or rejects as cancelled when the task is handed back. */
function train(task: EvalTask, ms: number, signal?: AbortSignal): Promise<Metrics> {
  process.stdout.write(`started ${task.taskId}\n`);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve({ accuracy: 90, train_ms: ms }), ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new NasError(`training of ${task.taskId} stopped`, 'cancelled'));
    });
  });
}

async function main(): Promise<void> {
  const nc = await connectNats({ servers: values.nats!, name: values['worker-id'] });
  const names = createNames(values.prefix);
  const evalMs = Number(values['eval-ms']);
  const running = new Set<string>();
  const sub = await startWorker({
    // Without flags: the defaults of the real worker.
    queue: new NatsTaskQueue({ nc, names, ...(values['ack-wait-ms'] ? { ackWaitMs: Number(values['ack-wait-ms']) } : {}) }),
    results: new NatsResultChannel({ nc, names }),
    evaluator: { evaluate: (task, signal) => train(task, evalMs, signal) },
    workerId: values['worker-id']!,
    concurrency: Number(values.concurrency),
    ...(values['heartbeat-ms'] ? { heartbeatMs: Number(values['heartbeat-ms']) } : {}),
    running,
  });
  const stopHeartbeat = startWorkerHeartbeat({ nc, names, workerId: values['worker-id']!, concurrency: Number(values.concurrency), running: () => running });
  stopOnSignal({ stop: () => (stopHeartbeat(), sub.handBack()), nats: nc, telemetry: startTelemetry({ serviceName: 'hwnas-slow-worker' }), log: pino({ base: { app: 'slow-worker' } }) });
  process.stdout.write('consuming\n');
}

main().catch((e) => {
  process.stderr.write(`slow-worker: ${String(e)}\n`);
  process.exit(1);
});
