import { extractFromNatsHeaders } from '@hwnas/transport-nats';
import type { DeviceInfo } from '@hwnas/device-backends';
import type { Msg } from '@nats-io/transport-node';
import { context, metrics, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Histogram, Span } from '@opentelemetry/api';

/** Instrumentation scope of the agent's spans and metrics. */
export const DEVICE_AGENT_SCOPE = '@hwnas/device-agent';

/** Name of the span of one measure request in the agent. */
export const MEASURE_SPAN_NAME = 'device.measure';

/** What a request turned out to be, for the latency histogram. */
interface Outcome {
  cached?: boolean;
  code?: string;
}

const outcomes = new WeakMap<Span, Outcome>();
let latency: Histogram | undefined;

/**
 * Runs `handle` (which answers `msg` and never rejects) inside a `device.measure` server span,
 * child of the trace context in the request headers (the worker's `device.request` span), and
 * records the time to answer in the `hwnas.device.measure.duration` histogram (ms; attributes
 * device, cache hit, outcome). `info` is the registration (`hwnas.device` is the id the agent
 * registered under), `backend` the backend it runs. Without an OpenTelemetry SDK only the clock is read. Never throws.
 */
export async function inMeasureSpan(msg: Msg, info: DeviceInfo, backend: string, handle: () => Promise<void>): Promise<void> {
  const started = performance.now();
  let span: Span | undefined;
  try {
    span = trace.getTracer(DEVICE_AGENT_SCOPE).startSpan(
      MEASURE_SPAN_NAME,
      { kind: SpanKind.SERVER, attributes: { 'hwnas.device': info.id, 'hwnas.device.backend': backend, 'hwnas.device.kind': info.kind, 'messaging.system': 'nats', 'messaging.destination.name': msg.subject } },
      extractFromNatsHeaders(msg.headers),
    );
    outcomes.set(span, {});
  } catch {
    span = undefined;
  }
  try {
    await (span ? context.with(trace.setSpan(context.active(), span), handle) : handle());
  } finally {
    try {
      const o = (span && outcomes.get(span)) || {};
      latency ??= metrics.getMeter(DEVICE_AGENT_SCOPE).createHistogram('hwnas.device.measure.duration', { description: 'Time a device agent took to answer a measure request, queue wait included', unit: 'ms' });
      latency.record(performance.now() - started, { 'hwnas.device': info.id, 'hwnas.cache_hit': o.cached ?? false, 'hwnas.outcome': o.code ?? 'ok' });
      span?.end();
    } catch {
      // Telemetry never breaks the agent.
    }
  }
}

/** Notes on the active `device.measure` span what was asked (after the request parsed). */
export function noteRequest(req: { space: string; dataset: string; arch: string }): void {
  try {
    trace.getActiveSpan()?.setAttributes({ 'hwnas.space': req.space, 'hwnas.dataset': req.dataset, 'hwnas.arch': req.arch });
  } catch {
    // ignored: telemetry only
  }
}

/**
 * Notes on the active `device.measure` span a success reply: cache hit or not, how measured, and
 * each measured value with its unit, by the metric's search name (`hwnas.measurement.eyeriss_latency`
 * = 9.59 and `hwnas.measurement.eyeriss_latency.unit` = `ms`; units from `deviceMetricInfos`).
 */
export function noteMeasured(
  cached: boolean,
  method: { readonly kind: string; readonly repeats: number; readonly unstable?: boolean },
  values: Readonly<Record<string, number>> = {},
  units: readonly { readonly name: string; readonly unit: string }[] = [],
): void {
  try {
    const span = trace.getActiveSpan();
    if (!span) return;
    const measured: Record<string, number | string> = {};
    for (const [name, value] of Object.entries(values)) {
      measured[`hwnas.measurement.${name}`] = value;
      const unit = units.find((u) => u.name === name)?.unit;
      if (unit !== undefined) measured[`hwnas.measurement.${name}.unit`] = unit;
    }
    span.setAttributes({
      ...measured,
      'hwnas.cache_hit': cached,
      'hwnas.measurement.kind': method.kind,
      'hwnas.measurement.repeats': method.repeats,
      ...(method.unstable !== undefined ? { 'hwnas.measurement.unstable': method.unstable } : {}),
    });
    const o = outcomes.get(span);
    if (o) o.cached = cached;
  } catch {
    // ignored: telemetry only
  }
}

/** Notes on the active `device.measure` span an error reply (code, message) as an error status. */
export function noteRefused(code: string, message: string, err: unknown): void {
  try {
    const span = trace.getActiveSpan();
    if (!span) return;
    span.setAttribute('error.type', code);
    if (err instanceof Error) span.recordException(err);
    span.setStatus({ code: SpanStatusCode.ERROR, message });
    const o = outcomes.get(span);
    if (o) o.code = code;
  } catch {
    // ignored: telemetry only
  }
}
