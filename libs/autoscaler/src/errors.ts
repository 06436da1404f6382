import { NasError } from '@hwnas/bench-core';

/** The Kubernetes call a scaler error happened in: RBAC verb, resource and object. */
export interface ScaleOperation {
  /** RBAC verb the call needs, e.g. `get` or `patch`. */
  readonly verb: 'get' | 'patch';
  readonly namespace: string;
  /** The worker Deployment's name. */
  readonly deployment: string;
}

function describe(op: ScaleOperation): string {
  return `${op.verb} deployments/scale "${op.deployment}" in namespace "${op.namespace}"`;
}

/**
 * Thrown by KubernetesWorkerScaler when the API server answers 403: the service account lacks the
 * RBAC permission for the call. Not retryable; the message names the missing rule (apiGroup
 * `apps`, resource `deployments/scale`, the verb and the Deployment as resourceName).
 */
export class ScalingForbiddenError extends NasError {
  override name = 'ScalingForbiddenError';
  constructor(readonly operation: ScaleOperation, serverMessage: string, options?: ErrorOptions) {
    super(
      `RBAC denied: ${describe(operation)}. The coordinator's service account needs a Role rule ` +
        `{ apiGroups: ["apps"], resources: ["deployments/scale"], resourceNames: ["${operation.deployment}"], verbs: ["${operation.verb}"] } ` +
        `bound in namespace "${operation.namespace}"${serverMessage ? ` (API server: ${serverMessage})` : ''}`,
      'failed_precondition',
      false,
      options,
    );
  }
}

/**
 * Thrown by KubernetesWorkerScaler when the API server rejects the credentials (401). Not
 * retryable: a service-account token that the server does not accept will not start working.
 */
export class KubernetesAuthenticationError extends NasError {
  override name = 'KubernetesAuthenticationError';
  constructor(readonly operation: ScaleOperation, options?: ErrorOptions) {
    super(`the Kubernetes API server rejected the credentials for ${describe(operation)} (401)`, 'failed_precondition', false, options);
  }
}

/** Thrown by KubernetesWorkerScaler when the worker Deployment does not exist (404). */
export class WorkerDeploymentNotFoundError extends NasError {
  override name = 'WorkerDeploymentNotFoundError';
  constructor(readonly operation: ScaleOperation, options?: ErrorOptions) {
    super(`worker Deployment "${operation.deployment}" not found in namespace "${operation.namespace}"`, 'not_found', false, options);
  }
}

/**
 * Thrown by KubernetesWorkerScaler when the API server cannot be reached (connection refused or
 * reset, DNS failure, request timeout) or answers 429 / 5xx. Retryable: try again on the next tick.
 */
export class KubernetesUnavailableError extends NasError {
  override name = 'KubernetesUnavailableError';
  constructor(readonly operation: ScaleOperation, detail: string, options?: ErrorOptions) {
    super(`Kubernetes API unavailable for ${describe(operation)}: ${detail}`, 'unavailable', true, options);
  }
}
