/**
 * OpenTelemetry of the coordinator process. Imported first by `main.ts`, so the SDK is registered
 * before anything creates spans or meters. Off unless an `OTEL_EXPORTER_OTLP_*ENDPOINT` (or another
 * `OTEL_*_EXPORTER`) is set; see `startTelemetry` in `@hwnas/telemetry`.
 */
import { metrics } from '@opentelemetry/api';
import { startTelemetry } from '@hwnas/telemetry';

/** The telemetry of this process (call `shutdown()` last, before exiting). */
export const telemetry = startTelemetry({ serviceName: 'hwnas-coordinator' });

/**
 * Reports the task queue's depth (waiting + unacknowledged tasks) as the observable gauge
 * `hwnas.queue.depth`, read at each metrics collection. A failed read skips one observation.
 */
export function observeQueueDepth(backlog: () => Promise<number>): void {
  try {
    const gauge = metrics.getMeter('@hwnas/coordinator').createObservableGauge('hwnas.queue.depth', { description: 'Evaluation tasks waiting or being evaluated in the work queue', unit: '{task}' });
    gauge.addCallback(async (result) => {
      try {
        result.observe(await backlog());
      } catch {
        // NATS unavailable: no observation this time.
      }
    });
  } catch {
    // Telemetry never breaks the coordinator.
  }
}
