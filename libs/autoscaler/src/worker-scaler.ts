/**
 * Reads and sets how many worker replicas run. Implemented over the Kubernetes scale subresource
 * by KubernetesWorkerScaler; tests use an in-memory one.
 *
 * Errors are NasErrors: `unavailable` (retryable) when the platform cannot be reached,
 * `failed_precondition` when this process is not allowed to scale, `not_found` when the workers
 * do not exist.
 */
export interface WorkerScaler {
  /** What is scaled, for logs, e.g. `hwnas/hwnas-worker`. */
  readonly target: string;
  /** The replica count currently asked for (the desired count, not the ready pods). */
  getReplicas(): Promise<number>;
  /** Asks for `replicas` replicas. Idempotent; last writer wins. */
  setReplicas(replicas: number): Promise<void>;
}
