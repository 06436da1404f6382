/** For sibling libs and tests: the error mapping of the Kubernetes client. */
export { toScalerError } from './kubernetes-worker-scaler';
