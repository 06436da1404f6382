import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { startTelemetry, telemetrySignals } from './start';
import { traceLogMixin } from './log';

const OTEL_KEYS = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', 'OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_TRACES_EXPORTER', 'OTEL_METRICS_EXPORTER', 'OTEL_SDK_DISABLED', 'OTEL_BSP_SCHEDULE_DELAY', 'OTEL_SERVICE_NAME'];

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('telemetry: startTelemetry', () => {
  const saved: Record<string, string | undefined> = {};
  beforeEach(() => {
    for (const k of OTEL_KEYS) {
      saved[k] = process.env[k];
      delete process.env[k];
    }
  });
  afterEach(() => {
    for (const k of OTEL_KEYS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
    // Each test starts from unregistered globals.
    trace.disable();
    metrics.disable();
    propagation.disable();
    context.disable();
  });

  it('telemetrySignals - off without an endpoint, per signal with one, off when disabled', () => {
    expect(telemetrySignals({})).toEqual([]);
    expect(telemetrySignals({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:4318' })).toEqual(['traces', 'metrics']);
    expect(telemetrySignals({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://x:4318/v1/traces' })).toEqual(['traces']);
    expect(telemetrySignals({ OTEL_METRICS_EXPORTER: 'prometheus' })).toEqual(['metrics']);
    expect(telemetrySignals({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:4318', OTEL_TRACES_EXPORTER: 'none' })).toEqual(['metrics']);
    expect(telemetrySignals({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:4318', OTEL_SDK_DISABLED: 'true' })).toEqual([]);
  });

  it('no endpoint - a no-op: nothing registered, spans are not recorded, shutdown resolves', async () => {
    const t = startTelemetry({ serviceName: 'test' });
    expect(t.enabled).toBe(false);
    const span = trace.getTracer('test').startSpan('x');
    expect(span.isRecording()).toBe(false);
    span.end();
    await expect(t.shutdown()).resolves.toBeUndefined();
  });

  it.each(['http/protobuf', 'http/json', 'grpc'])('collector down (%s) - spans and metrics are dropped, nothing throws, shutdown resolves', async (protocol) => {
    const port = await closedPort();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${port}`;
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = protocol;
    process.env.OTEL_BSP_SCHEDULE_DELAY = '20';
    const errors: string[] = [];
    const t = startTelemetry({ serviceName: 'test', shutdownTimeoutMs: 3000, onError: (_e, c) => errors.push(c) });
    expect(t.enabled).toBe(true);
    expect(t.signals).toEqual(['traces', 'metrics']);
    const tracer = trace.getTracer('test');
    await tracer.startActiveSpan('work', async (span) => {
      expect(span.isRecording()).toBe(true);
      const fields = traceLogMixin();
      expect(fields).toEqual({ trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId, trace_flags: '01' });
      metrics.getMeter('test').createCounter('c').add(1);
      span.end();
    });
    // Let the batch processor try (and fail) to export.
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    await expect(t.shutdown()).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(4000);
    await expect(t.shutdown()).resolves.toBeUndefined();
    expect(traceLogMixin()).toEqual({});
  });
});
