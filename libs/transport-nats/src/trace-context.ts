import { context, propagation, ROOT_CONTEXT } from '@opentelemetry/api';
import type { Context, TextMapGetter, TextMapSetter } from '@opentelemetry/api';
import { headers as natsHeaders, Match } from '@nats-io/transport-node';
import type { MsgHdrs } from '@nats-io/transport-node';

/** Instrumentation scope of the spans and metrics of this lib. */
export const TRANSPORT_NATS_SCOPE = '@hwnas/transport-nats';

/** Writes propagation fields (W3C `traceparent`, `tracestate`, `baggage`) into NATS headers. */
export const natsHeaderSetter: TextMapSetter<MsgHdrs> = {
  set(carrier, key, value) {
    carrier.set(key, value);
  },
};

/** Reads propagation fields from NATS headers (keys matched case-insensitively). */
export const natsHeaderGetter: TextMapGetter<MsgHdrs | undefined> = {
  keys(carrier) {
    return carrier ? carrier.keys() : [];
  },
  get(carrier, key) {
    if (!carrier || !carrier.has(key, Match.IgnoreCase)) return undefined;
    const values = carrier.values(key, Match.IgnoreCase);
    return values.length <= 1 ? values[0] : values;
  },
};

/**
 * Injects the trace context of `ctx` (default: the active one) into `hdrs` with the globally
 * registered propagator (W3C trace context with the OpenTelemetry SDK; nothing without one), and
 * returns `hdrs`; creates headers when none are given and there is something to inject. Never
 * throws: tracing must not break messaging.
 */
export function injectNatsHeaders(hdrs?: MsgHdrs, ctx: Context = context.active()): MsgHdrs | undefined {
  try {
    const fields: Record<string, string> = {};
    propagation.inject(ctx, fields);
    const keys = Object.keys(fields);
    if (keys.length === 0) return hdrs;
    const out = hdrs ?? natsHeaders();
    for (const k of keys) natsHeaderSetter.set(out, k, fields[k]);
    return out;
  } catch {
    return hdrs;
  }
}

/**
 * The context carried by a message's headers (its remote parent span, baggage) on top of `base`
 * (default: the root context); `base` when the headers carry none. Never throws.
 */
export function extractFromNatsHeaders(hdrs: MsgHdrs | undefined, base: Context = ROOT_CONTEXT): Context {
  if (!hdrs) return base;
  try {
    return propagation.extract(base, hdrs, natsHeaderGetter);
  } catch {
    return base;
  }
}
