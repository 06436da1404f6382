import { diag } from '@opentelemetry/api';
import type { NodeSDK } from '@opentelemetry/sdk-node';

/** Options of {@link startTelemetry}. */
export interface TelemetryOptions {
  /** `service.name` of the process's telemetry, unless `OTEL_SERVICE_NAME` is set. */
  readonly serviceName: string;
  /** Longest wait for the last export in {@link Telemetry.shutdown}, ms (default 5000). */
  readonly shutdownTimeoutMs?: number;
  /** Told (once each) why telemetry is off or failed; never thrown. */
  readonly onError?: (err: unknown, context: string) => void;
}

/** What {@link startTelemetry} started. */
export interface Telemetry {
  /** Whether an SDK was started (traces and/or metrics are exported). */
  readonly enabled: boolean;
  /** Which signals are exported: `traces`, `metrics`. */
  readonly signals: readonly ('traces' | 'metrics')[];
  /**
   * Flushes and stops the SDK. Never rejects: exporter errors (collector down) are swallowed, and
   * the wait is capped at `shutdownTimeoutMs` (the OTLP exporters retry a refused connection with
   * backoff, so a collector that is down costs the whole cap unless `OTEL_EXPORTER_OTLP_TIMEOUT`
   * is shorter). Idempotent.
   */
  shutdown(): Promise<void>;
}

/** Which signals the `OTEL_*` environment asks for (see {@link startTelemetry}). */
export function telemetrySignals(env: NodeJS.ProcessEnv = process.env): ('traces' | 'metrics')[] {
  const set = (k: string) => (env[k] ?? '').trim() !== '';
  const list = (k: string) =>
    (env[k] ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean);
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return [];
  const out: ('traces' | 'metrics')[] = [];
  const traces = list('OTEL_TRACES_EXPORTER');
  if (!traces.includes('none') && (set('OTEL_EXPORTER_OTLP_ENDPOINT') || set('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') || traces.some((e) => e !== 'otlp'))) out.push('traces');
  const metrics = list('OTEL_METRICS_EXPORTER');
  if (!metrics.includes('none') && (set('OTEL_EXPORTER_OTLP_ENDPOINT') || set('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT') || metrics.some((e) => e !== 'otlp'))) out.push('metrics');
  return out;
}

const OFF: Telemetry = { enabled: false, signals: [], shutdown: () => Promise.resolve() };

/**
 * Starts the OpenTelemetry Node SDK for an app, configured by the standard `OTEL_*` environment
 * variables; call it first in `main.ts`, before anything creates spans. Off (a no-op that loads no
 * SDK code) unless an OTLP endpoint is set: `OTEL_EXPORTER_OTLP_ENDPOINT` (traces and metrics),
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `..._METRICS_ENDPOINT` (one signal), or a non-OTLP exporter
 * is named (`OTEL_TRACES_EXPORTER=console`, `OTEL_METRICS_EXPORTER=prometheus` for a scrape
 * endpoint on :9464). `OTEL_SDK_DISABLED=true` turns it off.
 *
 * With the SDK: W3C trace context + baggage propagation, AsyncLocalStorage context, resource from
 * `OTEL_RESOURCE_ATTRIBUTES`/host/process plus `service.name`; traces through a batch processor
 * (`OTEL_BSP_*`) to the OTLP exporter of `OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL` (`http/protobuf`
 * default, `http/json`, `grpc`); metrics by a periodic reader (`OTEL_METRIC_EXPORT_INTERVAL`, default
 * 60 s). No logs signal (logs go to stdout as JSON with trace ids, see `traceLogMixin`).
 *
 * Never throws, and a collector that is down never crashes the process: export failures are
 * dropped (set `OTEL_LOG_LEVEL` to see them on the console). Call once per process.
 */
export function startTelemetry(opts: TelemetryOptions): Telemetry {
  // The SDK reads the rest of its settings from process.env itself.
  const env = process.env;
  const signals = telemetrySignals(env);
  if (signals.length === 0) return OFF;
  try {
    // Loaded only when telemetry is on: the SDK adds ~0.6 s to the start of every process.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sdkNode = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
    const sdk: NodeSDK = new sdkNode.NodeSDK({
      ...(env.OTEL_SERVICE_NAME ? {} : { serviceName: opts.serviceName }),
      // Empty lists switch a signal off; absent ones are built from the environment.
      ...(signals.includes('traces') ? {} : { spanProcessors: [] }),
      ...(signals.includes('metrics') ? {} : { metricReaders: [] }),
      logRecordProcessors: [],
    });
    sdk.start();
    let stopping: Promise<void> | undefined;
    return {
      enabled: true,
      signals,
      shutdown: () =>
        (stopping ??= new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            opts.onError?.(new Error(`no answer within ${opts.shutdownTimeoutMs ?? 5000} ms`), 'telemetry shutdown');
            resolve();
          }, opts.shutdownTimeoutMs ?? 5000);
          timer.unref();
          let p: Promise<void>;
          try {
            p = sdk.shutdown();
          } catch (e) {
            p = Promise.reject(e);
          }
          p.catch((e: unknown) => opts.onError?.(e, 'telemetry shutdown')).finally(() => {
            clearTimeout(timer);
            resolve();
          });
        })),
    };
  } catch (e) {
    opts.onError?.(e, 'telemetry start');
    diag.error('hwnas telemetry: SDK start failed', e);
    return OFF;
  }
}
