import { parseArgs } from 'node:util';
import { InvalidArgumentError } from '@hwnas/bench-core';
import { deviceIdProblem } from '@hwnas/device-backends';
import { NATS_CREDENTIALS_HELP, natsCredentialsFromEnv } from '@hwnas/transport-nats';
import type { NatsCredentials } from '@hwnas/transport-nats';

/** Everything the agent process needs, from flags and environment. */
export interface AgentConfig {
  readonly natsUrl: string;
  /** Subject prefix (default `hwnas`); tests use their own. */
  readonly prefix: string;
  /** The backend to run (`--device`). */
  readonly device: string;
  /**
   * The device id to register under (`--device-id`), when it differs from the backend's own id;
   * undefined means the backend's id. Validated by `deviceIdProblem`.
   */
  readonly deviceId?: string;
  /** Benchmark data directory, for the replay devices (else `$HWNAS_DATA` as bench-core reads it). */
  readonly dataDir?: string;
  readonly credentials?: NatsCredentials;
  readonly concurrency?: number;
  readonly cacheSize?: number;
  readonly maxQueue?: number;
  readonly heartbeatMs?: number;
  readonly timeoutMs?: number;
  /** host-cpu: intra-op threads, warm-up runs and timed samples. */
  readonly threads?: number;
  readonly warmup?: number;
  readonly repeats?: number;
  /** Test only: artificial pause before each measurement. */
  readonly delayMs?: number;
}

/** Flag -> environment variable, for every option that has one. */
const ENV: Readonly<Record<string, string>> = {
  nats: 'HWNAS_NATS_URL',
  prefix: 'HWNAS_NATS_PREFIX',
  device: 'HWNAS_DEVICE',
  'device-id': 'HWNAS_DEVICE_ID',
  data: 'HWNAS_DATA',
  concurrency: 'HWNAS_CONCURRENCY',
  'cache-size': 'HWNAS_CACHE_SIZE',
  'max-queue': 'HWNAS_MAX_QUEUE',
  'heartbeat-ms': 'HWNAS_HEARTBEAT_MS',
  'timeout-ms': 'HWNAS_TIMEOUT_MS',
  threads: 'HWNAS_THREADS',
  warmup: 'HWNAS_WARMUP',
  repeats: 'HWNAS_REPEATS',
  'delay-ms': 'HWNAS_DELAY_MS',
};

/** Usage text of the agent command. */
export const USAGE = `device-agent --device BACKEND [--device-id ID] [--nats URL] [options]

  Serves one device backend on NATS under a device id (default: the backend's id): request/reply on
  <prefix>.device.<ID>.measure (queue group hwnas-device-<ID>), heartbeats on
  <prefix>.device.heartbeat.<ID>, stats on <prefix>.device.<ID>.stats.
  Every flag can also be set by its environment variable; a flag wins.

  --device BACKEND    asic-eyeriss | fpga-zc706 | host-cpu | raspi4 | pixel3 | edgegpu   (HWNAS_DEVICE)
  --device-id ID      register under ID instead of the backend's id, e.g. edge-arm64 for a
                      host-cpu agent on an ARM board: searches name ID, and its metrics are
                      <ID with - as _>_latency (edge_arm64_latency). Lower-case letters, digits
                      and single hyphens, starting with a letter, at most 63 characters; not
                      another backend's id (default: BACKEND)                              (HWNAS_DEVICE_ID)
  --nats URL          NATS server(s), comma-separated (default nats://127.0.0.1:4222)     (HWNAS_NATS_URL)
  --prefix P          subject prefix (default hwnas)                                      (HWNAS_NATS_PREFIX)
  --data DIR          benchmark data directory, for raspi4 / pixel3 / edgegpu             (HWNAS_DATA)
  --concurrency N     measurements at once (default 1 for host-cpu, which allows only 1; 4 otherwise) (HWNAS_CONCURRENCY)
  --cache-size N      results kept in the LRU cache (default 10000; 0 = off)              (HWNAS_CACHE_SIZE)
  --max-queue N       queued requests before replying resource_exhausted (default 1000)   (HWNAS_MAX_QUEUE)
  --heartbeat-ms N    heartbeat period (default 5000)                                     (HWNAS_HEARTBEAT_MS)
  --timeout-ms N      per-request deadline, queue wait included (default 30000)           (HWNAS_TIMEOUT_MS)
  --threads N, --warmup N, --repeats N
                      host-cpu timing: intra-op threads (1), warm-up runs (5), samples (30)
  --delay-ms N        TEST ONLY: sleep N ms before every measurement (a stand-in slow device) (HWNAS_DELAY_MS)

  ${NATS_CREDENTIALS_HELP}`;

/**
 * Reads the agent configuration from `argv` (flags) and `env`; a flag wins over its variable.
 * Pure apart from its arguments. Throws InvalidArgumentError naming the flag for an unknown flag,
 * a missing device, a device id that cannot be registered under, or a malformed number.
 */
export function readAgentConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): AgentConfig {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: Object.fromEntries(Object.keys(ENV).map((k) => [k, { type: 'string' as const }])),
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new InvalidArgumentError(`device-agent: ${(e as Error).message}`);
  }
  const get = (flag: string): string | undefined => {
    const v = (values[flag] as string | undefined) ?? env[ENV[flag]];
    return v === undefined || v === '' ? undefined : v;
  };
  const int = (flag: string, min: number): number | undefined => {
    const raw = get(flag);
    if (raw === undefined) return undefined;
    const v = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(v) || v < min) {
      throw new InvalidArgumentError(`device-agent: --${flag} (${ENV[flag]}) must be an integer >= ${min}, got "${raw}"`);
    }
    return v;
  };
  const device = get('device');
  if (!device) throw new InvalidArgumentError(`device-agent: --device (${ENV.device}) is required\n\n${USAGE}`);
  const deviceId = get('device-id');
  const problem = deviceId === undefined ? undefined : deviceIdProblem(deviceId, device);
  if (problem) throw new InvalidArgumentError(`device-agent: --device-id (${ENV['device-id']}) ${problem}`);
  return {
    natsUrl: get('nats') ?? 'nats://127.0.0.1:4222',
    prefix: get('prefix') ?? 'hwnas',
    device,
    ...(deviceId !== undefined && deviceId !== device ? { deviceId } : {}),
    dataDir: get('data'),
    credentials: natsCredentialsFromEnv(env, 'device-agent'),
    concurrency: int('concurrency', 1),
    cacheSize: int('cache-size', 0),
    maxQueue: int('max-queue', 0),
    heartbeatMs: int('heartbeat-ms', 1),
    timeoutMs: int('timeout-ms', 1),
    threads: int('threads', 1),
    warmup: int('warmup', 0),
    repeats: int('repeats', 1),
    delayMs: int('delay-ms', 0),
  };
}
