/**
 * What a coordinator knows of its workers from their heartbeats (NATS: `NatsWorkerRegistry` of
 * `@hwnas/transport-nats`). Reads only; answers may change from one call to the next as workers
 * come and go.
 */
export interface LiveWorkers {
  /** Evaluation slots of the workers alive now (the sum of their concurrency); 0 when none is known. */
  slots(): number;
  /** Whether a live worker reports that it is evaluating this task now (its lease is being kept). */
  isRunning(taskId: string): boolean;
}
