import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { InvalidArgumentError, NasError, getSpace } from '@hwnas/bench-core';
import type { Metrics } from '@hwnas/bench-core';
import type { DeviceBackend, DeviceInfo, DeviceKind, DeviceSupport, MeasureRequest, MeasurementMethod } from '@hwnas/device-backends';
import { deviceMetricInfos, registeredAs, toSearchMetrics } from '@hwnas/device-backends';
import { createNames, encodeMeasureReply, errorReply, parseMeasureRequest } from '@hwnas/transport-nats';
import type { NatsNames } from '@hwnas/transport-nats';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { LruCache } from './lru-cache';
import { inMeasureSpan, noteMeasured, noteRefused, noteRequest } from './tracing';
import { WorkQueue } from './work-queue';

/** Thrown (as an error reply) when the agent's queue is full; retryable: another replica or later. */
export class AgentOverloadedError extends NasError {
  override name = 'AgentOverloadedError';
  constructor(device: string, maxQueue: number) {
    super(`device ${device}: ${maxQueue} measurements are already queued; try again later`, 'resource_exhausted', true);
  }
}

/** Thrown (as an error reply) when a request was not measured within the agent's timeout. */
export class MeasurementTimeoutError extends NasError {
  override name = 'MeasurementTimeoutError';
  constructor(device: string, timeoutMs: number) {
    super(`device ${device}: no result within ${timeoutMs} ms (queue wait included)`, 'deadline_exceeded', true);
  }
}

/** Thrown (as an error reply) to requests that arrive while the agent shuts down. */
export class AgentDrainingError extends NasError {
  override name = 'AgentDrainingError';
  constructor(device: string) {
    super(`device ${device}: this agent is shutting down`, 'unavailable', true);
  }
}

/** Minimal structured logger (a pino logger fits). */
export interface AgentLogger {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

/** Options of {@link startDeviceAgent}. */
export interface DeviceAgentOptions {
  /** The connection; the caller owns it (the agent never closes it). */
  readonly nc: NatsConnection;
  /** The backend to serve; the agent closes it in `stop()`. */
  readonly backend: DeviceBackend;
  /**
   * The device id to register under (default: the backend's own id). Subjects, queue group,
   * heartbeats, stats and a search's device ids use it, and an id other than the backend's own
   * decides the search metric names (`edge-arm64` -> `edge_arm64_latency`; see `registeredAs` in
   * `@hwnas/device-backends`). Give agents that run one backend on different hardware (an x86 node,
   * an ARM board) different ids, so that their measurements stay apart.
   */
  readonly deviceId?: string;
  /** Subject names (default `createNames()`: prefix `hwnas`). */
  readonly names?: NatsNames;
  /**
   * Measurements run at once (default 1 for a `measured` backend, 4 otherwise). A measured backend
   * is one physical device: anything above 1 is rejected, since parallel runs disturb the timings.
   */
  readonly concurrency?: number;
  /** Results kept, least recently used evicted first (default 10000; 0 disables the cache). */
  readonly cacheSize?: number;
  /** Requests that may wait for a free slot; more are answered `resource_exhausted` (default 1000). */
  readonly maxQueue?: number;
  /** Per-request deadline from receipt, queue wait included, ms (default 30000). */
  readonly timeoutMs?: number;
  /** Heartbeat period, ms (default 5000). */
  readonly heartbeatMs?: number;
  /**
   * Test only: an artificial pause before each measurement, ms (default 0). Lets tests stand in a
   * slow real device with a simulator, e.g. to kill an agent mid-request.
   */
  readonly delayMs?: number;
  /** Instance id in heartbeats and stats (default `<host>-<pid>-<random>`). */
  readonly agentId?: string;
  readonly logger?: AgentLogger;
}

/** What heartbeats and stats replies carry. Counters are since `startedAt`. */
export interface AgentStats {
  readonly type: 'device_agent_stats';
  /** Instance id: several agents may serve one device. */
  readonly agent: string;
  /** The device id it registered under (what searches name). */
  readonly device: string;
  /** The backend it runs (`DeviceInfo.id` of the backend); equals `device` unless registered under an id of its own. */
  readonly backend: string;
  readonly kind: DeviceKind;
  /** The backend's one-paragraph description (`DeviceInfo.description`), which ListDevices shows. */
  readonly description: string;
  /** Search metric names the device reports (`eyeriss_latency`, ..., `edge_arm64_latency` under an id of its own). */
  readonly metrics: readonly string[];
  readonly supports: readonly DeviceSupport[];
  readonly state: 'serving' | 'draining' | 'stopped';
  readonly queueLength: number;
  readonly inFlight: number;
  /** Most measurements that ever ran at once (1 for a measured device, by construction). */
  readonly peakInFlight: number;
  readonly concurrency: number;
  /** Requests received (answered or not yet). */
  readonly received: number;
  /** Success replies, cache hits included. */
  readonly served: number;
  readonly cacheHits: number;
  /** Requests that joined an identical measurement already queued or running. */
  readonly coalesced: number;
  readonly cacheSize: number;
  /** Error replies of any kind (bad input, device errors, timeouts, overload). */
  readonly errors: number;
  readonly timeouts: number;
  /** ISO time the agent started. */
  readonly startedAt: string;
  readonly host: string;
  readonly pid: number;
}

/** A running agent. */
export interface DeviceAgent {
  /** The backend's description under the id the agent registered (`id`, `metricPrefix`). */
  readonly info: DeviceInfo;
  /** The backend it runs. */
  readonly backend: string;
  /** The subjects it serves. */
  readonly subjects: { readonly measure: string; readonly heartbeat: string; readonly stats: string };
  /** A snapshot of its counters and state. */
  stats(): AgentStats;
  /**
   * Graceful stop: stops taking requests (the queue group hands new ones to other replicas),
   * answers everything already received, publishes a last heartbeat (`state: 'stopped'`) and
   * closes the backend. Idempotent; does not close the connection.
   */
  stop(): Promise<void>;
}

/** The queue group of a device's agents: one request reaches one of them. */
export function queueGroupOf(deviceId: string): string {
  return `hwnas-device-${deviceId}`;
}

/**
 * The stats subject of a device: `<prefix>.device.<deviceId>.stats`, derived from the measure
 * subject so that the id is encoded the same way. Every agent of the device answers (no queue
 * group); use a request-many to hear from all of them.
 */
export function statsSubjectOf(names: NatsNames, deviceId: string): string {
  return names.deviceMeasureSubject(deviceId).replace(/\.measure$/, '.stats');
}

interface Result {
  readonly metrics: Metrics;
  readonly method: MeasurementMethod;
}

/** One measurement shared by every identical request waiting for it. */
interface Job {
  readonly promise: Promise<Result>;
  readonly abort: AbortController;
  waiters: number;
}

/**
 * Puts `backend` on NATS: a request/reply service on `<prefix>.device.<id>.measure` in the queue
 * group `hwnas-device-<id>` (bodies: `@hwnas/transport-nats` device-protocol; success replies
 * carry HW-NAS-Bench metric names plus `device`, `cached` and `method`), heartbeats on
 * `<prefix>.device.heartbeat.<id>` every `heartbeatMs`, and a stats responder on
 * `<prefix>.device.<id>.stats` (both {@link AgentStats}). `<id>` is `deviceId`, by default the
 * backend's own id; under an id of its own the metric names follow that id (`registeredAs`).
 *
 * Requests run through a FIFO with `concurrency` slots (1 for measured devices), results are cached
 * by (device, space, dataset, canonical arch) in an LRU, and identical requests in flight share one
 * measurement. Every request gets exactly one reply: metrics, or `{ error: { code, message,
 * retryable } }`: `invalid_argument` for bad input (malformed body, unknown space, malformed arch,
 * unsupported dataset), `resource_exhausted` when the queue is full, `deadline_exceeded` after
 * `timeoutMs`, the backend's NasError code otherwise, and `internal` (generic message, details
 * logged) for anything else. Bad input never stops the agent.
 *
 * Resolves once the subscriptions are active on the server. Throws InvalidArgumentError for
 * invalid options (a `deviceId` that `deviceIdProblem` rejects among them).
 */
export async function startDeviceAgent(opts: DeviceAgentOptions): Promise<DeviceAgent> {
  const { nc, backend } = opts;
  const backendInfo = backend.describe();
  // From here on, `info` is the registration: its id and metric prefix are the device's.
  const info = registeredAs(backendInfo, opts.deviceId ?? backendInfo.id);
  const names = opts.names ?? createNames();
  const measured = info.kind === 'measured';
  // Units of the reply's metrics (search names, e.g. eyeriss_latency in ms), for the span.
  const metricUnits = deviceMetricInfos(info);
  const concurrency = opts.concurrency ?? (measured ? 1 : 4);
  const cacheSize = opts.cacheSize ?? 10_000;
  const maxQueue = opts.maxQueue ?? 1000;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const heartbeatMs = opts.heartbeatMs ?? 5000;
  const delayMs = opts.delayMs ?? 0;
  const intIn = (name: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) throw new InvalidArgumentError(`device agent: ${name} must be an integer >= ${min}, got ${v}`);
  };
  intIn('concurrency', concurrency, 1);
  intIn('cacheSize', cacheSize, 0);
  intIn('maxQueue', maxQueue, 0);
  intIn('timeoutMs', timeoutMs, 1);
  intIn('heartbeatMs', heartbeatMs, 1);
  intIn('delayMs', delayMs, 0);
  if (measured && concurrency !== 1) {
    throw new InvalidArgumentError(`device agent: ${info.id} is a real device (kind measured): concurrency must be 1, got ${concurrency}`);
  }

  const agentId = opts.agentId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const log = opts.logger;
  const subjects = { measure: names.deviceMeasureSubject(info.id), heartbeat: names.deviceHeartbeatSubject(info.id), stats: statsSubjectOf(names, info.id) };
  const metricNames = deviceMetricInfos(info).map((m) => m.name);
  const queue = new WorkQueue(concurrency);
  const cache = new LruCache<Result>(cacheSize);
  const jobs = new Map<string, Job>();
  const startedAt = new Date().toISOString();
  const counters = { received: 0, served: 0, cacheHits: 0, coalesced: 0, errors: 0, timeouts: 0 };
  let state: AgentStats['state'] = 'serving';
  /** Replies not sent yet: stop() waits for them. */
  let pendingReplies = 0;
  let repliesDone: (() => void) | undefined;

  const stats = (): AgentStats => ({
    type: 'device_agent_stats',
    agent: agentId,
    device: info.id,
    backend: backendInfo.id,
    kind: info.kind,
    description: info.description,
    metrics: metricNames,
    supports: info.supports,
    state,
    queueLength: queue.queued,
    inFlight: queue.inFlight,
    peakInFlight: queue.peakInFlight,
    concurrency,
    ...counters,
    cacheSize: cache.size,
    startedAt,
    host: hostname(),
    pid: process.pid,
  });

  const publishHeartbeat = () => {
    try {
      nc.publish(subjects.heartbeat, JSON.stringify(stats()));
    } catch (e) {
      // A closed connection must not take the agent down; the next heartbeat tries again.
      log?.warn({ err: (e as Error).message }, 'heartbeat not published');
    }
  };

  /** The queued (or running) measurement of `key`, created on first use. */
  const jobFor = (key: string, request: MeasureRequest): Job => {
    const existing = jobs.get(key);
    // A job every earlier waiter gave up on is being cancelled: a new request starts afresh.
    if (existing && !existing.abort.signal.aborted) {
      existing.waiters++;
      counters.coalesced++;
      return existing;
    }
    const abort = new AbortController();
    const promise = queue
      .run(async () => {
        abort.signal.throwIfAborted();
        if (delayMs > 0) await sleep(delayMs, abort.signal);
        const m = await backend.measure(request, abort.signal);
        const result: Result = { metrics: toSearchMetrics(info, m.metrics), method: m.method };
        cache.set(key, result);
        return result;
      })
      .finally(() => {
        if (jobs.get(key) === job) jobs.delete(key);
      });
    // Every waiter handles the outcome; this keeps a job whose waiters all timed out from
    // surfacing as an unhandled rejection.
    promise.catch(() => undefined);
    const job: Job = { promise, abort, waiters: 1 };
    jobs.set(key, job);
    return job;
  };

  /** Measures (or finds) the result of one request body; rejects with a NasError to reply with. */
  const resolve = async (data: Uint8Array): Promise<{ result: Result; cached: boolean }> => {
    // While draining, requests already delivered are still served; only a stopped agent refuses.
    if (state === 'stopped') throw new AgentDrainingError(info.id);
    const req = parseMeasureRequest(data);
    noteRequest(req);
    const space = getSpace(req.space);
    const arch = space.parse(req.arch);
    const key = `${info.id}|${space.id}|${req.dataset}|${space.format(arch)}`;
    const hit = cache.get(key);
    if (hit) {
      counters.cacheHits++;
      return { result: hit, cached: true };
    }
    const mustWait = queue.inFlight >= concurrency;
    if (!jobs.has(key) && mustWait && queue.queued >= maxQueue) throw new AgentOverloadedError(info.id, maxQueue);
    const job = jobFor(key, { space: space.id, dataset: req.dataset, arch });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        counters.timeouts++;
        // The last waiter to give up cancels the measurement (skipped if still queued).
        if (--job.waiters === 0) job.abort.abort(new MeasurementTimeoutError(info.id, timeoutMs));
        reject(new MeasurementTimeoutError(info.id, timeoutMs));
      }, timeoutMs);
    });
    try {
      return { result: await Promise.race([job.promise, deadline]), cached: false };
    } finally {
      clearTimeout(timer);
    }
  };

  const handle = async (msg: Msg) => {
    counters.received++;
    pendingReplies++;
    let body: string;
    try {
      const { result, cached } = await resolve(msg.data);
      noteMeasured(cached, result.method, result.metrics, metricUnits);
      counters.served++;
      body = JSON.stringify({ metrics: result.metrics, device: info.id, cached, method: result.method });
    } catch (e) {
      counters.errors++;
      const reply = errorReply(e);
      noteRefused(reply.error.code, reply.error.message, e);
      if (reply.error.code === 'internal') log?.error({ err: e instanceof Error ? e.stack : String(e) }, 'measurement failed');
      else log?.info({ code: reply.error.code, message: reply.error.message }, 'request refused');
      body = encodeMeasureReply(reply);
    }
    try {
      msg.respond(body);
    } catch (e) {
      log?.warn({ err: (e as Error).message }, 'reply not sent');
    } finally {
      if (--pendingReplies === 0) repliesDone?.();
    }
  };

  const measureSub: Subscription = nc.subscribe(subjects.measure, {
    queue: queueGroupOf(info.id),
    callback: (err, msg) => {
      if (err) log?.error({ err: err.message }, 'measure subscription failed');
      // Each request is a `device.measure` span under the worker's (trace context in the headers).
      else void inMeasureSpan(msg, info, backendInfo.id, () => handle(msg));
    },
  });
  const statsSub: Subscription = nc.subscribe(subjects.stats, {
    callback: (err, msg) => {
      if (!err) msg.respond(JSON.stringify(stats()));
    },
  });
  // Resolve only once the server has the subscriptions, so a request sent right after reaches us.
  await nc.flush();
  publishHeartbeat();
  const heartbeat = setInterval(publishHeartbeat, heartbeatMs);
  heartbeat.unref();
  log?.info({ agent: agentId, device: info.id, backend: backendInfo.id, kind: info.kind, metrics: metricNames, subjects, queueGroup: queueGroupOf(info.id), concurrency, cacheSize, timeoutMs }, 'device agent serving');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      state = 'draining';
      publishHeartbeat();
      // Unsubscribing first lets the queue group route new requests to the other replicas.
      await measureSub.drain().catch(() => undefined);
      if (pendingReplies > 0) await new Promise<void>((r) => (repliesDone = r));
      await queue.onIdle();
      clearInterval(heartbeat);
      state = 'stopped';
      publishHeartbeat();
      await statsSub.drain().catch(() => undefined);
      await nc.flush().catch(() => undefined);
      await backend.close();
      log?.info({ agent: agentId, ...counters }, 'device agent stopped');
    })());

  return { info, backend: backendInfo.id, subjects, stats, stop };
}

/** Resolves after `ms`; rejects with the signal's reason when it aborts first. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
