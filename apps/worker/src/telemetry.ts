/**
 * OpenTelemetry of the worker process. Imported first by `main.ts`, so the SDK is registered
 * before anything creates spans or meters. Off unless an `OTEL_EXPORTER_OTLP_*ENDPOINT` (or another
 * `OTEL_*_EXPORTER`) is set; see `startTelemetry` in `@hwnas/telemetry`.
 */
import { startTelemetry } from '@hwnas/telemetry';

/** The telemetry of this process (call `shutdown()` last, before exiting). */
export const telemetry = startTelemetry({ serviceName: 'hwnas-worker' });
