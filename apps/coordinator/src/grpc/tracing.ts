import { context, INVALID_SPAN_CONTEXT, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Context, Span, TextMapGetter } from '@opentelemetry/api';
import { status } from '@grpc/grpc-js';
import type { Metadata } from '@grpc/grpc-js';

/** Instrumentation scope of the coordinator's own spans. */
export const COORDINATOR_SCOPE = '@hwnas/coordinator';

/** Reads propagation fields (`traceparent`, `tracestate`, `baggage`) from gRPC metadata. */
export const metadataGetter: TextMapGetter<Metadata> = {
  keys(md) {
    return Object.keys(md.getMap());
  },
  get(md, key) {
    const values = md.get(key).map((v) => (typeof v === 'string' ? v : v.toString('utf8')));
    return values.length === 0 ? undefined : values.length === 1 ? values[0] : values;
  },
};

/** The caller's W3C `traceparent` metadata entry, if it sent one (validated where it is used). */
export function callerTraceparent(md: Metadata): string | undefined {
  try {
    const v = md.get('traceparent')[0];
    return typeof v === 'string' && v.length > 0 ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Statuses a server span reports as errors (the server's fault, not the caller's). */
const SERVER_ERRORS = new Set<number>([status.UNKNOWN, status.DEADLINE_EXCEEDED, status.UNIMPLEMENTED, status.INTERNAL, status.UNAVAILABLE, status.DATA_LOSS]);

/**
 * Starts the server span of one RPC (`<package.Service>/<Method>`, kind SERVER), child of the trace
 * context the caller sent in the metadata (W3C `traceparent`), and returns it with the context to
 * run the handler in. Never throws (a failure yields a non-recording span).
 */
export function startRpcSpan(path: string, md: Metadata): { span: Span; ctx: Context } {
  try {
    const parent = propagation.extract(ROOT_CONTEXT, md, metadataGetter);
    const name = path.replace(/^\//, '');
    const [service, method] = name.split('/');
    const span = trace.getTracer(COORDINATOR_SCOPE).startSpan(name, { kind: SpanKind.SERVER, attributes: { 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': method } }, parent);
    return { span, ctx: trace.setSpan(parent, span) };
  } catch {
    const span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    return { span, ctx: context.active() };
  }
}

/** Ends an RPC's server span with the gRPC status it finished with. Never throws. */
export function endRpcSpan(span: Span, code: number, details?: string): void {
  try {
    span.setAttribute('rpc.grpc.status_code', code);
    if (SERVER_ERRORS.has(code)) span.setStatus({ code: SpanStatusCode.ERROR, ...(details ? { message: details } : {}) });
    span.end();
  } catch {
    // Telemetry never breaks an RPC.
  }
}
