import { readFileSync } from 'node:fs';
import { InvalidArgumentError, NasError } from '@hwnas/bench-core';
import { connect, credsAuthenticator, errors as natsErrors, nanos, tokenAuthenticator, usernamePasswordAuthenticator } from '@nats-io/transport-node';
import type { Authenticator, NatsConnection } from '@nats-io/transport-node';
import { DiscardPolicy, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import type { StreamConfig } from '@nats-io/jetstream';
import { jetStreamErrorCode, toNasError } from './nats-errors';
import type { NatsNames } from './subjects';

/** How a client authenticates: user/password, a token, or a `.creds` file (JWT + NKey seed). */
export type NatsCredentials = { readonly user: string; readonly pass: string } | { readonly token: string } | { readonly credsFile: string };

/** Options of {@link connectNats}. */
export interface ConnectNatsOptions {
  /** Server URLs, e.g. `nats://nats:4222` (several for a cluster). */
  readonly servers: string | readonly string[];
  /** Connection name shown by the server's monitoring (e.g. `worker-3`). */
  readonly name: string;
  readonly credentials?: NatsCredentials;
  /** Pause between reconnect attempts, milliseconds (default 250). */
  readonly reconnectTimeWaitMs?: number;
  /** Timeout of the first connection attempt, milliseconds (default 5000). */
  readonly connectTimeoutMs?: number;
  /**
   * Keep trying when no server is reachable at start instead of failing (default false). Pods
   * that start before the NATS server want true.
   */
  readonly waitOnFirstConnect?: boolean;
}

/**
 * Connects to NATS with settings meant for long-running services: unlimited reconnect attempts
 * every `reconnectTimeWaitMs`, so that a restarted or failed-over server is picked up again, and
 * subscriptions and the JetStream consumers built on this connection resume by themselves. The
 * caller owns the connection and closes (or drains) it. Throws NasError `unavailable` when no
 * server can be reached on the first attempt (unless `waitOnFirstConnect`), `failed_precondition`
 * when the server refuses the credentials, `invalid_argument` for malformed options.
 */
export async function connectNats(opts: ConnectNatsOptions): Promise<NatsConnection> {
  const servers = typeof opts.servers === 'string' ? [opts.servers] : [...opts.servers];
  if (servers.length === 0) throw new InvalidArgumentError('connectNats: at least one server URL is required');
  try {
    return await connect({
      servers,
      name: opts.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: opts.reconnectTimeWaitMs ?? 250,
      timeout: opts.connectTimeoutMs ?? 5000,
      waitOnFirstConnect: opts.waitOnFirstConnect ?? false,
      ...(opts.credentials ? { authenticator: authenticatorFor(opts.credentials) } : {}),
    });
  } catch (e) {
    const where = `connecting to NATS at ${servers.join(',')}`;
    // Wrong credentials are a configuration problem: retrying the same ones cannot help.
    if (e instanceof natsErrors.AuthorizationError || e instanceof natsErrors.UserAuthenticationExpiredError) {
      throw new NasError(`${where}: ${e.message}`, 'failed_precondition', false, { cause: e });
    }
    throw toNasError(e, where);
  }
}

function authenticatorFor(c: NatsCredentials): Authenticator {
  if ('credsFile' in c) {
    // Read on every (re)connect so that a rotated creds file (mounted secret) is picked up.
    return credsAuthenticator(() => readFileSync(c.credsFile));
  }
  if ('token' in c) return tokenAuthenticator(c.token);
  if ('user' in c) return usernamePasswordAuthenticator(c.user, c.pass);
  throw new InvalidArgumentError('connectNats: credentials need {user, pass}, {token} or {credsFile}');
}

/** Options of {@link ensureStreams} and {@link streamConfigs}. */
export interface StreamOptions {
  /** Window in which a repeated msgID (task id, result id) is dropped, milliseconds (default 120000). */
  readonly duplicateWindowMs?: number;
  /** How long results are kept (acknowledged or not), milliseconds (default 7 days). */
  readonly resultsMaxAgeMs?: number;
  /** Replicas of each stream (default 1; 3 on a clustered server). */
  readonly replicas?: number;
}

/**
 * The stream configurations hwnas uses (pure):
 * - eval: work-queue retention (a task is removed once acknowledged or terminated), file storage,
 *   so queued tasks survive a server restart;
 * - results: limits retention with a max age, so a restarted coordinator can re-read results it
 *   had not acknowledged;
 * - journal: limits retention without any limit: journals are the source of truth and are never
 *   expired by the server.
 */
export function streamConfigs(names: NatsNames, opts: StreamOptions = {}): StreamConfig[] {
  const duplicate_window = nanos(opts.duplicateWindowMs ?? 120_000);
  const num_replicas = opts.replicas ?? 1;
  const common = { storage: StorageType.File, discard: DiscardPolicy.Old, num_replicas, duplicate_window, max_msgs: -1, max_bytes: -1, max_msgs_per_subject: -1 };
  return [
    { ...common, name: names.streams.eval, subjects: [names.wildcards.eval], retention: RetentionPolicy.Workqueue, max_age: 0 },
    { ...common, name: names.streams.results, subjects: [names.wildcards.results], retention: RetentionPolicy.Limits, max_age: nanos(opts.resultsMaxAgeMs ?? 7 * 24 * 3_600_000) },
    { ...common, name: names.streams.journal, subjects: [names.wildcards.journal], retention: RetentionPolicy.Limits, max_age: 0 },
  ] as StreamConfig[];
}

const STREAM_NOT_FOUND = 10059;
const STREAM_NAME_IN_USE = 10058;
/** Settings compared (and updated) when a stream already exists. */
const UPDATABLE = ['subjects', 'max_age', 'duplicate_window', 'num_replicas', 'max_msgs', 'max_bytes', 'max_msgs_per_subject', 'discard'] as const;

/**
 * Creates the eval, results and journal streams of `names`, or updates their mutable settings
 * when they exist with other values. Idempotent, and safe to run from every process at start
 * (concurrent creators race harmlessly). Throws NasError `failed_precondition` when a stream
 * exists with a retention or storage that cannot be changed in place, `unavailable` when
 * JetStream cannot be reached.
 */
export async function ensureStreams(nc: NatsConnection, names: NatsNames, opts: StreamOptions = {}): Promise<void> {
  let jsm;
  try {
    jsm = await jetstreamManager(nc);
  } catch (e) {
    throw toNasError(e, 'connecting to JetStream');
  }
  for (const cfg of streamConfigs(names, opts)) {
    try {
      let info;
      try {
        info = await jsm.streams.info(cfg.name);
      } catch (e) {
        if (jetStreamErrorCode(e) !== STREAM_NOT_FOUND) throw e;
        try {
          await jsm.streams.add(cfg);
          continue;
        } catch (e2) {
          // Someone else created it between our info and add: compare with theirs below.
          if (jetStreamErrorCode(e2) !== STREAM_NAME_IN_USE) throw e2;
          info = await jsm.streams.info(cfg.name);
        }
      }
      const have = info.config;
      if (have.retention !== cfg.retention || have.storage !== cfg.storage) {
        throw new NasError(
          `stream ${cfg.name} exists with retention ${have.retention}/${have.storage}, expected ${cfg.retention}/${cfg.storage}; delete or migrate it`,
          'failed_precondition',
        );
      }
      const differs = UPDATABLE.some((k) => JSON.stringify(have[k]) !== JSON.stringify(cfg[k]));
      if (differs) await jsm.streams.update(cfg.name, { ...have, ...pick(cfg) });
    } catch (e) {
      throw toNasError(e, `ensuring stream ${cfg.name}`);
    }
  }
}

function pick(cfg: StreamConfig): Partial<StreamConfig> {
  const out: Record<string, unknown> = {};
  for (const k of UPDATABLE) out[k] = cfg[k];
  return out as Partial<StreamConfig>;
}
