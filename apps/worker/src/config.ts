import { readServiceFlags } from '@hwnas/telemetry';
import { InvalidArgumentError } from '@hwnas/bench-core';
import { DEFAULT_HEARTBEAT_MS } from '@hwnas/runtime';
import { DEFAULT_TASK_ACK_WAIT_MS, MAX_STREAM_REPLICAS, NATS_CREDENTIALS_HELP, natsCredentialsFromEnv, STREAM_REPLICAS_HELP } from '@hwnas/transport-nats';
import type { NatsCredentials } from '@hwnas/transport-nats';

/** Usage text of the worker. */
export const USAGE = `worker [options]

  Takes evaluation tasks off the JetStream work queue (durable pull consumer, explicit ack),
  evaluates them (benchmark tables; device costs from device agents over NATS request/reply),
  publishes the results, then acknowledges. Stateless: run any number of replicas. Every second
  it tells the coordinator its slots and the tasks it holds (core NATS, <prefix>.worker.heartbeat.<id>).
  Every flag can also be set by its variable; a flag wins.

  --nats URL            NATS server(s), comma-separated (default nats://127.0.0.1:4222) (HWNAS_NATS_URL)
  --prefix P            NATS subject prefix (default hwnas)                         (HWNAS_NATS_PREFIX)
  --data DIR            benchmark data directory                                    (HWNAS_DATA)
  --concurrency N       tasks evaluated at once (default 16)                        (HWNAS_CONCURRENCY)
  --max-deliveries N    deliveries before a task is reported failed (default 5)     (HWNAS_MAX_DELIVERIES)
  --ack-wait-ms N       redeliver a task whose worker went silent this long (default 2000) (HWNAS_ACK_WAIT_MS)
  --heartbeat-ms N      keep a running task's lease alive this often (default 500, or ack wait / 4 if less) (HWNAS_HEARTBEAT_MS)
  --device-timeout-ms N wait for one device agent reply (default 30000)             (HWNAS_DEVICE_TIMEOUT_MS)
  --device-retries N    extra device requests after a timeout (default 2)           (HWNAS_DEVICE_RETRIES)
  --worker-id ID        id recorded in results (default <host>-<pid>)               (HWNAS_WORKER_ID)
  --trainer CMD         train for accuracy: run CMD per evaluation under the trainer contract
                        hwnas.trainer/v1 (docs/trainer-contract.md); costs still from tables/devices (HWNAS_TRAINER)
  --trainer-slots N     trainers at once, e.g. one per GPU (default 1; replaces --concurrency) (HWNAS_TRAINER_SLOTS)
  --epochs N            epochs a trainer trains to when a task names no fidelity (default 200) (HWNAS_TRAINER_EPOCHS)
  --work-root DIR       trial work dirs (checkpoints), shared by all workers (default /tmp/hwnas-work) (HWNAS_WORK_ROOT)
  --trainer-timeout-s N kill a trainer's process group after N seconds (default: none) (HWNAS_TRAINER_TIMEOUT_S)
  --oneshot-trainer CMD run the supernet tasks of one-shot searches (darts, na-darts, nas-ood) with CMD,
                        e.g. trainers/pytorch/oneshot/search.py, on the trainer slots; needs --trainer,
                        which retrains derived architectures (HWNAS_ONESHOT_TRAINER)
${STREAM_REPLICAS_HELP}

  ${NATS_CREDENTIALS_HELP}`;

/** The worker's configuration. */
export interface WorkerConfig {
  readonly natsUrl: string;
  readonly prefix: string;
  readonly dataDir?: string;
  readonly concurrency: number;
  readonly maxDeliveries: number;
  readonly ackWaitMs: number;
  /** How often a running evaluation renews its lease (`WorkerOptions.heartbeatMs`), below `ackWaitMs`. */
  readonly heartbeatMs: number;
  readonly deviceTimeoutMs: number;
  readonly deviceRetries: number;
  readonly workerId?: string;
  readonly credentials?: NatsCredentials;
  /** Replicas of the JetStream streams (`StreamOptions.replicas` of ensureStreams): 1..5. */
  readonly streamReplicas: number;
  /** `--trainer`: train for accuracy with this command (absent: table accuracy). */
  readonly trainer?: {
    readonly command: string;
    readonly slots: number;
    readonly epochs: number;
    readonly workRoot: string;
    readonly timeoutS?: number;
    /** `--oneshot-trainer`: the command of one-shot searches' supernet tasks (absent: this worker refuses them). */
    readonly oneShotCommand?: string;
  };
}

const ENV: Record<string, string> = {
  nats: 'HWNAS_NATS_URL',
  prefix: 'HWNAS_NATS_PREFIX',
  data: 'HWNAS_DATA',
  concurrency: 'HWNAS_CONCURRENCY',
  'max-deliveries': 'HWNAS_MAX_DELIVERIES',
  'ack-wait-ms': 'HWNAS_ACK_WAIT_MS',
  'heartbeat-ms': 'HWNAS_HEARTBEAT_MS',
  'device-timeout-ms': 'HWNAS_DEVICE_TIMEOUT_MS',
  'device-retries': 'HWNAS_DEVICE_RETRIES',
  'worker-id': 'HWNAS_WORKER_ID',
  'stream-replicas': 'HWNAS_STREAM_REPLICAS',
  trainer: 'HWNAS_TRAINER',
  'trainer-slots': 'HWNAS_TRAINER_SLOTS',
  epochs: 'HWNAS_TRAINER_EPOCHS',
  'work-root': 'HWNAS_WORK_ROOT',
  'trainer-timeout-s': 'HWNAS_TRAINER_TIMEOUT_S',
  'oneshot-trainer': 'HWNAS_ONESHOT_TRAINER',
};

/** Reads the configuration from flags and environment (a flag wins); InvalidArgumentError names the flag. */
export function readWorkerConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): WorkerConfig {
  const { get, int } = readServiceFlags('worker', argv, env, ENV);
  const credentials = natsCredentialsFromEnv(env, 'worker');
  const ackWaitMs = int('ack-wait-ms', DEFAULT_TASK_ACK_WAIT_MS, 100);
  // Unset: the default, or a quarter of a shorter lease, so any --ack-wait-ms works on its own.
  const heartbeatMs = int('heartbeat-ms', Math.max(10, Math.min(DEFAULT_HEARTBEAT_MS, Math.floor(ackWaitMs / 4))), 10);
  // A heartbeat slower than the lease would let a live worker's tasks go to others.
  if (heartbeatMs * 2 > ackWaitMs) throw new InvalidArgumentError(`worker: --heartbeat-ms (${heartbeatMs}) must be at most half of --ack-wait-ms (${ackWaitMs})`);
  // Supernet tasks run on trainer slots, and the retrain stage needs the ordinary trainer.
  if (get('oneshot-trainer') && !get('trainer')) throw new InvalidArgumentError('worker: --oneshot-trainer needs --trainer (its slots run the supernet tasks; it retrains derived architectures)');
  return {
    natsUrl: get('nats') ?? 'nats://127.0.0.1:4222',
    prefix: get('prefix') ?? 'hwnas',
    ...(get('data') ? { dataDir: get('data') } : {}),
    concurrency: int('concurrency', 16, 1),
    maxDeliveries: int('max-deliveries', 5, 1),
    ackWaitMs,
    heartbeatMs,
    deviceTimeoutMs: int('device-timeout-ms', 30_000, 1),
    deviceRetries: int('device-retries', 2, 0),
    streamReplicas: int('stream-replicas', 1, 1, MAX_STREAM_REPLICAS),
    ...(get('worker-id') ? { workerId: get('worker-id') } : {}),
    ...(credentials ? { credentials } : {}),
    ...(get('trainer')
      ? {
          trainer: {
            command: get('trainer')!,
            slots: int('trainer-slots', 1, 1),
            epochs: int('epochs', 200, 1),
            workRoot: get('work-root') ?? '/tmp/hwnas-work',
            ...(get('trainer-timeout-s') ? { timeoutS: int('trainer-timeout-s', 0, 1) } : {}),
            ...(get('oneshot-trainer') ? { oneShotCommand: get('oneshot-trainer') } : {}),
          },
        }
      : {}),
  };
}
