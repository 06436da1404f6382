import { randomUUID } from 'node:crypto';
import { isNasError } from '@hwnas/bench-core';
import type { NasErrorCode } from '@hwnas/bench-core';
import { Metadata, status } from '@grpc/grpc-js';
import type { sendUnaryData, ServerUnaryCall, ServerWritableStream, ServiceError, UntypedServiceImplementation } from '@grpc/grpc-js';
import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { endRpcSpan, startRpcSpan } from './tracing';

/** The one table from hwnas error codes to gRPC status codes. */
export const STATUS_OF_CODE: Readonly<Record<NasErrorCode, status>> = {
  invalid_argument: status.INVALID_ARGUMENT,
  not_found: status.NOT_FOUND,
  already_exists: status.ALREADY_EXISTS,
  failed_precondition: status.FAILED_PRECONDITION,
  resource_exhausted: status.RESOURCE_EXHAUSTED,
  unavailable: status.UNAVAILABLE,
  deadline_exceeded: status.DEADLINE_EXCEEDED,
  cancelled: status.CANCELLED,
  internal: status.INTERNAL,
};

/**
 * Turns anything thrown by a handler into the error sent to the client: a NasError keeps its
 * message and gets the status of its code; anything else becomes INTERNAL with a generic
 * message carrying only a trace id (the cause is logged with the same id, never sent). The trace
 * id is the OpenTelemetry one of the active span when tracing is on, else a random UUID.
 */
export function toServiceError(err: unknown, log: Pick<Logger, 'error' | 'warn'>, method: string): Partial<ServiceError> {
  if (isNasError(err)) {
    const code = STATUS_OF_CODE[err.code] ?? status.INTERNAL;
    if (code === status.INTERNAL) return internal(err, log, method);
    return { code, details: err.message, metadata: new Metadata() };
  }
  if (isStatusError(err)) return { code: err.code, details: err.details, metadata: new Metadata() };
  return internal(err, log, method);
}

/** An error that already carries a gRPC status (thrown by the auth check). */
export class StatusError extends Error {
  override name = 'StatusError';
  constructor(
    readonly code: status,
    readonly details: string,
  ) {
    super(details);
  }
}

function isStatusError(e: unknown): e is StatusError {
  return e instanceof StatusError;
}

function internal(err: unknown, log: Pick<Logger, 'error'>, method: string): Partial<ServiceError> {
  const sc = trace.getActiveSpan()?.spanContext();
  const traceId = sc && isSpanContextValid(sc) ? sc.traceId : randomUUID();
  log.error({ traceId, method, err: err instanceof Error ? { message: err.message, stack: err.stack, cause: String(err.cause ?? '') } : String(err) }, 'internal error');
  return { code: status.INTERNAL, details: `internal error (trace id ${traceId})`, metadata: new Metadata() };
}

/** Checks a call's metadata before its handler runs; throws a {@link StatusError} to refuse it. */
export type CallGuard = (metadata: Metadata, method: string) => void;

/**
 * The one server middleware: wraps every handler of a service implementation so that the guard
 * (bearer token) runs first and every error thrown or rejected becomes a status through
 * {@link toServiceError}. Handlers may be async and simply throw; they need no try/catch.
 * Unary handlers return the response; streaming handlers write and the wrapper ends the stream.
 * Each call runs in a server span (`<package.Service>/<Method>`) that is a child of the trace
 * context in the call's metadata (W3C `traceparent`), ended with the call's status.
 */
export function withStatus<T extends UntypedServiceImplementation>(
  service: Record<string, { readonly path: string; readonly responseStream: boolean; readonly requestStream: boolean }>,
  impl: Record<keyof T & string, unknown>,
  guard: CallGuard,
  log: Pick<Logger, 'error' | 'warn'>,
): T {
  const out: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(service)) {
    const handler = impl[name as keyof T & string] as (call: unknown) => Promise<unknown>;
    // Guard, handler, span and status mapping are the same for every call; only how the result
    // or the error is delivered differs between unary and server-streaming calls.
    const run = (
      call: { readonly metadata: Metadata },
      done: (res: unknown, span: Span) => void,
      failed: (err: Partial<ServiceError>, span: Span) => void,
    ) => {
      const { span, ctx } = startRpcSpan(def.path, call.metadata);
      context.with(ctx, () =>
        Promise.resolve()
          .then(() => {
            guard(call.metadata, def.path);
            return handler(call);
          })
          .then(
            (res) => done(res, span),
            (e: unknown) => failed(toServiceError(e, log, def.path), span),
          ),
      );
    };
    out[name] = def.responseStream
      ? (call: ServerWritableStream<unknown, unknown>) =>
          run(
            call,
            (_res, span) => {
              endRpcSpan(span, call.cancelled ? status.CANCELLED : status.OK);
              call.end();
            },
            (err, span) => {
              endRpcSpan(span, call.cancelled ? status.CANCELLED : (err.code ?? status.UNKNOWN), err.details);
              if (!call.cancelled) call.emit('error', err);
            },
          )
      : (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) =>
          run(
            call,
            (res, span) => {
              endRpcSpan(span, status.OK);
              callback(null, res);
            },
            (err, span) => {
              endRpcSpan(span, err.code ?? status.UNKNOWN, err.details);
              callback(err);
            },
          );
  }
  return out as T;
}
