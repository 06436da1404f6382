import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isNasError } from '@hwnas/bench-core';
import type { NasError } from '@hwnas/bench-core';
import { createKubernetesWorkerScaler, FIELD_MANAGER } from './kubernetes-worker-scaler';
import type { KubernetesWorkerScaler } from './kubernetes-worker-scaler';
import { inCluster, podNamespace } from './in-cluster';
import { startFakeApiServer } from './testing/fake-api-server';
import type { FakeApiServer } from './testing/fake-api-server';

const NS = 'hwnas';
const WORKER = 'hwnas-worker';

async function scalerFor(api: FakeApiServer, over: { deployment?: string; requestTimeoutMs?: number } = {}): Promise<KubernetesWorkerScaler> {
  const scaler = await createKubernetesWorkerScaler({
    deployment: over.deployment ?? WORKER,
    namespace: NS,
    apiServer: { server: api.url, token: 'sa-token', skipTLSVerify: true },
    requestTimeoutMs: over.requestTimeoutMs,
  });
  if (!scaler) throw new Error('expected a scaler for an explicit API server');
  return scaler;
}

async function rejection(p: Promise<unknown>): Promise<NasError> {
  try {
    await p;
  } catch (e) {
    if (isNasError(e)) return e;
    throw new Error(`expected a NasError, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected a rejection');
}

describe('KubernetesWorkerScaler', () => {
  let api: FakeApiServer;
  beforeEach(async () => {
    api = await startFakeApiServer({ [`${NS}/${WORKER}`]: 2 });
  });
  afterEach(async () => {
    await api.stop();
  });

  test('KubernetesWorkerScaler - reads spec.replicas through the scale subresource with the bearer token', async () => {
    const scaler = await scalerFor(api);
    expect(scaler.target).toBe(`${NS}/${WORKER}`);
    await expect(scaler.getReplicas()).resolves.toBe(2);
    expect(api.requests).toEqual([
      expect.objectContaining({ method: 'GET', path: `/apis/apps/v1/namespaces/${NS}/deployments/${WORKER}/scale`, authorization: 'Bearer sa-token' }),
    ]);
  });

  test('KubernetesWorkerScaler - sets replicas with a JSON patch of /spec/replicas and a field manager', async () => {
    const scaler = await scalerFor(api);
    await scaler.setReplicas(5);
    expect(api.deployments.get(`${NS}/${WORKER}`)).toBe(5);
    const patch = api.requests.at(-1);
    expect(patch).toMatchObject({ method: 'PATCH', contentType: 'application/json-patch+json', body: [{ op: 'add', path: '/spec/replicas', value: 5 }] });
    await expect(scaler.getReplicas()).resolves.toBe(5);
  });

  test('KubernetesWorkerScaler - scales to and from zero (the server omits spec.replicas at 0)', async () => {
    const scaler = await scalerFor(api);
    await scaler.setReplicas(0);
    await expect(scaler.getReplicas()).resolves.toBe(0);
    await scaler.setReplicas(1);
    await expect(scaler.getReplicas()).resolves.toBe(1);
  });

  test('KubernetesWorkerScaler - rejects a negative replica count without calling the server', async () => {
    const scaler = await scalerFor(api);
    const err = await rejection(scaler.setReplicas(-1));
    expect(err.code).toBe('invalid_argument');
    expect(api.requests).toHaveLength(0);
  });

  test('KubernetesWorkerScaler - RBAC denied (403) is failed_precondition naming the missing permission', async () => {
    const scaler = await scalerFor(api);
    api.mode = 'forbidden';
    const read = await rejection(scaler.getReplicas());
    expect(read).toMatchObject({ name: 'ScalingForbiddenError', code: 'failed_precondition', retryable: false });
    expect(read.message).toContain('RBAC denied');
    expect(read.message).toContain('verbs: ["get"]');
    expect(read.message).toContain('resources: ["deployments/scale"]');
    expect(read.message).toContain(`resourceNames: ["${WORKER}"]`);
    expect(read.message).toContain('cannot get resource "deployments/scale"');
    const write = await rejection(scaler.setReplicas(3));
    expect(write).toMatchObject({ name: 'ScalingForbiddenError', code: 'failed_precondition', retryable: false });
    expect(write.message).toContain('verbs: ["patch"]');
    expect(api.deployments.get(`${NS}/${WORKER}`)).toBe(2);
  });

  test('KubernetesWorkerScaler - a server error (503) is unavailable and retryable', async () => {
    const scaler = await scalerFor(api);
    api.mode = 'unavailable';
    const err = await rejection(scaler.getReplicas());
    expect(err).toMatchObject({ name: 'KubernetesUnavailableError', code: 'unavailable', retryable: true });
    expect(err.message).toContain('HTTP 503');
  });

  test('KubernetesWorkerScaler - connection refused (API server down) is unavailable and retryable', async () => {
    const scaler = await scalerFor(api);
    await api.goDown();
    for (const call of [scaler.getReplicas(), scaler.setReplicas(4)]) {
      const err = await rejection(call);
      expect(err).toMatchObject({ name: 'KubernetesUnavailableError', code: 'unavailable', retryable: true });
      expect(err.message).toMatch(/ECONNREFUSED/);
    }
  });

  test('KubernetesWorkerScaler - a request that gets no answer times out as unavailable', async () => {
    const scaler = await scalerFor(api, { requestTimeoutMs: 200 });
    api.mode = 'hang';
    const started = Date.now();
    const err = await rejection(scaler.getReplicas());
    expect(err).toMatchObject({ name: 'KubernetesUnavailableError', code: 'unavailable', retryable: true });
    expect(err.message).toContain('timed out');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  test('KubernetesWorkerScaler - a missing Deployment is not_found', async () => {
    const scaler = await scalerFor(api, { deployment: 'no-such-worker' });
    const err = await rejection(scaler.getReplicas());
    expect(err).toMatchObject({ name: 'WorkerDeploymentNotFoundError', code: 'not_found', retryable: false });
  });

  test('KubernetesWorkerScaler - records the field manager on patches', async () => {
    const scaler = await scalerFor(api);
    await scaler.setReplicas(3);
    expect(new URLSearchParams(api.requests.at(-1)?.query).get('fieldManager')).toBe(FIELD_MANAGER);
  });
});

describe('createKubernetesWorkerScaler', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hwnas-sa-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('createKubernetesWorkerScaler - is switched off (undefined) outside a cluster', async () => {
    await expect(createKubernetesWorkerScaler({ deployment: WORKER, env: {}, serviceAccountDir: dir })).resolves.toBeUndefined();
    // The variable alone is not enough: a pod without a mounted token cannot call the API.
    await expect(createKubernetesWorkerScaler({ deployment: WORKER, env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' }, serviceAccountDir: dir })).resolves.toBeUndefined();
  });

  test('createKubernetesWorkerScaler - rejects an empty deployment name', async () => {
    const err = await rejection(createKubernetesWorkerScaler({ deployment: '', env: {}, serviceAccountDir: dir }));
    expect(err.code).toBe('invalid_argument');
  });

  test('createKubernetesWorkerScaler - requires a namespace with an explicit API server', async () => {
    const err = await rejection(createKubernetesWorkerScaler({ deployment: WORKER, apiServer: { server: 'http://127.0.0.1:1' } }));
    expect(err.code).toBe('invalid_argument');
  });

  test('inCluster - needs KUBERNETES_SERVICE_HOST and a mounted token; podNamespace reads the namespace file', () => {
    expect(inCluster({ env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' }, serviceAccountDir: dir })).toBe(false);
    writeFileSync(join(dir, 'token'), 'x');
    expect(inCluster({ env: {}, serviceAccountDir: dir })).toBe(false);
    expect(inCluster({ env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' }, serviceAccountDir: dir })).toBe(true);
    expect(podNamespace({ serviceAccountDir: dir })).toBeUndefined();
    writeFileSync(join(dir, 'namespace'), 'hwnas\n');
    expect(podNamespace({ serviceAccountDir: dir })).toBe('hwnas');
  });
});
