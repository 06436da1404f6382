import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where Kubernetes mounts a pod's service-account token, CA and namespace. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Options of {@link inCluster} and {@link podNamespace}; tests point them elsewhere. */
export interface InClusterOptions {
  /** Environment to read (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Service-account directory (default {@link SERVICE_ACCOUNT_DIR}). */
  readonly serviceAccountDir?: string;
}

/**
 * True when this process runs in a Kubernetes pod that can call the API server: the kubelet set
 * `KUBERNETES_SERVICE_HOST` and a service-account token is mounted (it is not when the pod has
 * `automountServiceAccountToken: false`). Reads the environment and the filesystem; no network.
 */
export function inCluster(opts: InClusterOptions = {}): boolean {
  const env = opts.env ?? process.env;
  return Boolean(env.KUBERNETES_SERVICE_HOST) && existsSync(join(opts.serviceAccountDir ?? SERVICE_ACCOUNT_DIR, 'token'));
}

/**
 * The pod's namespace: the service-account `namespace` file, or undefined when it is missing.
 * Reads the filesystem.
 */
export function podNamespace(opts: InClusterOptions = {}): string | undefined {
  try {
    const ns = readFileSync(join(opts.serviceAccountDir ?? SERVICE_ACCOUNT_DIR, 'namespace'), 'utf8').trim();
    return ns || undefined;
  } catch {
    return undefined;
  }
}
