import type { JetStreamClient, JetStreamPublishOptions, PubAck } from '@nats-io/jetstream';
import { backoffMs, isTransientNatsError, sleep, toNasError } from './nats-errors';

/** Timing of {@link withRetry} and {@link publishWithRetry}. */
export interface RetryOptions {
  /** Wait for one reply (PubAck, API response), milliseconds (default 2000). */
  readonly attemptTimeoutMs?: number;
  /** Keep retrying transient failures for this long in total, milliseconds (default 30000). */
  readonly totalTimeoutMs?: number;
}

/**
 * Runs `fn` until it succeeds, retrying transient NATS failures (timeout, no responders while
 * JetStream restarts, connection lost: see `isTransientNatsError`) with a capped backoff for up to
 * `totalTimeoutMs`. Non-transient errors are thrown at once, as they are; when time runs out, the
 * last error is thrown as NasError `unavailable`. Only for idempotent operations.
 */
export async function withRetry<T>(what: string, fn: () => Promise<T>, retry: RetryOptions = {}): Promise<T> {
  const deadline = Date.now() + (retry.totalTimeoutMs ?? 30_000);
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!isTransientNatsError(e)) throw e;
      const pause = backoffMs(attempt, 50, 1000);
      if (Date.now() + pause >= deadline) throw toNasError(e, what);
      await sleep(pause);
    }
  }
}

/**
 * JetStream publish that waits for the PubAck, retried by {@link withRetry} with the same message
 * and headers. Callers make the retry idempotent by setting `msgID`: the server answers a resent
 * message that it had already stored with a `duplicate` PubAck carrying the original sequence
 * (its duplicate check comes before the `expect` checks).
 */
export function publishWithRetry(
  js: JetStreamClient,
  subject: string,
  data: Uint8Array | string,
  opts: Partial<JetStreamPublishOptions>,
  retry: RetryOptions = {},
): Promise<PubAck> {
  const timeout = retry.attemptTimeoutMs ?? 2000;
  return withRetry(`publishing to ${subject}`, () => js.publish(subject, data, { ...opts, timeout }), retry);
}
