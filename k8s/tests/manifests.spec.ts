import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { load } from 'js-yaml';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IServicePort } from 'kubernetes-models/v1/ServicePort';
import type { IRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import type { IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { backendTraits, createBackend, deviceIdProblem, deviceMetricInfos, registeredAs } from '@hwnas/device-backends';
import { natsServerBinary } from '@hwnas/testing-nats';
import { createNames } from '@hwnas/transport-nats';
import { APPS, appDockerfile, appOfImage, bundle, cleanBundles, documentedFlags, imageParts, listenPorts, parseFlags, readDockerfile } from './support/images';
import type { App } from './support/images';
import { containerPort, ingressAllowed, parseNatsUsers, subjectMatches } from './support/network';
import type { Source } from './support/network';
import { containerEnv, get, K8S_DIR, NAMESPACE, ofKind, OVERLAYS, render, REPO, secretData, selects, workloads } from './support/render';
import type { K8sObject, Overlay, Workload } from './support/render';
import { schemaError, unknownFields } from './support/validate';

type ClientModule = typeof import('@kubernetes/client-node', { with: { 'resolution-mode': 'import' } });

/** Environment variables the OpenTelemetry SDK reads (apps/*\/src/telemetry.ts starts it). */
const OTEL_ENV = new Set(['OTEL_SERVICE_NAME', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_RESOURCE_ATTRIBUTES']);
/** The uid every container runs as (k8s/images/Dockerfile says USER 10001). */
const UID = 10001;

// The coordinator is to run the autoscaler (libs/autoscaler); until apps/coordinator imports it,
// the HWNAS_AUTOSCALE_* variables the manifests set are checked against the lib alone.
const autoscalerWired = readdirSync(path.join(REPO, 'apps', 'coordinator', 'src'), { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts'))
  .some((f) => readFileSync(path.join(REPO, 'apps', 'coordinator', 'src', f), 'utf8').includes('@hwnas/autoscaler'));
const autoscalerEnv = new Set([...readFileSync(path.join(REPO, 'libs', 'autoscaler', 'src', 'settings.ts'), 'utf8').matchAll(/'(HWNAS_AUTOSCALE_[A-Z_]+)'/g)].map((m) => m[1]));

interface AppContainer {
  readonly w: Workload;
  readonly c: IContainer;
  readonly app: App;
}

function appContainers(objs: readonly K8sObject[]): AppContainer[] {
  return workloads(objs).flatMap((w) => w.containers.flatMap((c) => (appOfImage(c.image ?? '') ? [{ w, c, app: appOfImage(c.image!)! }] : [])));
}

function podSpec(w: Workload): IPodSpec {
  return w.spec.template.spec!;
}

function byApp(objs: readonly K8sObject[], name: string): Workload {
  const found = workloads(objs).filter((w) => w.labels['app.kubernetes.io/name'] === name);
  if (found.length !== 1) throw new Error(`expected one workload of ${name}, found ${found.map((w) => w.name).join(', ') || 'none'}`);
  return found[0];
}

/** Every `host:port` in a string: service URLs (nats://nats:4222), collector endpoints, routes. */
function hostPorts(text: string): { host: string; port: number }[] {
  return [...text.matchAll(/(?<![\w.-])([a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)*):(\d{2,5})\b/g)].map((m) => ({ host: m[1], port: Number(m[2]) }));
}

let k8s: ClientModule;
beforeAll(async () => {
  // The client is ESM-only; Jest transpiles it (jest.preset.js transformIgnorePatterns).
  k8s = await import('@kubernetes/client-node');
});
afterAll(() => cleanBundles());

describe.each(OVERLAYS)('overlay %s', (overlay: Overlay) => {
  const objs = () => render(overlay);

  test('manifests - every object validates against the Kubernetes schemas (kubernetes-models)', () => {
    const errors = objs().flatMap((o) => {
      const err = schemaError(o);
      return err ? [`${o.kind}/${o.metadata.name}: ${err}`] : [];
    });
    expect(errors).toEqual([]);
    expect(objs().length).toBeGreaterThan(20);
  });

  test('manifests - no object has a field the API server would drop (misspelt or misplaced)', () => {
    const errors = objs().flatMap((o) => unknownFields(k8s, o).map((e) => `${o.kind}/${o.metadata.name}: ${e}`));
    expect(errors).toEqual([]);
  });

  test('manifests - names are unique per kind, and everything is in namespace hwnas', () => {
    const keys = objs().map((o) => `${o.kind}/${o.metadata.name}`);
    expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
    const ns = ofKind(objs(), 'Namespace');
    expect(ns.map((n) => n.metadata.name)).toEqual([NAMESPACE]);
    expect(objs().filter((o) => o.kind !== 'Namespace' && o.metadata.namespace !== NAMESPACE).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([]);
  });

  test('manifests - workload selectors match their own pod labels and no other workload', () => {
    const ws = workloads(objs());
    for (const w of ws) {
      expect({ w: w.name, own: selects(w.spec.selector, w.labels) }).toEqual({ w: w.name, own: true });
      const others = ws.filter((x) => x !== w && selects(w.spec.selector, x.labels)).map((x) => x.name);
      expect({ w: w.name, others }).toEqual({ w: w.name, others: [] });
    }
  });

  test('manifests - Services select pods and target named container ports that exist on all of them', () => {
    const errors: string[] = [];
    for (const svc of ofKind(objs(), 'Service')) {
      const spec = svc.spec as { selector?: Record<string, string>; ports: IServicePort[] };
      const targets = workloads(objs()).filter((w) => selects(spec.selector, w.labels));
      if (targets.length === 0) errors.push(`Service ${svc.metadata.name} selects no pods`);
      for (const p of spec.ports) {
        if (!p.name) errors.push(`Service ${svc.metadata.name}: port ${p.port} has no name`);
        if (typeof p.targetPort !== 'string') errors.push(`Service ${svc.metadata.name}: port ${p.port} must target a named container port`);
        for (const w of targets) {
          if (containerPort(w, p.targetPort ?? p.port) === undefined) errors.push(`Service ${svc.metadata.name}: ${w.name} has no container port ${p.targetPort}`);
        }
      }
    }
    expect(errors).toEqual([]);
  });

  test('manifests - NetworkPolicies: default deny, and every rule names pods and ports that exist', () => {
    const ws = workloads(objs());
    const policies = ofKind(objs(), 'NetworkPolicy');
    const deny = policies.filter((p) => {
      const spec = p.spec as { podSelector: object; ingress?: unknown[]; policyTypes?: string[] };
      return Object.keys(spec.podSelector).length === 0 && !spec.ingress && spec.policyTypes?.includes('Ingress');
    });
    expect(deny).toHaveLength(1);
    const errors: string[] = [];
    for (const p of policies.filter((x) => !deny.includes(x))) {
      const spec = p.spec as { podSelector: Workload['spec']['selector']; ingress?: { from?: { podSelector?: Workload['spec']['selector'] }[]; ports?: { port?: number | string }[] }[] };
      const targets = ws.filter((w) => selects(spec.podSelector, w.labels));
      if (targets.length === 0) errors.push(`NetworkPolicy ${p.metadata.name} selects no pods`);
      for (const rule of spec.ingress ?? []) {
        for (const peer of rule.from ?? []) {
          if (peer.podSelector && !ws.some((w) => selects(peer.podSelector, w.labels))) errors.push(`NetworkPolicy ${p.metadata.name}: a from.podSelector matches no pods`);
        }
        for (const port of rule.ports ?? []) {
          for (const w of targets) if (containerPort(w, port.port!) === undefined) errors.push(`NetworkPolicy ${p.metadata.name}: ${w.name} has no port ${port.port}`);
        }
      }
    }
    expect(errors).toEqual([]);
  });

  test('manifests - NetworkPolicies let only what must talk', () => {
    const o = objs();
    const [coord, worker, nats, collector, jaeger] = ['coordinator', 'worker', 'nats', 'otel-collector', 'jaeger'].map((n) => byApp(o, n));
    const agents = workloads(o).filter((w) => w.labels['app.kubernetes.io/name'] === 'device-agent');
    expect(agents.length).toBeGreaterThanOrEqual(4);
    const apps: Workload[] = [coord, worker, ...agents];
    const must: [Source, Workload, number][] = [
      ['outside', coord, 50051],
      ...apps.map((a): [Source, Workload, number] => [a, nats, 4222]),
      [nats, nats, 6222],
      ...apps.flatMap((a): [Source, Workload, number][] => [
        [a, collector, 4317],
        [a, collector, 4318],
      ]),
      [collector, jaeger, 4317],
    ];
    const mustNot: [Source, Workload, number][] = [
      ['outside', nats, 4222],
      ['outside', collector, 4318],
      ['outside', jaeger, 4317],
      ...apps.map((a): [Source, Workload, number] => [a, nats, 6222]),
      ...apps.map((a): [Source, Workload, number] => [a, nats, 8222]),
      ...apps.map((a): [Source, Workload, number] => [a, jaeger, 4317]),
      [collector, nats, 4222],
      [jaeger, nats, 4222],
      [coord, collector, 13133],
      [coord, jaeger, 16686],
      ...[...agents, coord].map((a): [Source, Workload, number] => [a, worker, 4222]),
    ];
    const label = (s: Source) => (s === 'outside' ? 'outside' : s.name);
    expect(must.filter(([f, t, p]) => !ingressAllowed(o, f, t, p)).map(([f, t, p]) => `${label(f)} -> ${t.name}:${p} is blocked`)).toEqual([]);
    expect(mustNot.filter(([f, t, p]) => ingressAllowed(o, f, t, p)).map(([f, t, p]) => `${label(f)} -> ${t.name}:${p} is allowed`)).toEqual([]);
  });

  test('manifests - Secrets, ConfigMaps, claims, service accounts and volumes that pods reference exist', () => {
    const o = objs();
    const errors: string[] = [];
    const has = (kind: string, name: string) => o.some((x) => x.kind === kind && x.metadata.name === name);
    for (const w of workloads(o)) {
      const pod = podSpec(w);
      const claimTemplates = ((w.spec.volumeClaimTemplates as { metadata: { name: string } }[] | undefined) ?? []).map((t) => t.metadata.name);
      const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]));
      if (pod.serviceAccountName && !has('ServiceAccount', pod.serviceAccountName)) errors.push(`${w.name}: ServiceAccount ${pod.serviceAccountName} missing`);
      for (const v of pod.volumes ?? []) {
        if (v.secret) {
          if (!has('Secret', v.secret.secretName!)) errors.push(`${w.name}: volume ${v.name}: Secret ${v.secret.secretName} missing`);
          else for (const item of v.secret.items ?? []) if (!(item.key in secretData(get(o, 'Secret', v.secret.secretName!)))) errors.push(`${w.name}: Secret ${v.secret.secretName} has no key ${item.key}`);
        }
        if (v.configMap) {
          if (!has('ConfigMap', v.configMap.name!)) errors.push(`${w.name}: volume ${v.name}: ConfigMap ${v.configMap.name} missing`);
        }
        if (v.persistentVolumeClaim && !has('PersistentVolumeClaim', v.persistentVolumeClaim.claimName)) errors.push(`${w.name}: claim ${v.persistentVolumeClaim.claimName} missing`);
      }
      for (const c of w.containers) {
        for (const m of c.volumeMounts ?? []) if (!volumes.has(m.name) && !claimTemplates.includes(m.name)) errors.push(`${w.name}/${c.name}: volumeMount ${m.name} has no volume`);
        for (const e of c.envFrom ?? []) {
          if (e.secretRef && !has('Secret', e.secretRef.name!)) errors.push(`${w.name}/${c.name}: envFrom Secret ${e.secretRef.name} missing`);
          if (e.configMapRef && !has('ConfigMap', e.configMapRef.name!)) errors.push(`${w.name}/${c.name}: envFrom ConfigMap ${e.configMapRef.name} missing`);
        }
        try {
          containerEnv(o, w, c);
        } catch (e) {
          errors.push((e as Error).message);
        }
      }
    }
    expect(errors).toEqual([]);
    // The two Secrets the issue asks for exist in every overlay, with the keys the pods use.
    const secrets = ofKind(o, 'Secret').map((s) => ({ name: s.metadata.name.replace(/-[a-z0-9]{10}$/, ''), keys: Object.keys(secretData(s)).sort() }));
    expect(secrets).toEqual(
      expect.arrayContaining([
        { name: 'hwnas-api-token', keys: ['token'] },
        { name: 'hwnas-nats-credentials', keys: ['agent-password', 'coordinator-password', 'worker-password'] },
      ]),
    );
  });

  test('manifests - service addresses in args, env and configs point at Services and ports that exist', () => {
    const o = objs();
    const services = new Map(ofKind(o, 'Service').map((s) => [s.metadata.name, s.spec as { clusterIP?: string; ports: IServicePort[] }]));
    const sets = workloads(o).filter((w) => w.kind === 'StatefulSet');
    const errors: string[] = [];
    const check = (where: string, text: string) => {
      for (const { host, port } of hostPorts(text)) {
        const labels = host.replace(/\.svc(\.cluster\.local)?$/, '').split('.');
        let svcName = labels[0];
        if (!services.has(svcName) && labels.length >= 2) {
          // <pod>.<headless service>: a StatefulSet pod's stable name.
          svcName = labels[1];
          const set = sets.find((s) => s.spec.serviceName === svcName);
          const ordinal = set ? Number(labels[0].slice(set.name.length + 1)) : NaN;
          if (!set || !labels[0].startsWith(`${set.name}-`) || !(ordinal >= 0 && ordinal < (set.spec.replicas ?? 1))) {
            errors.push(`${where}: ${host}:${port} is not a Service nor a pod of a StatefulSet with that serviceName`);
            continue;
          }
          if (services.get(svcName)?.clusterIP !== 'None') errors.push(`${where}: ${svcName} must be headless for pod names`);
        } else if (labels.length >= 2 && labels[1] !== NAMESPACE) {
          errors.push(`${where}: ${host} points outside namespace ${NAMESPACE}`);
        }
        const svc = services.get(svcName);
        if (!svc) errors.push(`${where}: no Service ${svcName} for ${host}:${port}`);
        else if (!svc.ports.some((p) => p.port === port)) errors.push(`${where}: Service ${svcName} has no port ${port}`);
      }
    };
    for (const w of workloads(o)) {
      for (const c of w.containers) {
        check(`${w.name}/${c.name} args`, (c.args ?? []).join(' '));
        for (const [k, v] of Object.entries(containerEnv(o, w, c))) check(`${w.name}/${c.name} env ${k}`, v);
      }
    }
    for (const cm of ofKind(o, 'ConfigMap')) for (const [k, v] of Object.entries((cm.data as Record<string, string>) ?? {})) check(`ConfigMap ${cm.metadata.name} ${k}`, v);
    expect(errors).toEqual([]);
  });

  test('manifests - pods run non-root, read-only, unprivileged (Pod Security "restricted"); every container has requests and limits', () => {
    const o = objs();
    expect(get(o, 'Namespace', NAMESPACE).metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    const errors: string[] = [];
    for (const w of workloads(o)) {
      const pod = podSpec(w);
      const psc = pod.securityContext ?? {};
      if (pod.hostNetwork || pod.hostPID || pod.hostIPC) errors.push(`${w.name}: host namespaces`);
      if ((pod.volumes ?? []).some((v) => v.hostPath)) errors.push(`${w.name}: hostPath volume`);
      for (const c of w.containers) {
        const sc = c.securityContext ?? {};
        const at = `${w.name}/${c.name}`;
        if ((sc.runAsNonRoot ?? psc.runAsNonRoot) !== true) errors.push(`${at}: runAsNonRoot`);
        if ((sc.runAsUser ?? psc.runAsUser) !== UID) errors.push(`${at}: runAsUser ${sc.runAsUser ?? psc.runAsUser}, expected ${UID}`);
        if ((sc.seccompProfile ?? psc.seccompProfile)?.type !== 'RuntimeDefault') errors.push(`${at}: seccompProfile`);
        if (sc.allowPrivilegeEscalation !== false) errors.push(`${at}: allowPrivilegeEscalation`);
        if (sc.readOnlyRootFilesystem !== true) errors.push(`${at}: readOnlyRootFilesystem`);
        if (sc.privileged) errors.push(`${at}: privileged`);
        if (!(sc.capabilities?.drop ?? []).includes('ALL') || (sc.capabilities?.add ?? []).length) errors.push(`${at}: capabilities must drop ALL and add none`);
        for (const kind of ['requests', 'limits'] as const) {
          for (const res of ['cpu', 'memory']) if (c.resources?.[kind]?.[res] === undefined) errors.push(`${at}: no ${kind}.${res}`);
        }
      }
    }
    expect(errors).toEqual([]);
  });

  test('manifests - images are pinned; hwnas images run their Dockerfile entrypoint as its user, with the ports the app listens on', () => {
    const o = objs();
    const errors: string[] = [];
    for (const w of workloads(o)) {
      for (const c of w.containers) {
        const img = imageParts(c.image ?? '');
        if (!img.digest && (!img.tag || img.tag === 'latest')) errors.push(`${w.name}/${c.name}: image ${c.image} is not pinned to a tag or digest`);
      }
    }
    const seen = new Set<App>();
    for (const { w, c, app } of appContainers(o)) {
      seen.add(app);
      const df = appDockerfile(app);
      if (c.command && JSON.stringify(c.command) !== JSON.stringify(df.runtime.entrypoint)) errors.push(`${w.name}: command ${c.command} overrides the image entrypoint`);
      const uid = Number(df.runtime.user?.split(':')[0]);
      if ((c.securityContext?.runAsUser ?? podSpec(w).securityContext?.runAsUser) !== uid) errors.push(`${w.name}: runs as a uid other than the image's USER ${df.runtime.user}`);
      // The one Dockerfile has no EXPOSE (it would hold for one app only): the ports are those the
      // app listens on, by the args and env it gets (the coordinator's --listen), and any port the
      // image did EXPOSE would have to be one of them.
      const ports = (c.ports ?? []).map((p) => p.containerPort).sort();
      const listens = listenPorts(bundle(app).usage, parseFlags(c.args ?? []), containerEnv(o, w, c)).sort();
      if (JSON.stringify(ports) !== JSON.stringify(listens)) errors.push(`${w.name}: container ports ${ports} differ from the ports ${app} listens on: ${listens}`);
      for (const p of df.runtime.expose) if (!listens.includes(p)) errors.push(`${w.name}: the image EXPOSEs ${p}, which ${app} does not listen on`);
    }
    expect(errors).toEqual([]);
    expect([...seen].sort()).toEqual([...APPS].sort());
  });

  test('manifests - app containers pass only flags the apps document and env they read', () => {
    const o = objs();
    const errors: string[] = [];
    for (const { w, c, app } of appContainers(o)) {
      const b = bundle(app);
      const flags = documentedFlags(b.usage);
      const at = `${w.name}/${c.name}`;
      const given = parseFlags(c.args ?? []);
      for (const f of given.keys()) if (!flags.has(f)) errors.push(`${at}: --${f} is not a flag of ${app} (its --help: ${[...flags].join(' ')})`);
      const device = given.get('device');
      if (device !== undefined && !new RegExp(`(^|[\\s|])${device}([\\s|]|$)`).test(b.usage)) errors.push(`${at}: --device ${device} is not a device ${app} knows`);
      const env = (c.env ?? []).map((e) => e.name);
      const refs = (c.env ?? []).map((e) => e.value ?? '').join(' ');
      for (const name of env) {
        if (name.startsWith('HWNAS_')) {
          const read = b.envNames.has(name) || (app === 'coordinator' && !autoscalerWired && autoscalerEnv.has(name));
          if (!read) errors.push(`${at}: ${app} never reads ${name}`);
        } else if (name.startsWith('OTEL_')) {
          if (!OTEL_ENV.has(name)) errors.push(`${at}: ${name} is not an OpenTelemetry variable the manifests use on purpose`);
        } else if (!refs.includes(`$(${name})`)) {
          errors.push(`${at}: ${name} is neither read by ${app} nor used in another variable`);
        }
      }
      for (const required of ['OTEL_SERVICE_NAME', 'OTEL_EXPORTER_OTLP_ENDPOINT']) if (!env.includes(required)) errors.push(`${at}: ${required} missing`);
      // Paths passed as flags exist in the container: data and token mounts.
      const mounts = new Map((c.volumeMounts ?? []).map((m) => [m.mountPath, m]));
      const data = given.get('data');
      if (data !== undefined) {
        const m = mounts.get(data);
        const vol = podSpec(w).volumes?.find((v) => v.name === m?.name);
        if (!m?.readOnly || vol?.persistentVolumeClaim?.claimName !== 'hwnas-data') errors.push(`${at}: --data ${data} must be the read-only mount of the hwnas-data claim`);
      }
      const tokenFile = given.get('token-file');
      if (tokenFile !== undefined) {
        const m = mounts.get(path.dirname(tokenFile));
        const vol = podSpec(w).volumes?.find((v) => v.name === m?.name);
        if (!vol?.secret?.items?.some((i) => i.path === path.basename(tokenFile))) errors.push(`${at}: --token-file ${tokenFile} is not a file of a mounted Secret`);
      }
    }
    expect(errors).toEqual([]);
  });

  test("manifests - the coordinator's Role grants nothing beyond scaling its own workers", () => {
    const o = objs();
    expect(o.filter((x) => x.kind === 'ClusterRole' || x.kind === 'ClusterRoleBinding')).toEqual([]);
    const coord = byApp(o, 'coordinator');
    const worker = byApp(o, 'worker');
    const env = containerEnv(o, coord, coord.containers[0]);
    const roles = ofKind(o, 'Role') as unknown as IRole[];
    expect(roles.map((r) => r.metadata?.name)).toEqual(['hwnas-coordinator-scaler']);
    expect(roles[0].rules).toEqual([{ apiGroups: ['apps'], resources: ['deployments/scale'], resourceNames: [worker.name], verbs: ['get', 'patch'] }]);
    const bindings = ofKind(o, 'RoleBinding') as unknown as IRoleBinding[];
    expect(bindings.map((b) => ({ roleRef: b.roleRef, subjects: b.subjects }))).toEqual([
      { roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'hwnas-coordinator-scaler' }, subjects: [{ kind: 'ServiceAccount', name: 'hwnas-coordinator', namespace: NAMESPACE }] },
    ]);
    // The autoscaler scales exactly the Deployment the Role names, sized by the workers' concurrency.
    expect(worker.kind).toBe('Deployment');
    expect(env.HWNAS_AUTOSCALE_DEPLOYMENT).toBe(worker.name);
    expect(env.HWNAS_AUTOSCALE_PER_WORKER).toBe(parseFlags(worker.containers[0].args ?? []).get('concurrency'));
    expect(Number(env.HWNAS_AUTOSCALE_MIN)).toBeLessThanOrEqual(Number(env.HWNAS_AUTOSCALE_MAX));
    // kubectl apply must not reset what the autoscaler set.
    expect(worker.spec.replicas).toBeUndefined();
    // Only the coordinator holds that identity, and only it gets an API token at all.
    const sas = new Map(ofKind(o, 'ServiceAccount').map((s) => [s.metadata.name, s as K8sObject & { automountServiceAccountToken?: boolean }]));
    for (const w of workloads(o)) {
      const pod = podSpec(w);
      const mounted = pod.automountServiceAccountToken ?? sas.get(pod.serviceAccountName ?? 'default')?.automountServiceAccountToken ?? true;
      expect({ w: w.name, sa: pod.serviceAccountName, mounted }).toEqual(w.name === coord.name ? { w: w.name, sa: 'hwnas-coordinator', mounted: true } : { w: w.name, sa: expect.not.stringMatching(/^hwnas-coordinator$/), mounted: false });
    }
  });

  test('manifests - the coordinator is probed with gRPC health on its gRPC port; NATS on its monitor port', () => {
    const o = objs();
    const coord = byApp(o, 'coordinator');
    const c = coord.containers[0];
    const grpcPort = c.ports?.find((p) => p.name === 'grpc')?.containerPort;
    expect(grpcPort).toBe(50051);
    expect(parseFlags(c.args ?? []).get('listen')).toBe(`0.0.0.0:${grpcPort}`);
    for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) expect(probe?.grpc).toEqual({ port: grpcPort });
    expect((coord.spec.strategy as { type: string }).type).toBe('Recreate');
    expect(coord.spec.replicas).toBe(1);
    const nats = byApp(o, 'nats').containers[0];
    for (const probe of [nats.readinessProbe, nats.livenessProbe, nats.startupProbe]) expect(probe?.httpGet?.port).toBe('monitor');
    expect(nats.ports?.some((p) => p.name === 'monitor')).toBe(true);
  });

  test('manifests - the coordinator serves the web dashboard on its http port, behind its Service and NetworkPolicy', () => {
    for (const overlay of OVERLAYS) {
      const o = render(overlay);
      const c = byApp(o, 'coordinator').containers[0];
      const httpPort = c.ports?.find((p) => p.name === 'http')?.containerPort;
      expect(httpPort).toBe(8080);
      expect(parseFlags(c.args ?? []).get('http')).toBe(`0.0.0.0:${httpPort}`);
      // The dashboard needs the API token like gRPC: the same token file is given.
      expect(parseFlags(c.args ?? []).get('token-file')).toBeDefined();
      const svc = ofKind(o, 'Service').find((s) => s.metadata.name === 'coordinator')!;
      expect((svc.spec as { ports: IServicePort[] }).ports.find((p) => p.name === 'http')).toMatchObject({ port: 8080, targetPort: 'http' });
      const policy = ofKind(o, 'NetworkPolicy').find((p) => p.metadata.name === 'coordinator-grpc')!;
      const ports = (policy.spec as { ingress: { ports: { port: string | number }[] }[] }).ingress.flatMap((i) => i.ports.map((p) => p.port));
      expect(ports).toContain('http');
    }
  });

  test('manifests - NATS: nats-server accepts the config; users, passwords and subjects match the apps', () => {
    const o = objs();
    const natsW = byApp(o, 'nats');
    const cmName = podSpec(natsW).volumes!.find((v) => v.name === 'config')!.configMap!.name!;
    const files = get(o, 'ConfigMap', cmName).data as Record<string, string>;
    expect(Object.keys(files).sort()).toEqual(['auth.conf', 'cluster.conf', 'nats.conf']);
    const natsEnv = containerEnv(o, natsW, natsW.containers[0]);

    const dir = mkdtempSync(path.join(tmpdir(), 'hwnas-nats-conf-'));
    try {
      for (const [name, text] of Object.entries(files)) {
        writeFileSync(path.join(dir, name), text.replace(/store_dir: \S+/, `store_dir: ${path.join(dir, 'js')}`).replace(/pid_file: \S+/, `pid_file: ${path.join(dir, 'nats.pid')}`));
      }
      const run = spawnSync(natsServerBinary(), ['-c', path.join(dir, 'nats.conf'), '-t'], { encoding: 'utf8', env: { PATH: process.env.PATH, ...natsEnv } });
      expect({ status: run.status, out: `${run.stdout}${run.stderr}` }).toEqual({ status: 0, out: expect.stringContaining('is valid') });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    const users = parseNatsUsers(files['auth.conf']);
    expect(users.map((u) => u.user).sort()).toEqual(['agent', 'coordinator', 'worker']);
    const byUser = new Map(users.map((u) => [u.user, u]));
    const expectedUser: Record<App, string> = { coordinator: 'coordinator', worker: 'worker', 'device-agent': 'agent' };
    for (const { w, c, app } of appContainers(o)) {
      const env = containerEnv(o, w, c);
      const u = byUser.get(env.HWNAS_NATS_USER);
      expect({ w: w.name, user: env.HWNAS_NATS_USER }).toEqual({ w: w.name, user: expectedUser[app] });
      expect({ w: w.name, samePassword: natsEnv[u!.passwordVar] !== undefined && natsEnv[u!.passwordVar] === env.HWNAS_NATS_PASS }).toEqual({ w: w.name, samePassword: true });
    }

    // The subjects of libs/transport-nats: who may publish and subscribe where.
    const n = createNames();
    const can = (user: string, dir: 'publish' | 'subscribe', subject: string) => byUser.get(user)![dir].some((p) => subjectMatches(p, subject));
    const s = 'search-1';
    const d = 'asic-eyeriss';
    const matrix: [string, 'publish' | 'subscribe', string, boolean][] = [
      ['coordinator', 'publish', n.evalSubject(s), true],
      // Trainer searches: reports from the workers (the reports stream, acknowledged by the
      // coordinator's consumer), stop orders back (core NATS).
      ['coordinator', 'publish', `$JS.ACK.${n.streams.reports}.${n.consumers.coordinator}.1.2.3.4.5`, true],
      ['worker', 'publish', `$JS.ACK.${n.streams.reports}.${n.consumers.coordinator}.1.2.3.4.5`, false],
      ['coordinator', 'publish', n.stopSubject(s), true],
      ['worker', 'publish', n.reportSubject(s), true],
      ['worker', 'subscribe', n.stopSubject(s), true],
      ['agent', 'publish', n.reportSubject(s), false],
      ['agent', 'publish', n.stopSubject(s), false],
      ['coordinator', 'publish', n.journalSubject(s), true],
      ['coordinator', 'publish', n.deviceMeasureSubject(d), false],
      ['coordinator', 'publish', `$JS.ACK.${n.streams.results}.${n.consumers.coordinator}.1.2.3.4.5`, true],
      ['coordinator', 'publish', `$JS.ACK.${n.streams.eval}.${n.consumers.workers}.1.2.3.4.5`, false],
      ['coordinator', 'subscribe', n.deviceHeartbeatSubject(d), true],
      ['coordinator', 'publish', '$JS.API.STREAM.CREATE.HWNAS_EVAL', true],
      ['coordinator', 'publish', n.resultSubject(s), false],
      ['coordinator', 'subscribe', n.deviceMeasureSubject(d), false],
      ['worker', 'publish', n.resultSubject(s), true],
      ['worker', 'publish', n.deviceMeasureSubject(d), true],
      ['worker', 'publish', `$JS.API.CONSUMER.MSG.NEXT.${n.streams.eval}.${n.consumers.workers}`, true],
      ['worker', 'publish', `$JS.ACK.${n.streams.eval}.${n.consumers.workers}.1.2.3.4.5`, true],
      ['worker', 'publish', `$JS.ACK.${n.streams.results}.${n.consumers.coordinator}.1.2.3.4.5`, false],
      ['worker', 'publish', n.evalSubject(s), false],
      ['worker', 'publish', n.journalSubject(s), false],
      ['worker', 'subscribe', n.deviceMeasureSubject(d), false],
      ['agent', 'subscribe', n.deviceMeasureSubject(d), true],
      ['agent', 'publish', n.deviceHeartbeatSubject(d), true],
      ['agent', 'publish', n.evalSubject(s), false],
      ['agent', 'publish', n.resultSubject(s), false],
      ['agent', 'publish', '$JS.API.STREAM.CREATE.HWNAS_EVAL', false],
      ['agent', 'subscribe', n.evalSubject(s), false],
    ];
    expect(matrix.filter(([u, dir, subj, ok]) => can(u, dir, subj) !== ok).map(([u, dir, subj, ok]) => `${u} ${ok ? 'cannot' : 'can'} ${dir} ${subj}`)).toEqual([]);
    expect(byUser.get('agent')!.allowResponses).toBe(true);
  });

  test('manifests - traces go app -> otel-collector (OTLP) -> jaeger', () => {
    const o = objs();
    const collector = byApp(o, 'otel-collector');
    const cmName = podSpec(collector).volumes!.find((v) => v.configMap)!.configMap!.name!;
    const [file, text] = Object.entries(get(o, 'ConfigMap', cmName).data as Record<string, string>)[0];
    const configArg = collector.containers[0].args?.find((a) => a.startsWith('--config='));
    const mount = collector.containers[0].volumeMounts?.find((m) => m.name === podSpec(collector).volumes!.find((v) => v.configMap)!.name);
    expect(configArg).toBe(`--config=${mount?.mountPath}/${file}`);
    const cfg = load(text) as {
      receivers: { otlp: { protocols: { grpc: { endpoint: string }; http: { endpoint: string } } } };
      exporters: Record<string, { endpoint: string }>;
      service: { pipelines: { traces: { receivers: string[]; exporters: string[] } } };
    };
    expect(Number(cfg.receivers.otlp.protocols.grpc.endpoint.split(':')[1])).toBe(containerPort(collector, 'otlp-grpc'));
    expect(Number(cfg.receivers.otlp.protocols.http.endpoint.split(':')[1])).toBe(containerPort(collector, 'otlp-http'));
    expect(cfg.service.pipelines.traces.receivers).toEqual(['otlp']);
    const exporter = cfg.exporters[cfg.service.pipelines.traces.exporters[0]];
    const jaegerSvc = get(o, 'Service', exporter.endpoint.split(':')[0]);
    expect(selects((jaegerSvc.spec as { selector: Record<string, string> }).selector, byApp(o, 'jaeger').labels)).toBe(true);
    expect(containerPort(byApp(o, 'jaeger'), Number(exporter.endpoint.split(':')[1]))).toBe(4317);
    const names = new Set<string>();
    for (const { w, c } of appContainers(o)) {
      const env = containerEnv(o, w, c);
      const url = new URL(env.OTEL_EXPORTER_OTLP_ENDPOINT);
      const svc = get(o, 'Service', url.hostname);
      expect(selects((svc.spec as { selector: Record<string, string> }).selector, collector.labels)).toBe(true);
      expect(env.OTEL_EXPORTER_OTLP_PROTOCOL).toBe('http/protobuf');
      expect(Number(url.port)).toBe(containerPort(collector, 'otlp-http'));
      names.add(`${w.name}:${env.OTEL_SERVICE_NAME}`);
      expect(env.OTEL_SERVICE_NAME).toMatch(/^hwnas-/);
    }
    expect(names.size).toBe(appContainers(o).length);
  });
});

if (!autoscalerWired) test.todo('coordinator - runs @hwnas/autoscaler with the HWNAS_AUTOSCALE_* settings (startAutoscaler in apps/coordinator/src/main.ts)');

describe('overlays', () => {
  test('dev - one NATS server without routes, a PodDisruptionBudget that still allows drains', () => {
    const o = render('dev');
    const nats = byApp(o, 'nats');
    expect(nats.spec.replicas).toBe(1);
    const cm = get(o, 'ConfigMap', podSpec(nats).volumes!.find((v) => v.name === 'config')!.configMap!.name!).data as Record<string, string>;
    expect(cm['cluster.conf']).not.toMatch(/^\s*cluster\s*\{/m);
    expect((get(o, 'PodDisruptionBudget', 'nats').spec as object)).toMatchObject({ maxUnavailable: 1 });
  });

  test('prod - three NATS servers routed to each other, spread over nodes, and a PDB keeping a quorum of two', () => {
    const o = render('prod');
    const nats = byApp(o, 'nats');
    const replicas = nats.spec.replicas!;
    expect(replicas).toBe(3);
    const cm = get(o, 'ConfigMap', podSpec(nats).volumes!.find((v) => v.name === 'config')!.configMap!.name!).data as Record<string, string>;
    const routes = [...cm['cluster.conf'].matchAll(/nats-route:\/\/([^:\s]+):(\d+)/g)].map((m) => `${m[1]}:${m[2]}`);
    expect(routes.sort()).toEqual(Array.from({ length: replicas }, (_, i) => `${nats.name}-${i}.${nats.spec.serviceName}:${containerPort(nats, 'cluster')}`));
    const pdb = get(o, 'PodDisruptionBudget', 'nats').spec as { minAvailable?: number; maxUnavailable?: number; selector: Workload['spec']['selector'] };
    expect(pdb).toMatchObject({ minAvailable: 2 });
    expect(pdb.maxUnavailable).toBeUndefined();
    expect(selects(pdb.selector, nats.labels)).toBe(true);
    expect(podSpec(nats).topologySpreadConstraints?.[0]).toMatchObject({ topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule' });
  });

  test('prod - registry images at a release tag; secrets generated from overlays/prod/secrets, not dev values', () => {
    const prod = render('prod');
    const dev = render('dev');
    for (const { c } of appContainers(prod)) expect(imageParts(c.image!)).toMatchObject({ tag: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    const token = (o: K8sObject[]) => secretData(ofKind(o, 'Secret').find((s) => s.metadata.name.startsWith('hwnas-api-token'))!).token.trim();
    expect(token(prod)).toBe(readFileSync(path.join(K8S_DIR, 'overlays', 'prod', 'secrets', 'api-token'), 'utf8').trim());
    expect(token(prod)).not.toBe(token(dev));
  });
});

describe('images', () => {
  test.each(APPS)('%s - k8s/images/Dockerfile with APP=<app> bundles apps/<app>/src/main.ts and its entrypoint runs that bundle', (app) => {
    const df = appDockerfile(app);
    expect(df.stages.map((s) => s.name)).toEqual(['manifests', 'deps', 'prod-deps', 'build', undefined]);
    // Pinned bases: the Node build image and the distroless runtime (no shell, no npm).
    expect(df.stages.map((s) => s.from)).toEqual(['node:20-bookworm-slim', 'node:20-bookworm-slim', 'node:20-bookworm-slim', 'deps', 'gcr.io/distroless/nodejs20-debian12:nonroot']);
    // Only the bundling reads APP: the install stages are the same for every app.
    for (const s of df.stages.filter((x) => x.name !== 'build' && x.name !== undefined)) expect({ stage: s.name, args: s.instructions.filter((i) => i.op === 'ARG') }).toEqual({ stage: s.name, args: [] });
    const build = df.stages.find((s) => s.name === 'build')!;
    expect(build.instructions.filter((i) => i.op === 'RUN').map((i) => i.args)).toEqual([`node k8s/images/bundle-app.cjs ${app} --out /out --prune /prod/node_modules`]);
    expect(df.runtime.workdir).toBe('/app');
    expect(df.runtime.env).toEqual({ NODE_ENV: 'production' });
    expect(df.runtime.instructions.filter((i) => i.op === 'COPY').map((i) => i.args)).toEqual(['--from=build /prod/node_modules ./node_modules', `--from=build /out/apps/${app} ./`]);
    expect(df.runtime.labels).toEqual({
      'org.opencontainers.image.title': `hwnas-${app}`,
      'org.opencontainers.image.description': expect.stringMatching(new RegExp(`^hwnas ${app}\\b`)),
      'org.opencontainers.image.licenses': 'MIT',
    });
    // The entrypoint is exec form (no shell in the image), so it cannot name the app: it is the same for every app...
    expect(df.runtime.entrypoint).toEqual(['/nodejs/bin/node', '--enable-source-maps', '/app/dist/main.js']);
    expect(df.runtime.user).toBe(`${UID}:${UID}`);
    // ...and runs the bundle of this app, which the COPY put there (the same bytes bundle-app.cjs built).
    const b = bundle(app);
    expect(b.meta.main).toBe(`apps/${app}/dist/main.js`);
    expect(b.main).toBe(path.join(b.image, 'app', 'dist', 'main.js'));
    expect(readFileSync(b.main, 'utf8')).toBe(readFileSync(path.join(b.out, b.meta.main), 'utf8'));
    expect(b.meta.inputs).toContain(`apps/${app}/src/main.ts`);
    // Only the workspace's TypeScript is bundled; npm packages stay external.
    expect(b.meta.inputs.filter((i) => i.includes('node_modules'))).toEqual([]);
    // What the image holds: the bundle (with its source map), the .proto files beside it when it
    // loads them, and node_modules; nothing else, in / or in /app.
    expect(readdirSync(b.image)).toEqual(['app']);
    expect(readdirSync(b.cwd).sort()).toEqual([...(b.meta.protoFiles.length ? ['hwnas'] : []), ...(b.meta.dataPack.length ? ['data'] : []), 'dist', 'node_modules'].sort());
    expect(readdirSync(path.join(b.cwd, 'dist')).sort()).toEqual([...(b.meta.dashboardFiles.length ? ['dashboard'] : []), 'bundle-meta.json', 'main.js', 'main.js.map'].sort());
  });

  test.each(APPS)('%s - the bundle starts from the image layout with node_modules pruned to its externals', (app) => {
    const b = bundle(app);
    expect(b.usage).toMatch(new RegExp(`^${app}\\b`));
    // The coordinator serves reflection from the .proto files, which must ship beside the bundle.
    if (b.meta.inputs.includes('proto/src/proto-files.ts')) expect(b.meta.protoFiles.length).toBeGreaterThan(0);
    // @hwnas/proto's PROTO_DIR is the bundle's dist/.. in the image.
    expect(b.meta.protoFiles.filter((f) => !existsSync(path.join(path.dirname(b.main), '..', f)))).toEqual([]);
    expect(b.meta.externals).not.toContain('typescript');
    expect(b.meta.externals).not.toContain('tsx');
    // An app that reads benchmark data has the data pack beside it (found above dist/), whole.
    if (b.meta.inputs.includes('libs/bench-core/src/data/data-pack.ts')) {
      expect(b.meta.dataPack.sort()).toEqual(['data/pack/hwnas-data-v1.bin', 'data/pack/manifest.json']);
      for (const f of b.meta.dataPack) expect(readFileSync(path.join(b.cwd, f))).toEqual(readFileSync(path.join(REPO, f)));
    }
    // The web dashboard's browser bundle and stylesheet ship prebuilt beside the bundle (no esbuild in the image).
    expect(b.meta.externals).not.toContain('esbuild');
    if (b.meta.inputs.includes('libs/dashboard/src/assets.ts')) expect(b.meta.dashboardFiles.sort()).toEqual(['dist/dashboard/app.css', 'dist/dashboard/app.js']);
    expect(b.meta.dashboardFiles.filter((f) => !existsSync(path.join(path.dirname(b.main), '..', f)))).toEqual([]);
    if (app === 'coordinator') expect(b.meta.dashboardFiles).toHaveLength(2);
  });

  test('.dockerignore - keeps node_modules, build output, data and k8s manifests out of the context, but not the bundler', () => {
    const lines = readFileSync(path.join(REPO, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const p of ['**/node_modules', '**/dist', '.git', 'data', '!data/pack', 'k8s/*', '!k8s/images/']) expect(lines).toContain(p);
  });
});

describe('device agents', () => {
  it.each(OVERLAYS)('%s - agents of one backend on different hardware (x86 nodes, edge boards) register under distinct device ids and metric names', (overlay: Overlay) => {
    const o = render(overlay);
    const regs = appContainers(o)
      .filter((x) => x.app === 'device-agent')
      .map(({ w, c }) => {
        const flags = parseFlags(c.args ?? []);
        const env = containerEnv(o, w, c);
        const backend = flags.get('device') ?? env.HWNAS_DEVICE;
        const id = flags.get('device-id') ?? env.HWNAS_DEVICE_ID ?? backend;
        // Replay devices would need the tables to describe themselves; none runs in the manifests yet.
        const metrics = backendTraits(backend).needsData ? [] : deviceMetricInfos(registeredAs(createBackend(backend).describe(), id)).map((m) => m.name);
        return { w: w.name, backend, id, problem: deviceIdProblem(id, backend), metrics, label: w.labels['hwnas.dev/device'], otel: /(?:^|,)hwnas\.device=([^,]*)/.exec(env.OTEL_RESOURCE_ATTRIBUTES ?? '')?.[1] };
      });
    expect(regs.filter((r) => r.problem !== undefined)).toEqual([]);
    // The two host-cpu agents: the cluster's x86 CPUs under the backend's id, the boards under their own.
    const hostCpu = regs.filter((r) => r.backend === 'host-cpu').sort((a, b) => a.w.localeCompare(b.w));
    expect(hostCpu.map((r) => [r.w, r.id, r.metrics])).toEqual([
      ['device-agent-edge', 'edge-arm64', ['edge_arm64_latency']],
      ['device-agent-host-cpu', 'host-cpu', ['hostcpu_latency']],
    ]);
    // One workload (one kind of hardware) per device id, and no metric name reported by two of them.
    const ids = regs.map((r) => r.id);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    const metrics = regs.flatMap((r) => r.metrics);
    expect(metrics.filter((m, i) => metrics.indexOf(m) !== i)).toEqual([]);
    // Labels and telemetry name the device by the id it registers under.
    expect(regs.filter((r) => r.label !== r.id || r.otel !== r.id).map((r) => `${r.w}: label ${r.label}, OTEL hwnas.device ${r.otel}, registers as ${r.id}`)).toEqual([]);
    // The board id claims arm64: the DaemonSet lands on arm64 nodes only.
    expect(podSpec(workloads(o).find((w) => w.name === 'device-agent-edge')!).nodeSelector?.['kubernetes.io/arch']).toBe('arm64');
  });
});

it('overlays - JetStream stream replicas: prod coordinator and worker ask for 3, no more than its NATS servers; dev for 1', () => {
  // What the app reads: --stream-replicas wins over HWNAS_STREAM_REPLICAS; 1 when neither is set.
  const streamReplicas = (o: K8sObject[], app: App) => {
    const w = byApp(o, app);
    const c = w.containers.find((x) => appOfImage(x.image ?? '') === app)!;
    return Number(parseFlags(c.args ?? []).get('stream-replicas') ?? containerEnv(o, w, c).HWNAS_STREAM_REPLICAS ?? 1);
  };
  const prod = render('prod');
  expect({ coordinator: streamReplicas(prod, 'coordinator'), worker: streamReplicas(prod, 'worker') }).toEqual({ coordinator: 3, worker: 3 });
  // A stream cannot have more replicas than there are JetStream servers to hold them.
  expect(byApp(prod, 'nats').spec.replicas).toBeGreaterThanOrEqual(3);
  const dev = render('dev');
  expect({ coordinator: streamReplicas(dev, 'coordinator'), worker: streamReplicas(dev, 'worker') }).toEqual({ coordinator: 1, worker: 1 });
  expect(byApp(dev, 'nats').spec.replicas).toBe(1);
});

describe('trainer workers', () => {
  const TRAINER_DOCKERFILE = path.join(K8S_DIR, 'images', 'trainer-worker.Dockerfile');

  test('prod - trainer workers run the worker with --trainer: documented flags and env, one trainer slot per GPU, datasets read-only, checkpoints on a ReadWriteMany claim', () => {
    const o = render('prod');
    const w = byApp(o, 'trainer-worker');
    expect(w.containers).toHaveLength(1);
    const c = w.containers[0];
    expect(imageParts(c.image ?? '')).toMatchObject({ repo: 'registry.example.com/hwnas/trainer-worker', tag: '0.1.0' });
    // It is the worker app (the image's entrypoint runs the worker bundle): its flags and env are the worker's.
    const b = bundle('worker');
    const documented = documentedFlags(b.usage);
    const flags = parseFlags(c.args ?? []);
    expect([...flags.keys()].filter((f) => !documented.has(f))).toEqual([]);
    expect((c.env ?? []).map((e) => e.name).filter((n) => n.startsWith('HWNAS_') && !b.envNames.has(n))).toEqual([]);
    expect(containerEnv(o, w, c).HWNAS_STREAM_REPLICAS).toBe('3');
    // One trainer per GPU, and the GPUs are asked for (requests = limits, as the device plugin needs).
    const gpus = c.resources?.limits?.['nvidia.com/gpu'];
    expect(gpus).toBeDefined();
    expect(c.resources?.requests?.['nvidia.com/gpu']).toBe(gpus);
    expect(flags.get('trainer-slots')).toBe(String(gpus));
    expect(podSpec(w).tolerations?.some((t) => t.key === 'nvidia.com/gpu')).toBe(true);
    // A training holds its task for hours: the queue must not redeliver it before the trainer timeout.
    expect(Number(flags.get('ack-wait-ms'))).toBeGreaterThanOrEqual(Number(flags.get('trainer-timeout-s')) * 1000);
    // The mounts: tables (hwnas-data), the training data set and the work root.
    const mounts = new Map((c.volumeMounts ?? []).map((m) => [m.mountPath, m]));
    const claimAt = (dir: string) => {
      const m = [...mounts.values()].find((x) => dir === x.mountPath || dir.startsWith(`${x.mountPath}/`));
      const vol = podSpec(w).volumes?.find((v) => v.name === m?.name);
      return { readOnly: m?.readOnly === true, claim: vol?.persistentVolumeClaim?.claimName };
    };
    expect(claimAt(flags.get('data')!)).toEqual({ readOnly: true, claim: 'hwnas-data' });
    expect(claimAt(flags.get('work-root')!)).toEqual({ readOnly: false, claim: 'hwnas-work' });
    const work = get(o, 'PersistentVolumeClaim', 'hwnas-work').spec as { accessModes: string[] };
    expect(work.accessModes).toEqual(['ReadWriteMany']);
    // The trainer command: the reference trainer shipped in the image, reading a read-only data set claim.
    const trainer = flags.get('trainer')!.split(' ');
    expect(trainer[1]).toBe('/opt/hwnas/trainers/pytorch/train.py');
    const dataArg = trainer[trainer.indexOf('--data') + 1];
    expect(claimAt(dataArg)).toEqual({ readOnly: true, claim: 'hwnas-datasets' });
    // NATS and the collector let it in, as they do the table workers.
    const nats = byApp(o, 'nats');
    const collector = byApp(o, 'otel-collector');
    expect([ingressAllowed(o, w, nats, 4222), ingressAllowed(o, w, collector, 4318), ingressAllowed(o, w, nats, 6222)]).toEqual([true, true, false]);
  });

  test('dev - no trainer workers (no GPUs); the table worker stays the only worker', () => {
    expect(workloads(render('dev')).filter((w) => w.labels['app.kubernetes.io/name'] === 'trainer-worker')).toEqual([]);
  });

  test('trainer-worker.Dockerfile - the worker bundle and Node 20 on a PyTorch base, the worker entrypoint, uid 10001, and the reference trainer where --trainer runs it', () => {
    const df = readDockerfile({}, TRAINER_DOCKERFILE);
    expect(df.stages.map((s) => s.from)).toEqual(['hwnas/worker:dev', 'node:20-bookworm-slim', 'pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime']);
    const copies = df.runtime.instructions.filter((i) => i.op === 'COPY').map((i) => i.args);
    expect(copies).toEqual(['--from=node /usr/local/bin/node /usr/local/bin/node', '--from=worker /app /app', 'trainers/pytorch /opt/hwnas/trainers/pytorch']);
    // The worker image's /app is the worker bundle (k8s/images/Dockerfile, APP=worker), run by the same script.
    const worker = appDockerfile('worker');
    expect(df.runtime.entrypoint.slice(1)).toEqual(worker.runtime.entrypoint.slice(1));
    expect(df.runtime.entrypoint[0]).toBe('/usr/local/bin/node');
    expect(worker.runtime.workdir).toBe('/app');
    expect(df.runtime.workdir).toBe('/app');
    expect(df.runtime.user).toBe(`${UID}:${UID}`);
    // Read-only root filesystem: no bytecode caches, caches under the /tmp volume.
    expect(df.runtime.env).toMatchObject({ NODE_ENV: 'production', PYTHONDONTWRITEBYTECODE: '1', HOME: '/tmp' });
    expect(df.runtime.labels['org.opencontainers.image.title']).toBe('hwnas-trainer-worker');
  });
});
