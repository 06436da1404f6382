import { InvalidArgumentError, isNasError, NasError } from '@hwnas/bench-core';
import type { AppsV1Api, ConfigurationOptions, KubeConfig } from '@kubernetes/client-node' with { 'resolution-mode': 'import' };
import { inCluster, podNamespace } from './in-cluster';
import type { InClusterOptions } from './in-cluster';
import { KubernetesAuthenticationError, KubernetesUnavailableError, ScalingForbiddenError, WorkerDeploymentNotFoundError } from './errors';
import type { ScaleOperation } from './errors';
import type { WorkerScaler } from './worker-scaler';

type KubernetesClient = typeof import('@kubernetes/client-node', { with: { 'resolution-mode': 'import' } });

/** An API server to use instead of the in-cluster one (tests, or a deliberate out-of-cluster run). */
export interface ApiServerOptions {
  /** Base URL, e.g. `https://10.0.0.1:6443` or `http://127.0.0.1:PORT` for a stand-in. */
  readonly server: string;
  /** Bearer token sent with every request. */
  readonly token?: string;
  /**
   * Accept any TLS certificate. Default: false for `https:`, true for plain `http:` (there is no
   * certificate; the client refuses `http:` unless this is set).
   */
  readonly skipTLSVerify?: boolean;
}

/**
 * Options of {@link createKubernetesWorkerScaler}. `env` and `serviceAccountDir` (from
 * InClusterOptions) only steer the in-cluster detection and the namespace lookup; the in-cluster
 * client itself always uses the standard service-account mount.
 */
export interface KubernetesWorkerScalerOptions extends InClusterOptions {
  /** Name of the worker Deployment (e.g. `hwnas-worker`). */
  readonly deployment: string;
  /**
   * Namespace of the Deployment. Default: the pod's own namespace (service-account file). Required
   * with `apiServer`.
   */
  readonly namespace?: string;
  /**
   * Talk to this API server instead of the in-cluster one. Without it, the scaler exists only in
   * a cluster (see {@link inCluster}).
   */
  readonly apiServer?: ApiServerOptions;
  /** Deadline of each API request, milliseconds (default 10000). */
  readonly requestTimeoutMs?: number;
}

/** Field manager recorded by the API server for the replica changes this scaler makes. */
export const FIELD_MANAGER = 'hwnas-autoscaler';

/**
 * Creates a {@link KubernetesWorkerScaler}, or returns undefined when there is nothing to scale:
 * not running in a Kubernetes pod (no `KUBERNETES_SERVICE_HOST` or no service-account token) and
 * no `apiServer` given. So a coordinator started on a laptop or in tests switches autoscaling off
 * by itself. Loads `@kubernetes/client-node` (an ES module) on first use. Makes no request.
 * Throws InvalidArgumentError for an empty deployment name, or when no namespace is known.
 */
export async function createKubernetesWorkerScaler(opts: KubernetesWorkerScalerOptions): Promise<KubernetesWorkerScaler | undefined> {
  if (!opts.deployment) throw new InvalidArgumentError('autoscaler: the worker Deployment name must not be empty');
  if (!opts.apiServer && !inCluster(opts)) return undefined;
  const namespace = opts.namespace ?? (opts.apiServer ? undefined : podNamespace(opts));
  if (!namespace) throw new InvalidArgumentError('autoscaler: no namespace given and none found in the service-account directory');
  // A dynamic import: the client is ESM-only and this package is compiled as CommonJS.
  const k8s: KubernetesClient = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  if (opts.apiServer) {
    const { server, token, skipTLSVerify = server.startsWith('http:') } = opts.apiServer;
    kc.loadFromOptions({
      clusters: [{ name: 'hwnas', server, skipTLSVerify }],
      users: [{ name: 'hwnas', ...(token ? { token } : {}) }],
      contexts: [{ name: 'hwnas', cluster: 'hwnas', user: 'hwnas', namespace }],
      currentContext: 'hwnas',
    });
  } else {
    // The standard service-account mount; its token file is re-read, so rotated tokens work.
    kc.loadFromCluster();
  }
  return new KubernetesWorkerScaler(k8s, kc, { deployment: opts.deployment, namespace, requestTimeoutMs: opts.requestTimeoutMs ?? 10_000 });
}

/**
 * Scales the worker Deployment through its `scale` subresource (GET and a JSON patch of
 * `/spec/replicas`), which is all the coordinator's Role allows. Each request has a deadline.
 * Errors: {@link ScalingForbiddenError} (403), {@link KubernetesAuthenticationError} (401),
 * {@link WorkerDeploymentNotFoundError} (404), {@link KubernetesUnavailableError} (connection
 * failures, timeouts, 429, 5xx; retryable), and NasError `internal` for anything else.
 * Safe to call concurrently; holds no state besides the client.
 */
export class KubernetesWorkerScaler implements WorkerScaler {
  readonly target: string;
  private readonly api: AppsV1Api;

  /** Use {@link createKubernetesWorkerScaler}. */
  constructor(
    private readonly k8s: KubernetesClient,
    kc: KubeConfig,
    private readonly opts: { readonly deployment: string; readonly namespace: string; readonly requestTimeoutMs: number },
  ) {
    this.api = kc.makeApiClient(k8s.AppsV1Api);
    this.target = `${opts.namespace}/${opts.deployment}`;
  }

  /** `spec.replicas` of the Deployment's scale (0 when the server omits it). */
  async getReplicas(): Promise<number> {
    const op = this.operation('get');
    try {
      const scale = await this.api.readNamespacedDeploymentScale({ name: op.deployment, namespace: op.namespace }, this.requestOptions());
      return scale.spec?.replicas ?? 0;
    } catch (e) {
      throw toScalerError(e, op);
    }
  }

  /** Sets `spec.replicas`. Throws InvalidArgumentError for a negative or fractional count. */
  async setReplicas(replicas: number): Promise<void> {
    if (!Number.isSafeInteger(replicas) || replicas < 0) throw new InvalidArgumentError(`autoscaler: replicas must be an integer >= 0, got ${replicas}`);
    const op = this.operation('patch');
    try {
      await this.api.patchNamespacedDeploymentScale(
        {
          name: op.deployment,
          namespace: op.namespace,
          // `add` rather than `replace`: the server omits spec.replicas when it is 0, and `replace`
          // of a missing member fails; `add` sets it either way (RFC 6902).
          body: [{ op: 'add', path: '/spec/replicas', value: replicas }],
          fieldManager: FIELD_MANAGER,
        },
        this.requestOptions(),
      );
    } catch (e) {
      throw toScalerError(e, op);
    }
  }

  private operation(verb: ScaleOperation['verb']): ScaleOperation {
    return { verb, namespace: this.opts.namespace, deployment: this.opts.deployment };
  }

  /** Per-request middleware that aborts the request after the deadline. */
  private requestOptions(): ConfigurationOptions {
    const { Observable } = this.k8s;
    const timeoutMs = this.opts.requestTimeoutMs;
    return {
      middleware: [
        {
          pre: (ctx) => {
            ctx.setSignal(AbortSignal.timeout(timeoutMs));
            return new Observable(Promise.resolve(ctx));
          },
          post: (rsp) => new Observable(Promise.resolve(rsp)),
        },
      ],
      middlewareMergeStrategy: 'append',
    };
  }
}

/** Network error codes that mean "the API server is not reachable right now". */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET']);

/**
 * Maps what the client throws to a NasError. The client throws `ApiException` (numeric `code` =
 * HTTP status, `body` = the server's Status object) for HTTP errors, and node-fetch errors
 * (`FetchError` with a system `code`, `AbortError` on the deadline) for transport failures.
 */
export function toScalerError(e: unknown, op: ScaleOperation): NasError {
  if (isNasError(e)) return e;
  const err = (e ?? {}) as { code?: unknown; body?: unknown; name?: unknown; type?: unknown; message?: unknown };
  if (typeof err.code === 'number') {
    const status = err.code;
    const serverMessage = statusMessage(err.body);
    if (status === 403) return new ScalingForbiddenError(op, serverMessage, { cause: e });
    if (status === 401) return new KubernetesAuthenticationError(op, { cause: e });
    if (status === 404) return new WorkerDeploymentNotFoundError(op, { cause: e });
    if (status === 429 || status >= 500) return new KubernetesUnavailableError(op, `HTTP ${status}${serverMessage ? `: ${serverMessage}` : ''}`, { cause: e });
    return new NasError(`Kubernetes API error for ${op.verb} deployments/scale "${op.deployment}": HTTP ${status}${serverMessage ? `: ${serverMessage}` : ''}`, 'internal', false, { cause: e });
  }
  if (err.name === 'AbortError' || err.name === 'TimeoutError') return new KubernetesUnavailableError(op, 'request timed out', { cause: e });
  if ((typeof err.code === 'string' && NETWORK_CODES.has(err.code)) || (err.name === 'FetchError' && err.type === 'system')) {
    return new KubernetesUnavailableError(op, typeof err.message === 'string' ? err.message : String(err.code), { cause: e });
  }
  return new NasError(`unexpected error for ${op.verb} deployments/scale "${op.deployment}": ${typeof err.message === 'string' ? err.message : String(e)}`, 'internal', false, {
    cause: e,
  });
}

function statusMessage(body: unknown): string {
  if (typeof body === 'string') {
    try {
      return statusMessage(JSON.parse(body));
    } catch {
      return body.slice(0, 300);
    }
  }
  if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') return (body as { message: string }).message;
  return '';
}
