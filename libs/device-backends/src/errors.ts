import { NasError } from '@hwnas/bench-core';

/** Thrown by a backend's `measure` when it is called after `close()`. */
export class BackendClosedError extends NasError {
  override name = 'BackendClosedError';
  constructor(readonly device: string) {
    super(`device backend ${device} is closed`, 'failed_precondition');
  }
}

/** Thrown by a backend's `measure` when its AbortSignal is aborted before the result is ready. */
export class MeasurementCancelledError extends NasError {
  override name = 'MeasurementCancelledError';
  constructor(readonly device: string, options?: ErrorOptions) {
    super(`measurement on ${device} was cancelled`, 'cancelled', false, options);
  }
}

/** Thrown by `createBackend` when the device id is not one of `BACKEND_IDS`. */
export class UnknownDeviceError extends NasError {
  override name = 'UnknownDeviceError';
  constructor(readonly device: string, known: readonly string[]) {
    super(`unknown device "${device}"; known devices: ${known.join(', ')}`, 'invalid_argument');
  }
}

/**
 * Thrown by a replay backend's `measure` when the loaded tables support the request's space and
 * dataset but hold no value for this one architecture (a gap in a user's table).
 */
export class ReplayValueMissingError extends NasError {
  override name = 'ReplayValueMissingError';
  constructor(readonly device: string, readonly metric: string, arch: string) {
    super(`the benchmark tables hold no ${metric} value for ${arch}`, 'not_found');
  }
}
