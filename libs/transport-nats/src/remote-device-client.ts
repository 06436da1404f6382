import { InvalidArgumentError, NasError } from '@hwnas/bench-core';
import type { Metrics } from '@hwnas/bench-core';
import type { DeviceClient } from '@hwnas/runtime';
import { errors as natsErrors } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { context, metrics, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Context, Histogram, Span } from '@opentelemetry/api';
import { encodeMeasureRequest, isRetryableCode, parseMeasureReply } from './device-protocol';
import { backoffMs, sleep, toNasError } from './nats-errors';
import { createNames } from './subjects';
import type { NatsNames } from './subjects';
import { injectNatsHeaders, TRANSPORT_NATS_SCOPE } from './trace-context';

/** Name of the client span of one {@link RemoteDeviceClient.measure} call (all its attempts). */
export const DEVICE_REQUEST_SPAN_NAME = 'device.request';

/** Options of {@link RemoteDeviceClient}. */
export interface RemoteDeviceClientOptions {
  /** The connection to use; the caller owns (and closes) it. */
  readonly nc: NatsConnection;
  /** Subject names (default `createNames()`, prefix `hwnas`). */
  readonly names?: NatsNames;
  /** Wait for one reply, milliseconds (default 30000: a measurement on real hardware is slow). */
  readonly timeoutMs?: number;
  /** Extra attempts after a timeout or "no responders" (default 2, so 3 attempts in all). */
  readonly retries?: number;
  /** Pause before retry n: `baseMs * 2^(n-1)` capped at `maxMs` (defaults 100, 2000). */
  readonly backoff?: { readonly baseMs?: number; readonly maxMs?: number };
}

/**
 * A {@link DeviceClient} that asks a remote device agent over core NATS request/reply on
 * `<prefix>.device.<deviceId>.measure` (bodies in `device-protocol.ts`).
 *
 * Transport failures are retried `retries` times with backoff: a timeout (the agent died or hung
 * mid-request; the retry reaches another replica of the queue group) and "no responders" (no agent
 * subscribed right now, e.g. restarting). When they persist, `measure` rejects with a retryable
 * NasError: `unavailable` when nobody was listening, `deadline_exceeded` after timeouts, so the
 * worker retries the task later. An error reply is not retried here: it becomes a NasError with
 * the agent's code and message (retryable as the reply says, or by code: never for
 * `invalid_argument`). Measurements are read-only, so repeating one is safe. Aborting `signal`
 * rejects with `cancelled` (the agent may still finish the measurement).
 *
 * Tracing: each call is a `device.request` client span (child of the active span; attributes
 * device, subject, arch, retry count, cache hit as the agent reports it) whose context goes to the
 * agent in the request headers (W3C `traceparent`, with the registered propagator). The round trip
 * is recorded in the `hwnas.device.request.duration` histogram (ms, by device and outcome).
 */
export class RemoteDeviceClient implements DeviceClient {
  private readonly names: NatsNames;
  private latency?: Histogram;

  constructor(private readonly opts: RemoteDeviceClientOptions) {
    this.names = opts.names ?? createNames();
    if ((opts.retries ?? 2) < 0) throw new InvalidArgumentError('RemoteDeviceClient: retries must be >= 0');
  }

  /** Measures `req.arch` on `device`; see the class doc for errors and retries. */
  async measure(device: string, req: { space: string; dataset: string; arch: string }, signal?: AbortSignal): Promise<Metrics> {
    const subject = this.names.deviceMeasureSubject(device);
    const started = performance.now();
    let span: Span | undefined;
    try {
      span = trace.getTracer(TRANSPORT_NATS_SCOPE).startSpan(DEVICE_REQUEST_SPAN_NAME, {
        kind: SpanKind.CLIENT,
        attributes: { 'hwnas.device': device, 'messaging.system': 'nats', 'messaging.destination.name': subject, 'hwnas.space': req.space, 'hwnas.dataset': req.dataset, 'hwnas.arch': req.arch },
      });
    } catch {
      span = undefined;
    }
    const finish = (outcome: string, err?: unknown, attempts?: number, cached?: boolean) => {
      try {
        this.latency ??= metrics.getMeter(TRANSPORT_NATS_SCOPE).createHistogram('hwnas.device.request.duration', { description: 'Round trip of a device measurement request from a worker, retries included', unit: 'ms' });
        this.latency.record(performance.now() - started, { 'hwnas.device': device, 'hwnas.outcome': outcome });
        if (!span) return;
        if (attempts !== undefined) span.setAttribute('hwnas.retry_count', attempts - 1);
        if (cached !== undefined) span.setAttribute('hwnas.cache_hit', cached);
        if (err !== undefined) {
          span.recordException(err instanceof Error ? err : String(err));
          if (err instanceof NasError) span.setAttribute('error.type', err.code);
          span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
        }
        span.end();
      } catch {
        // Telemetry never breaks a measurement.
      }
    };
    const ctx = span ? trace.setSpan(context.active(), span) : context.active();
    try {
      const { metrics: out, attempts, cached } = await this.request(device, subject, req, ctx, signal);
      finish('ok', undefined, attempts, cached);
      return out;
    } catch (e) {
      finish('error', e);
      throw e;
    }
  }

  private async request(
    device: string,
    subject: string,
    req: { space: string; dataset: string; arch: string },
    ctx: Context,
    signal?: AbortSignal,
  ): Promise<{ metrics: Metrics; attempts: number; cached?: boolean }> {
    const body = encodeMeasureRequest(req);
    const attempts = (this.opts.retries ?? 2) + 1;
    let last: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (signal?.aborted) throw cancelled(device);
      let data: Uint8Array;
      try {
        const headers = injectNatsHeaders(undefined, ctx);
        const reply = await withAbort(this.opts.nc.request(subject, body, { timeout: this.opts.timeoutMs ?? 30_000, ...(headers ? { headers } : {}) }), signal);
        data = reply.data;
      } catch (e) {
        if (signal?.aborted) throw cancelled(device, e);
        if (!isRetryableTransport(e)) throw toNasError(e, `measuring on device ${device}`);
        last = e;
        if (attempt < attempts) await sleep(backoffMs(attempt, this.opts.backoff?.baseMs ?? 100, this.opts.backoff?.maxMs ?? 2000), signal);
        continue;
      }
      const reply = parseMeasureReply(data);
      if ('error' in reply) {
        const { code, message } = reply.error;
        throw new NasError(`device ${device}: ${message}`, code, reply.error.retryable ?? isRetryableCode(code));
      }
      // Parsed a second time only when traced: the flag is for the span alone.
      return { metrics: reply.metrics, attempts: attempt, ...(trace.getSpan(ctx)?.isRecording() ? cachedFlag(data) : {}) };
    }
    const noResponders = isNoResponders(last);
    throw new NasError(
      noResponders ? `device ${device}: no agent is serving ${subject}` : `device ${device}: no reply within ${this.opts.timeoutMs ?? 30_000} ms (${attempts} attempts)`,
      noResponders ? 'unavailable' : 'deadline_exceeded',
      true,
      { cause: last },
    );
  }
}

/** The agent's `cached` flag of a success reply (outside the protocol's required fields). */
function cachedFlag(data: Uint8Array): { cached?: boolean } {
  try {
    const o = JSON.parse(new TextDecoder().decode(data)) as { cached?: unknown };
    return typeof o.cached === 'boolean' ? { cached: o.cached } : {};
  } catch {
    return {};
  }
}

function isNoResponders(e: unknown): boolean {
  return e instanceof natsErrors.NoRespondersError || (e instanceof natsErrors.RequestError && e.isNoResponders());
}

function isRetryableTransport(e: unknown): boolean {
  return e instanceof natsErrors.TimeoutError || isNoResponders(e);
}

function cancelled(device: string, cause?: unknown): NasError {
  return new NasError(`measurement on device ${device} cancelled`, 'cancelled', false, cause ? { cause } : undefined);
}

/** Rejects as soon as `signal` aborts; the underlying request is left to time out on its own. */
function withAbort<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new Error('aborted'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
