import { readFileSync } from 'node:fs';
import { InvalidArgumentError, NasError } from '@hwnas/bench-core';
import { connect, credsAuthenticator, errors as natsErrors, nanos, tokenAuthenticator, usernamePasswordAuthenticator } from '@nats-io/transport-node';
import type { Authenticator, NatsConnection } from '@nats-io/transport-node';
import { DiscardPolicy, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import type { JetStreamManager, StreamConfig, StreamInfo } from '@nats-io/jetstream';
import { isTransientNatsError, jetStreamErrorCode, sleep, toNasError } from './nats-errors';
import type { NatsNames } from './subjects';

/** How a client authenticates: user/password, a token, or a `.creds` file (JWT + NKey seed). */
export type NatsCredentials = { readonly user: string; readonly pass: string } | { readonly token: string } | { readonly credsFile: string };

/** The `--help` lines of `--stream-replicas`, shared by the apps that create the streams (coordinator, worker). */
export const STREAM_REPLICAS_HELP = `  --stream-replicas N   copies JetStream keeps of each stream (tasks, results, search journals),
                        1..5 (default 1; 3 on a three-server NATS cluster). Existing streams are
                        raised to N, never lowered: the highest value any coordinator or worker
                        asks for wins                                               (HWNAS_STREAM_REPLICAS)`;

/** What every app's `--help` says about NATS credentials (read by {@link natsCredentialsFromEnv}). */
export const NATS_CREDENTIALS_HELP = `NATS credentials (environment only): HWNAS_NATS_USER + HWNAS_NATS_PASS, HWNAS_NATS_TOKEN, or
  HWNAS_NATS_CREDS (path of a .creds file).`;

/**
 * NATS credentials from the environment, in this order: a .creds file, a token, user and
 * password; undefined for none. `who` (the app) prefixes the error for a user without a password.
 */
export function natsCredentialsFromEnv(env: Readonly<Record<string, string | undefined>>, who: string): NatsCredentials | undefined {
  if (env.HWNAS_NATS_CREDS) return { credsFile: env.HWNAS_NATS_CREDS };
  if (env.HWNAS_NATS_TOKEN) return { token: env.HWNAS_NATS_TOKEN };
  if (env.HWNAS_NATS_USER) {
    if (env.HWNAS_NATS_PASS === undefined) throw new InvalidArgumentError(`${who}: HWNAS_NATS_USER is set but HWNAS_NATS_PASS is not`);
    return { user: env.HWNAS_NATS_USER, pass: env.HWNAS_NATS_PASS };
  }
  return undefined;
}

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
  /** How long trainer reports are kept, milliseconds (default 1 day; a search's are purged when it ends). */
  readonly reportsMaxAgeMs?: number;
  /** Trainer reports kept per search (the oldest go first), default 100 000. */
  readonly reportsPerSearch?: number;
  /**
   * Replicas (copies on distinct servers) each stream should have at least: 1..5, default 1; 3 on
   * a three-server JetStream cluster, so that losing one server loses nothing. The apps take it
   * from `--stream-replicas` (`HWNAS_STREAM_REPLICAS`). See {@link ensureStreams} for existing
   * streams: replicas are raised, never lowered.
   */
  readonly replicas?: number;
}

/** Most replicas a JetStream stream can have. */
export const MAX_STREAM_REPLICAS = 5;

/** What {@link ensureStreams} did to one stream, and the replicas the stream has now. */
export interface EnsuredStream {
  readonly name: string;
  readonly action: 'created' | 'updated' | 'unchanged';
  /** `num_replicas` of the stream now: the replicas asked for, or more if it already had more. */
  readonly replicas: number;
}

/**
 * The stream configurations hwnas uses (pure):
 * - eval: work-queue retention (a task is removed once acknowledged or terminated), file storage,
 *   so queued tasks survive a server restart;
 * - results: limits retention with a max age, so a restarted coordinator can re-read results it
 *   had not acknowledged;
 * - journal: limits retention without any limit: journals are the source of truth and are never
 *   expired by the server;
 * - reports: trainers' intermediate reports, limits retention (1 day, 100 000 per search), so a
 *   restarted coordinator journals those published while it was down.
 */
export function streamConfigs(names: NatsNames, opts: StreamOptions = {}): StreamConfig[] {
  const duplicate_window = nanos(opts.duplicateWindowMs ?? 120_000);
  const num_replicas = opts.replicas ?? 1;
  if (!Number.isSafeInteger(num_replicas) || num_replicas < 1 || num_replicas > MAX_STREAM_REPLICAS) {
    throw new InvalidArgumentError(`stream replicas must be an integer from 1 to ${MAX_STREAM_REPLICAS}, got ${num_replicas}`);
  }
  const common = { storage: StorageType.File, discard: DiscardPolicy.Old, num_replicas, duplicate_window, max_msgs: -1, max_bytes: -1, max_msgs_per_subject: -1 };
  return [
    { ...common, name: names.streams.eval, subjects: [names.wildcards.eval], retention: RetentionPolicy.Workqueue, max_age: 0 },
    { ...common, name: names.streams.results, subjects: [names.wildcards.results], retention: RetentionPolicy.Limits, max_age: nanos(opts.resultsMaxAgeMs ?? 7 * 24 * 3_600_000) },
    { ...common, name: names.streams.journal, subjects: [names.wildcards.journal], retention: RetentionPolicy.Limits, max_age: 0 },
    {
      ...common,
      name: names.streams.reports,
      subjects: [names.wildcards.reports],
      retention: RetentionPolicy.Limits,
      max_age: nanos(opts.reportsMaxAgeMs ?? 24 * 3_600_000),
      max_msgs_per_subject: opts.reportsPerSearch ?? 100_000,
    },
  ] as StreamConfig[];
}

const STREAM_NOT_FOUND = 10059;
const STREAM_NAME_IN_USE = 10058;
/** "replicas > 1 not supported in non-clustered mode" (a standalone server; 2.9 says so on create only). */
const REPLICAS_NOT_SUPPORTED = 10074;
/** "no suitable peers for placement": fewer JetStream servers (up) than replicas. */
const NO_SUITABLE_PEERS = 10005;
/** Where the replicas come from, for error messages (both apps have this flag). */
const REPLICAS_SETTING = '--stream-replicas (HWNAS_STREAM_REPLICAS)';
/** Settings compared (and updated) when a stream already exists. */
const UPDATABLE = ['subjects', 'max_age', 'duplicate_window', 'num_replicas', 'max_msgs', 'max_bytes', 'max_msgs_per_subject', 'discard'] as const;

/**
 * Creates the eval, results, journal and reports streams of `names`, or updates their mutable settings
 * when they exist with other values. Idempotent, and safe to run from every process at start
 * (concurrent creators race harmlessly, also on a cluster: see `infoOrCreate`).
 *
 * Replicas follow one rule: **raised, never lowered**. A stream gets `opts.replicas` when it has
 * fewer (1 -> 3 is done in place: the server copies the stream, and its consumers, to the new
 * peers), and keeps what it has when it has more. So when processes disagree (a coordinator with
 * 3, a worker left at the default 1) the streams end up with the highest count any of them asked
 * for, whichever starts first, and a process with a low setting can never strip a cluster's
 * copies. Lowering is an operator's decision: `nats stream edit NAME --replicas N`. The result
 * says what each stream has now.
 *
 * A new stream is created with one replica and then raised like an existing one, so that
 * processes racing to create it all send the same configuration: nats-server 2.9 can record the
 * replicas of a racing create with other replicas without placing them (config 3, one copy). A
 * stream found in that state (fewer peers than its configured replicas, with a leader elected) is
 * repaired: its configuration is lowered to the peers it has, then raised.
 *
 * Throws NasError `failed_precondition` when a stream exists with a retention or storage that
 * cannot be changed in place, or when the replicas asked for cannot be had: more than 1 on a
 * server that is not part of a JetStream cluster (the server would accept the update of an
 * existing stream and still keep one copy: checked here, never silently kept at 1), or more than
 * the cluster has servers up; the message names `--stream-replicas`. `unavailable` when JetStream
 * cannot be reached; `invalid_argument` for replicas outside 1..5.
 */
export async function ensureStreams(nc: NatsConnection, names: NatsNames, opts: StreamOptions = {}): Promise<EnsuredStream[]> {
  const configs = streamConfigs(names, opts);
  let jsm;
  try {
    jsm = await jetstreamManager(nc);
  } catch (e) {
    throw toNasError(e, 'connecting to JetStream');
  }
  const out: EnsuredStream[] = [];
  for (const cfg of configs) {
    try {
      out.push(await ensureStream(jsm, cfg));
    } catch (e) {
      throw toNasError(e, `ensuring stream ${cfg.name}`);
    }
  }
  return out;
}

/** One stream of {@link ensureStreams}. */
async function ensureStream(jsm: JetStreamManager, cfg: StreamConfig): Promise<EnsuredStream> {
  const wanted = cfg.num_replicas;
  let created = false;
  for (let attempt = 1; ; attempt++) {
    const info = await infoOrCreate(jsm, { ...cfg, num_replicas: 1 });
    if (!info) {
      // Right after a create, a cluster may still answer "not found" (and accept the same create
      // again): read it back a few times.
      if (created && attempt >= RACE_ATTEMPTS) throw new NasError(`stream ${cfg.name}: created, but not found since`, 'unavailable', true);
      created = true;
      if (wanted === 1) return { name: cfg.name, action: 'created', replicas: 1 };
      await sleep(50 * attempt);
      continue; // read it back, then raise it
    }
    let have = info.config;
    if (have.retention !== cfg.retention || have.storage !== cfg.storage) {
      throw new NasError(
        `stream ${cfg.name} exists with retention ${have.retention}/${have.storage}, expected ${cfg.retention}/${cfg.storage}; delete or migrate it`,
        'failed_precondition',
      );
    }
    // A standalone server has no cluster name. It refuses to create a stream with more than one
    // replica but (2.9) accepts raising an existing one, and then still keeps one copy.
    if (wanted > 1 && !info.cluster?.name) {
      throw new NasError(
        `stream ${cfg.name}: ${wanted} replicas asked for by ${REPLICAS_SETTING}, but the NATS server is not part of a JetStream cluster, so it keeps one copy; ` +
          `use --stream-replicas 1 with a single server, or run a cluster of at least ${wanted} servers`,
        'failed_precondition',
      );
    }
    let had = have.num_replicas ?? 1;
    // Never lowered: the replicas configured (even if not all placed, see below) are kept.
    const target = { ...cfg, num_replicas: Math.max(wanted, had) };
    let repaired = false;
    try {
      const peers = peerCount(info);
      if (peers !== undefined && peers < had) {
        // Configured for more copies than are placed (see ensureStreams): an update to the same
        // count does nothing, so lower the configuration to what exists, then raise it below.
        await jsm.streams.update(cfg.name, { ...have, num_replicas: peers });
        have = { ...have, num_replicas: peers };
        had = peers;
        repaired = true;
      }
      const differs = UPDATABLE.some((k) => JSON.stringify(have[k]) !== JSON.stringify(target[k]));
      if (differs) await jsm.streams.update(cfg.name, { ...have, ...pick(target) });
      return { name: cfg.name, action: created ? 'created' : differs || repaired ? 'updated' : 'unchanged', replicas: target.num_replicas };
    } catch (e) {
      // Another process updating the same stream at the same moment: on a 2.9 cluster one of the
      // two requests can go unanswered. Read the stream again and decide again.
      if (isTransientNatsError(e) && attempt < RACE_ATTEMPTS) {
        await sleep(100 * attempt);
        continue;
      }
      throw replicasError(e, cfg.name, had, target.num_replicas);
    }
  }
}

/**
 * Servers holding a copy of a clustered stream (its leader and the other peers, offline or not),
 * or undefined when that cannot be told: a standalone server, or no leader elected yet.
 */
function peerCount(info: StreamInfo): number | undefined {
  const leader = info.cluster?.leader;
  if (!leader) return undefined;
  return new Set([leader, ...(info.cluster?.replicas ?? []).map((r) => r.name)]).size;
}

/** Tries of {@link infoOrCreate} before it gives up on a stream another process is creating. */
const RACE_ATTEMPTS = 4;

/**
 * The stream's info, or undefined once this call created it. When another process creates the
 * same stream at the same moment (coordinator and workers start together), this call's create is
 * refused (10058, other settings) or, on a 2.9 cluster, goes unanswered until the request times
 * out, and so may the info of the stream until its replicas have elected a leader, even with the
 * same settings. Both are retried a few times; the stream is then compared like any existing one.
 */
async function infoOrCreate(jsm: JetStreamManager, cfg: StreamConfig): Promise<StreamInfo | undefined> {
  for (let attempt = 1; ; attempt++) {
    const retry = attempt < RACE_ATTEMPTS;
    try {
      return await jsm.streams.info(cfg.name);
    } catch (e) {
      if (isTransientNatsError(e) && retry) {
        await sleep(100 * attempt);
        continue;
      }
      if (jetStreamErrorCode(e) !== STREAM_NOT_FOUND) throw e;
    }
    try {
      await jsm.streams.add(cfg);
      return undefined;
    } catch (e) {
      const raced = jetStreamErrorCode(e) === STREAM_NAME_IN_USE || isTransientNatsError(e);
      if (!raced || !retry) throw e;
      await sleep(100 * attempt);
    }
  }
}

/** A failed create or update, explained in terms of `--stream-replicas` when replicas are why. */
function replicasError(e: unknown, stream: string, had: number, wanted: number): unknown {
  const code = jetStreamErrorCode(e);
  if (wanted > had && (code === REPLICAS_NOT_SUPPORTED || code === NO_SUITABLE_PEERS)) {
    const why = code === REPLICAS_NOT_SUPPORTED ? 'the NATS server is not part of a JetStream cluster' : 'the NATS cluster has fewer JetStream servers up than that';
    return new NasError(
      `stream ${stream}: cannot have ${wanted} replicas (${REPLICAS_SETTING}): ${why} (server: ${(e as Error).message}); ` +
        `lower --stream-replicas to at most the number of NATS servers, or start the missing servers`,
      'failed_precondition',
      false,
      { cause: e },
    );
  }
  if (wanted > had) return toNasError(e, `raising stream ${stream} from ${had} to ${wanted} replicas (${REPLICAS_SETTING})`);
  return e;
}

function pick(cfg: StreamConfig): Partial<StreamConfig> {
  const out: Record<string, unknown> = {};
  for (const k of UPDATABLE) out[k] = cfg[k];
  return out as Partial<StreamConfig>;
}

/** The two calls of a pino-style logger that {@link ensureStreamsAtStart} makes. */
export interface StartLog {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
}

/**
 * {@link ensureStreams} as an app starting up does it (coordinator, worker), with the outcome
 * logged: `streams ready` with each stream's replicas, or a warning when streams keep more
 * replicas than `replicas` asks for (they are raised, never lowered: the highest value any
 * process asked for wins).
 */
export async function ensureStreamsAtStart(nc: NatsConnection, names: NatsNames, replicas: number, log: StartLog): Promise<EnsuredStream[]> {
  const streams = await ensureStreams(nc, names, { replicas });
  const now = Object.fromEntries(streams.map((s) => [s.name, s.replicas]));
  if (streams.some((s) => s.replicas > replicas)) {
    log.warn({ replicas: now, streamReplicas: replicas }, 'streams keep more replicas than --stream-replicas asks for: they are never lowered at start (nats stream edit NAME --replicas N does)');
  } else {
    log.info({ replicas: now }, 'streams ready');
  }
  return streams;
}
