import { isSpanContextValid, trace } from '@opentelemetry/api';

/** Trace fields of a log line (OpenTelemetry log data model names). */
export interface TraceLogFields {
  readonly trace_id?: string;
  readonly span_id?: string;
  readonly trace_flags?: string;
}

/**
 * A pino `mixin`: adds `trace_id`, `span_id` and `trace_flags` of the active span to each log
 * line (nothing outside a span, or without an SDK). `pino({ mixin: traceLogMixin })`. Never throws.
 */
export function traceLogMixin(): TraceLogFields {
  try {
    const sc = trace.getActiveSpan()?.spanContext();
    if (!sc || !isSpanContextValid(sc)) return {};
    return { trace_id: sc.traceId, span_id: sc.spanId, trace_flags: `0${(sc.traceFlags & 0xff).toString(16)}`.slice(-2) };
  } catch {
    return {};
  }
}
