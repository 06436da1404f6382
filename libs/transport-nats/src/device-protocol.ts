import { InvalidArgumentError, isNasError, NasError } from '@hwnas/bench-core';
import type { Metrics, NasErrorCode } from '@hwnas/bench-core';

/**
 * The wire contract between {@link RemoteDeviceClient} (workers) and device agents, over core
 * NATS request/reply on `<prefix>.device.<deviceId>.measure` (see `NatsNames.deviceMeasureSubject`).
 * Bodies are UTF-8 JSON. Agents subscribe in a queue group (one group per device id) so that a
 * request reaches one replica, and answer every request with exactly one reply: metrics or an
 * error. Neither side may rely on fields not listed here; unknown fields are ignored.
 */

/** Request body: which architecture to measure. */
export interface MeasureRequest {
  /** Search space id, e.g. `nb201`. */
  readonly space: string;
  /** Dataset id within the space, e.g. `cifar10`. */
  readonly dataset: string;
  /** Canonical architecture string of the space. */
  readonly arch: string;
}

/** Success reply: cost metrics in HW-NAS-Bench naming, e.g. `{ eyeriss_latency: 3.1 }`. */
export interface MeasureReplyOk {
  readonly metrics: Metrics;
}

/** Error reply: a NasError's code and message (never a stack or internal detail). */
export interface MeasureReplyError {
  readonly error: {
    readonly code: NasErrorCode;
    readonly message: string;
    /** Whether trying again may succeed; when absent, derived from the code (see {@link isRetryableCode}). */
    readonly retryable?: boolean;
  };
}

/** Any reply of a device agent. */
export type MeasureReply = MeasureReplyOk | MeasureReplyError;

const CODES: readonly NasErrorCode[] = [
  'invalid_argument',
  'not_found',
  'already_exists',
  'failed_precondition',
  'resource_exhausted',
  'unavailable',
  'deadline_exceeded',
  'cancelled',
  'internal',
];

/** Codes that are retryable unless a reply says otherwise: the device was busy, down or slow. */
export function isRetryableCode(code: NasErrorCode): boolean {
  return code === 'unavailable' || code === 'resource_exhausted' || code === 'deadline_exceeded';
}

function asObject(data: Uint8Array | string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(typeof data === 'string' ? data : new TextDecoder().decode(data));
  } catch (e) {
    throw new InvalidArgumentError(`${what} is not valid JSON`, { cause: e });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidArgumentError(`${what} must be a JSON object`);
  return value as Record<string, unknown>;
}

/** Encodes a request body. */
export function encodeMeasureRequest(req: MeasureRequest): string {
  return JSON.stringify({ space: req.space, dataset: req.dataset, arch: req.arch });
}

/**
 * Decodes and validates a request body (for agents). Throws InvalidArgumentError naming the
 * bad field; agents answer that with {@link errorReply}.
 */
export function parseMeasureRequest(data: Uint8Array | string): MeasureRequest {
  const o = asObject(data, 'measure request');
  for (const f of ['space', 'dataset', 'arch'] as const) {
    if (typeof o[f] !== 'string' || (o[f] as string).length === 0) throw new InvalidArgumentError(`measure request: "${f}" must be a non-empty string`);
  }
  return { space: o.space as string, dataset: o.dataset as string, arch: o.arch as string };
}

/** Encodes a success reply. */
export function encodeMeasureReply(reply: MeasureReply): string {
  return JSON.stringify(reply);
}

/**
 * The error reply for a failure (for agents): a NasError keeps its code, message and retryable
 * flag; anything else becomes `internal` with a generic message, like the gRPC edge does.
 */
export function errorReply(err: unknown): MeasureReplyError {
  if (isNasError(err)) return { error: { code: err.code, message: err.message, retryable: err.retryable } };
  return { error: { code: 'internal', message: 'internal error in the device agent', retryable: false } };
}

/**
 * Decodes a reply (for clients). Throws NasError `internal` for a body that is neither shape
 * (a protocol mismatch, not something a retry fixes).
 */
export function parseMeasureReply(data: Uint8Array | string): MeasureReply {
  let o: Record<string, unknown>;
  try {
    o = asObject(data, 'measure reply');
  } catch (e) {
    throw new NasError((e as Error).message, 'internal', false, { cause: e });
  }
  if (typeof o.error === 'object' && o.error !== null) {
    const err = o.error as Record<string, unknown>;
    const code = CODES.includes(err.code as NasErrorCode) ? (err.code as NasErrorCode) : 'internal';
    const message = typeof err.message === 'string' ? err.message : `device error ${String(err.code)}`;
    return { error: { code, message, ...(typeof err.retryable === 'boolean' ? { retryable: err.retryable } : {}) } };
  }
  if (typeof o.metrics === 'object' && o.metrics !== null && !Array.isArray(o.metrics)) {
    const metrics: Record<string, number> = {};
    for (const [k, v] of Object.entries(o.metrics as Record<string, unknown>)) {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new NasError(`measure reply: metric "${k}" is not a finite number`, 'internal');
      metrics[k] = v;
    }
    return { metrics };
  }
  throw new NasError('measure reply has neither "metrics" nor "error"', 'internal');
}
