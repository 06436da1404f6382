import { readFileSync } from 'node:fs';
import { readServiceFlags } from '@hwnas/telemetry';
import { InvalidArgumentError } from '@hwnas/bench-core';
import { parseListen } from '@hwnas/dashboard';
import { MAX_STREAM_REPLICAS, NATS_CREDENTIALS_HELP, natsCredentialsFromEnv, STREAM_REPLICAS_HELP } from '@hwnas/transport-nats';
import type { NatsCredentials } from '@hwnas/transport-nats';

/** Usage text of the coordinator. */
export const USAGE = `coordinator [options]

  Runs searches over NATS JetStream and serves hwnas.v1.SearchService and BenchmarkService over
  gRPC (with health checking and reflection). Every flag can also be set by its variable; a flag wins.

  --listen HOST:PORT    gRPC address (default 0.0.0.0:50051)                        (HWNAS_LISTEN)
  --http HOST:PORT      also serve the web dashboard here (off by default; same token) (HWNAS_HTTP)
  --trace-url URL       the dashboard's link to a search's trace, with {traceId}
                        (default http://127.0.0.1:16686/trace/{traceId}: Jaeger)    (HWNAS_TRACE_URL)
  --nats URL            NATS server(s), comma-separated (default nats://127.0.0.1:4222) (HWNAS_NATS_URL)
  --prefix P            NATS subject prefix (default hwnas)                         (HWNAS_NATS_PREFIX)
  --data DIR            benchmark data directory                                    (HWNAS_DATA)
                        (also the references of the cost models that screen searches submitted with
                        cost_model; their calibrations are read from the NATS key-value bucket it
                        names, by default P-cost-models: hwnas-cost-models for the default prefix)
  --token-file FILE     file holding the bearer token every RPC must carry          (HWNAS_API_TOKEN_FILE)
                        or the token itself in HWNAS_API_TOKEN (preferred: a file or the environment;
                        --token TOKEN works too but shows in ps)
  --no-auth             accept calls without a token (local experiments only)
  --tls-cert FILE, --tls-key FILE   serve TLS                                       (HWNAS_TLS_CERT, HWNAS_TLS_KEY)
  --max-budget N        largest budget accepted (default 100000)                    (HWNAS_MAX_BUDGET)
  --max-in-flight N     largest max_in_flight accepted (default 1024)               (HWNAS_MAX_IN_FLIGHT)
  --max-message-bytes N largest request accepted (default 4194304)                  (HWNAS_MAX_MESSAGE_BYTES)
  --result-concurrency N results applied per batch at most (default 256)            (HWNAS_RESULT_CONCURRENCY)
  --max-running-searches N  searches running at once; later ones wait as PENDING (default 16; 0: no limit)
                                                                                    (HWNAS_MAX_RUNNING_SEARCHES)
  --task-timeout S      seconds without a result before an evaluation is recorded failed
                        (deadline_exceeded) so its search goes on; counted from the last worker
                        heartbeat naming it, so a live worker's training never times out;
                        0 disables (default 600) (HWNAS_TASK_TIMEOUT)
${STREAM_REPLICAS_HELP}

  ${NATS_CREDENTIALS_HELP}`;

/** The coordinator's configuration. */
export interface CoordinatorConfig {
  readonly listen: string;
  /** Address of the web dashboard; undefined: not served. */
  readonly http?: string;
  /** Trace link template of the dashboard (`{traceId}`); undefined: the dashboard's default. */
  readonly traceUrl?: string;
  readonly natsUrl: string;
  readonly prefix: string;
  readonly dataDir?: string;
  /** Bearer token; undefined only with --no-auth. */
  readonly token?: string;
  /** Set when the token came from the command line (the app warns: it shows in `ps`). */
  readonly tokenOnCommandLine?: boolean;
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  readonly credentials?: NatsCredentials;
  readonly maxBudget: number;
  readonly maxInFlight: number;
  readonly maxMessageBytes: number;
  readonly resultConcurrency: number;
  /** See `CoordinatorOptions.maxRunningSearches` (0: no limit). */
  readonly maxRunningSearches: number;
  /** See `CoordinatorOptions.taskTimeoutMs` (0: never). */
  readonly taskTimeoutMs: number;
  /** Replicas of the JetStream streams (`StreamOptions.replicas` of ensureStreams): 1..5. */
  readonly streamReplicas: number;
}

const ENV: Record<string, string> = {
  listen: 'HWNAS_LISTEN',
  http: 'HWNAS_HTTP',
  'trace-url': 'HWNAS_TRACE_URL',
  nats: 'HWNAS_NATS_URL',
  prefix: 'HWNAS_NATS_PREFIX',
  data: 'HWNAS_DATA',
  'token-file': 'HWNAS_API_TOKEN_FILE',
  'tls-cert': 'HWNAS_TLS_CERT',
  'tls-key': 'HWNAS_TLS_KEY',
  'max-budget': 'HWNAS_MAX_BUDGET',
  'max-in-flight': 'HWNAS_MAX_IN_FLIGHT',
  'max-message-bytes': 'HWNAS_MAX_MESSAGE_BYTES',
  'result-concurrency': 'HWNAS_RESULT_CONCURRENCY',
  'task-timeout': 'HWNAS_TASK_TIMEOUT',
  'max-running-searches': 'HWNAS_MAX_RUNNING_SEARCHES',
  'stream-replicas': 'HWNAS_STREAM_REPLICAS',
};

/**
 * Reads the configuration from flags and environment (a flag wins). Throws InvalidArgumentError
 * naming the flag. `readFile` is injectable for tests.
 */
export function readCoordinatorConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  readFile: (file: string) => Buffer = (f) => readFileSync(f),
): CoordinatorConfig {
  const { values, get, int } = readServiceFlags('coordinator', argv, env, ENV, { token: { type: 'string' }, 'no-auth': { type: 'boolean' } });
  const read = (flag: string, file: string): Buffer => {
    try {
      return readFile(file);
    } catch (e) {
      throw new InvalidArgumentError(`coordinator: --${flag} ${file}: ${(e as Error).message}`);
    }
  };
  let token: string | undefined;
  const tokenFile = get('token-file');
  if (values.token !== undefined) token = String(values.token).trim();
  else if (tokenFile) token = read('token-file', tokenFile).toString('utf8').trim();
  else if (env.HWNAS_API_TOKEN) token = env.HWNAS_API_TOKEN.trim();
  if (token === '') throw new InvalidArgumentError('coordinator: the API token is empty');
  if (token === undefined && !values['no-auth']) {
    throw new InvalidArgumentError('coordinator: an API token is required: HWNAS_API_TOKEN, --token-file FILE (HWNAS_API_TOKEN_FILE), or --no-auth for local experiments');
  }
  const cert = get('tls-cert');
  const key = get('tls-key');
  if ((cert === undefined) !== (key === undefined)) throw new InvalidArgumentError('coordinator: give both --tls-cert and --tls-key, or neither');
  const listen = get('listen') ?? '0.0.0.0:50051';
  if (!/^.+:\d+$/.test(listen)) throw new InvalidArgumentError(`coordinator: --listen must be HOST:PORT, got "${listen}"`);
  const http = get('http');
  if (http !== undefined) parseListen(http, 'coordinator: --http');
  const traceUrl = get('trace-url');
  if (traceUrl !== undefined && !traceUrl.includes('{traceId}')) throw new InvalidArgumentError(`coordinator: --trace-url must contain {traceId}, got "${traceUrl}"`);
  return {
    listen,
    ...(http !== undefined ? { http } : {}),
    ...(traceUrl !== undefined ? { traceUrl } : {}),
    natsUrl: get('nats') ?? 'nats://127.0.0.1:4222',
    prefix: get('prefix') ?? 'hwnas',
    ...(get('data') ? { dataDir: get('data') } : {}),
    ...(token !== undefined ? { token } : {}),
    ...(values.token !== undefined ? { tokenOnCommandLine: true } : {}),
    ...(cert && key ? { tls: { cert: read('tls-cert', cert), key: read('tls-key', key) } } : {}),
    ...(natsCredentialsFromEnv(env, 'coordinator') ? { credentials: natsCredentialsFromEnv(env, 'coordinator') } : {}),
    maxBudget: int('max-budget', 100_000, 1),
    maxInFlight: int('max-in-flight', 1024, 1),
    maxMessageBytes: int('max-message-bytes', 4 * 1024 * 1024, 1024),
    resultConcurrency: int('result-concurrency', 256, 1),
    taskTimeoutMs: int('task-timeout', 600, 0) * 1000,
    maxRunningSearches: int('max-running-searches', 16, 0),
    streamReplicas: int('stream-replicas', 1, 1, MAX_STREAM_REPLICAS),
  };
}
