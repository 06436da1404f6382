import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';

const tracer = trace.getTracer('@hwnas/search');

/**
 * Runs one strategy step (a FOX-NAS fit, an AutoShrink step, an FP-NAS round) inside a span, so a
 * search's trace shows where its strategy spent time. `attributes` is read after the step, when
 * its results are known. Without an OpenTelemetry SDK this costs a no-op span; errors of the step
 * propagate unchanged (recorded on the span first).
 */
export function tracedStep<T>(name: string, fn: () => T, attributes?: () => Attributes): T {
  return tracer.startActiveSpan(name, (span) => {
    try {
      const out = fn();
      if (attributes && span.isRecording()) span.setAttributes(attributes());
      return out;
    } catch (e) {
      span.recordException(e as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error)?.message });
      throw e;
    } finally {
      span.end();
    }
  });
}
