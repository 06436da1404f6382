import { isSpanContextValid, ProxyTracerProvider, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import type { Context, SpanContext } from '@opentelemetry/api';

/** Instrumentation scope of every span and metric of this lib. */
export const RUNTIME_SCOPE = '@hwnas/runtime';

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * The W3C `traceparent` string of a span context (`00-<trace id>-<span id>-<flags>`), or
 * undefined when the context is not valid (tracing off: no SDK registered). Pure.
 */
export function formatTraceparent(sc: SpanContext | undefined): string | undefined {
  if (!sc || !isSpanContextValid(sc)) return undefined;
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/**
 * A context whose (remote) parent span is the one a W3C `traceparent` string names; undefined for
 * a missing or malformed string (never throws). Independent of the globally registered propagator,
 * because `traceparent` fields in tasks and journal events are W3C by definition. `tracestate` is
 * not carried.
 */
export function contextFromTraceparent(traceparent: string | undefined, base: Context = ROOT_CONTEXT): Context | undefined {
  if (!traceparent) return undefined;
  const m = TRACEPARENT.exec(traceparent.trim().toLowerCase());
  if (!m || m[1] === 'ff' || (m[1] === '00' && m[5] !== undefined)) return undefined;
  const sc: SpanContext = { traceId: m[2], spanId: m[3], traceFlags: parseInt(m[4], 16) & 0x01, isRemote: true };
  return isSpanContextValid(sc) ? trace.setSpanContext(base, sc) : undefined;
}

/** Runs `fn`, swallowing what it throws: telemetry must never break search logic. */
export function quietly(fn: () => void): void {
  try {
    fn();
  } catch {
    // Deliberately ignored (see above).
  }
}

/**
 * Whether an OpenTelemetry SDK is registered: the global tracer provider is then something other
 * than the API's proxy without a delegate. Cheap enough to ask per task; hot paths ask it so that
 * they build no span at all when nothing would record or propagate it.
 */
export function tracingRegistered(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegateTracer(RUNTIME_SCOPE) !== undefined;
}
