import { isNasError, NasError } from '@hwnas/bench-core';
import { errors as natsErrors } from '@nats-io/transport-node';
import { JetStreamApiError, JetStreamError } from '@nats-io/jetstream';

/** JetStream API error code of a publish whose `Nats-Expected-Last-Subject-Sequence` did not hold. */
export const WRONG_LAST_SEQUENCE = 10071;

/**
 * True for failures that go away by themselves (server restarting, JetStream not ready yet,
 * connection being re-established): a request timed out, nobody answered, or JetStream said 503.
 * A closed connection is not transient: it never comes back.
 */
export function isTransientNatsError(err: unknown): boolean {
  if (err instanceof natsErrors.ClosedConnectionError || err instanceof natsErrors.DrainingConnectionError) return false;
  if (err instanceof natsErrors.TimeoutError || err instanceof natsErrors.NoRespondersError || err instanceof natsErrors.ConnectionError) return true;
  if (err instanceof natsErrors.RequestError) return true;
  if (err instanceof JetStreamApiError) return err.status === 503;
  // "heartbeats missed" and status errors of a pull request: the loop just pulls again.
  if (err instanceof JetStreamError) return true;
  return false;
}

/** The JetStream API error code (`err_code`) of an error, if it is one. */
export function jetStreamErrorCode(err: unknown): number | undefined {
  return err instanceof JetStreamApiError ? err.code : undefined;
}

/**
 * Wraps any failure of a NATS call as a NasError (kept as is when it already is one): transient
 * and connection failures become `unavailable` (retryable), everything else `internal`.
 */
export function toNasError(err: unknown, what: string): NasError {
  if (isNasError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (isTransientNatsError(err) || err instanceof natsErrors.ClosedConnectionError || err instanceof natsErrors.DrainingConnectionError) {
    return new NasError(`${what}: NATS unavailable (${message})`, 'unavailable', true, { cause: err });
  }
  return new NasError(`${what}: ${message}`, 'internal', false, { cause: err });
}

/** Resolves after `ms`, or early (without rejecting) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** `baseMs * 2^(attempt-1)` capped at `maxMs`, for attempt >= 1. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}
