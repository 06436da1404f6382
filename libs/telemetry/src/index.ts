/**
 * @hwnas/telemetry: starts the OpenTelemetry SDK in an app (`startTelemetry`, from the standard
 * `OTEL_*` variables; off without an endpoint) and puts trace ids into pino logs
 * (`traceLogMixin`), and holds what every service process shares around that: stopping on
 * signals, exiting on start-up errors, reading its flags and their environment variables.
 * Libraries never import this: they use `@opentelemetry/api` only.
 */
export { startTelemetry, telemetrySignals } from './start';
export type { Telemetry, TelemetryOptions } from './start';
export { traceLogMixin } from './log';
export type { TraceLogFields } from './log';
export { stopOnSignal, exitOnStartError } from './lifecycle';
export type { ServiceLifecycle } from './lifecycle';
export { readServiceFlags } from './flags';
export type { ServiceFlags } from './flags';
