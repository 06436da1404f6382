/**
 * @hwnas/autoscaler: elastic workers. {@link decideReplicas} turns the evaluation backlog into a
 * worker replica count (pure, with hysteresis and cooldown); {@link startAutoscaler} runs it in a
 * loop against a {@link WorkerScaler}; {@link createKubernetesWorkerScaler} implements that over
 * the scale subresource of the worker Deployment, and is undefined outside a cluster.
 */
export { decideReplicas, validateScaleBounds, DEFAULT_SCALE_DOWN_UTILIZATION } from './decide';
export type { ScaleInput, ScaleDecision } from './decide';
export type { WorkerScaler } from './worker-scaler';
export { createKubernetesWorkerScaler, KubernetesWorkerScaler, FIELD_MANAGER } from './kubernetes-worker-scaler';
export type { KubernetesWorkerScalerOptions, ApiServerOptions } from './kubernetes-worker-scaler';
export { ScalingForbiddenError, KubernetesAuthenticationError, KubernetesUnavailableError, WorkerDeploymentNotFoundError } from './errors';
export type { ScaleOperation } from './errors';
export { inCluster, podNamespace, SERVICE_ACCOUNT_DIR } from './in-cluster';
export type { InClusterOptions } from './in-cluster';
export { startAutoscaler } from './autoscaler';
export type { Autoscaler, AutoscalerOptions, AutoscalerTick } from './autoscaler';
export { autoscalerSettingsFromEnv, AUTOSCALER_ENV } from './settings';
export type { AutoscalerSettings } from './settings';
