/**
 * @hwnas/telemetry: starts the OpenTelemetry SDK in an app (`startTelemetry`, from the standard
 * `OTEL_*` variables; off without an endpoint) and puts trace ids into pino logs
 * (`traceLogMixin`). Libraries never import this: they use `@opentelemetry/api` only.
 */
export { startTelemetry, telemetrySignals } from './start';
export type { Telemetry, TelemetryOptions } from './start';
export { traceLogMixin } from './log';
export type { TraceLogFields } from './log';
export { stopOnSignal, exitOnStartError } from './lifecycle';
export type { ServiceLifecycle } from './lifecycle';
