import { NasError } from '@hwnas/bench-core';

/**
 * Thrown by the trainer evaluator when a trainer run ends without a usable final report: a
 * non-zero exit (other than a usage error's), a signal, exit 0 without a final report, or a protocol violation (a malformed
 * line, an unknown message type, a non-finite metric). Retryable: the contract retries failed
 * evaluations per the search's retry policy. The message ends with the trainer's stderr tail.
 */
export class TrainerFailedError extends NasError {
  override name = 'TrainerFailedError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'internal', true, options);
  }
}

/** Thrown by the trainer evaluator when a run exceeds its per-evaluation timeout (the process group was killed). */
export class TrainerTimeoutError extends NasError {
  override name = 'TrainerTimeoutError';
  constructor(message: string) {
    super(message, 'deadline_exceeded', true);
  }
}

/** Thrown by the trainer evaluator when its AbortSignal fired (cancellation or early stopping); the process group was killed. */
export class TrainerCancelledError extends NasError {
  override name = 'TrainerCancelledError';
  constructor(message: string) {
    super(message, 'cancelled', false);
  }
}

/**
 * Thrown when the trainer command is wrong: it cannot be started at all (empty, unbalanced quotes,
 * program not found), or it exited with a usage error's code (2, 126, 127). Not retried.
 */
export class TrainerCommandError extends NasError {
  override name = 'TrainerCommandError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'failed_precondition', false, options);
  }
}

/**
 * A protocol line the trainer printed that breaks `hwnas.trainer/v1`. Thrown by
 * {@link parseTrainerLine}; the evaluator turns it into a {@link TrainerFailedError}.
 */
export class TrainerProtocolError extends NasError {
  override name = 'TrainerProtocolError';
  constructor(message: string) {
    super(message, 'internal', true);
  }
}
