/**
 * The one error root of hwnas. Every library throws subclasses of {@link NasError}; services map
 * `code` to their protocol's status in one place (gRPC status, NATS error reply, CLI exit code).
 */

/** Machine-readable error category; mirrors the gRPC status codes the services map it to. */
export type NasErrorCode =
  | 'invalid_argument'
  | 'not_found'
  | 'already_exists'
  | 'failed_precondition'
  | 'resource_exhausted'
  | 'unavailable'
  | 'deadline_exceeded'
  | 'cancelled'
  | 'internal';

const BRAND = Symbol.for('hwnas.NasError');

/** Base class of every error hwnas throws on purpose. */
export class NasError extends Error {
  readonly [BRAND] = true;
  override name = 'NasError';
  constructor(
    message: string,
    readonly code: NasErrorCode,
    readonly retryable = false,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** True for any {@link NasError}, also one thrown by another copy of this package. */
export function isNasError(value: unknown): value is NasError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** Thrown by a search space when an architecture (string, index vector or index) is malformed. */
export class InvalidArchitectureError extends NasError {
  override name = 'InvalidArchitectureError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'invalid_argument', false, options);
  }
}

/** Thrown when a search space id is not one hwnas knows. */
export class UnknownSearchSpaceError extends NasError {
  override name = 'UnknownSearchSpaceError';
  constructor(readonly space: string, known: readonly string[]) {
    super(`unknown search space "${space}"; known spaces: ${known.join(', ')}`, 'invalid_argument');
  }
}

/** Thrown when a dataset is not defined for a search space. */
export class UnknownDatasetError extends NasError {
  override name = 'UnknownDatasetError';
  constructor(readonly dataset: string, space: string, known: readonly string[]) {
    super(`unknown dataset "${dataset}" for search space ${space}; known datasets: ${known.join(', ')}`, 'invalid_argument');
  }
}

/** Thrown when a metric name is not provided by the tables or backends in use. */
export class UnknownMetricError extends NasError {
  override name = 'UnknownMetricError';
  constructor(readonly metric: string, known: readonly string[], where = '') {
    super(`unknown metric "${metric}"${where ? ` ${where}` : ''}; available metrics: ${known.join(', ') || '(none)'}`, 'invalid_argument');
  }
}

/** Thrown by the data loaders when a benchmark file is missing, unreadable or malformed. */
export class BenchmarkDataError extends NasError {
  override name = 'BenchmarkDataError';
  /** `file` is the offending file or directory; empty when none was given at all. */
  constructor(readonly file: string, message: string, options?: ErrorOptions) {
    super(file ? `${file}: ${message}` : message, 'failed_precondition', false, options);
  }
}

/** Thrown when a caller passes an option or argument that is out of range or malformed. */
export class InvalidArgumentError extends NasError {
  override name = 'InvalidArgumentError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'invalid_argument', false, options);
  }
}
