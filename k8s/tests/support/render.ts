import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { loadAll } from 'js-yaml';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IDeploymentSpec } from 'kubernetes-models/apps/v1/DeploymentSpec';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';

/** The k8s/ folder and the repository root. */
export const K8S_DIR = path.resolve(__dirname, '..', '..');
export const REPO = path.resolve(K8S_DIR, '..');

/** Every overlay under k8s/overlays; each must render and pass every check. */
export const OVERLAYS = ['dev', 'prod'] as const;
export type Overlay = (typeof OVERLAYS)[number];

/** The namespace everything lives in. */
export const NAMESPACE = 'hwnas';

/** A rendered Kubernetes object (only the fields every object has are typed). */
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
  readonly [field: string]: unknown;
}

/** A label selector (matchLabels and matchExpressions). */
export type ILabelSelector = IDeploymentSpec['selector'];

const cache = new Map<string, K8sObject[]>();

/**
 * `kubectl kustomize k8s/overlays/<overlay>`, parsed. Cached per overlay: treat the result as
 * frozen. Throws with kubectl's message when it is missing or the overlay does not build.
 */
export function render(overlay: Overlay | string): K8sObject[] {
  const hit = cache.get(overlay);
  if (hit) return hit;
  const dir = path.join(K8S_DIR, 'overlays', overlay);
  let yaml: string;
  try {
    yaml = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') throw new Error('kubectl is not installed: the k8s tests need `kubectl kustomize` (kubectl >= 1.27)');
    throw new Error(`kubectl kustomize ${dir} failed: ${err.stderr ?? err.message}`);
  }
  const objs = (loadAll(yaml) as (K8sObject | null)[]).filter((o): o is K8sObject => o !== null);
  cache.set(overlay, objs);
  return objs;
}

/** The objects of one kind. */
export function ofKind(objs: readonly K8sObject[], kind: string): K8sObject[] {
  return objs.filter((o) => o.kind === kind);
}

/** The one object of `kind` named `name`; throws naming what is missing. */
export function get(objs: readonly K8sObject[], kind: string, name: string): K8sObject {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} named ${name} in the rendered set`);
  return o;
}

/** A Deployment, StatefulSet or DaemonSet, with its pod template. */
export interface Workload {
  readonly kind: 'Deployment' | 'StatefulSet' | 'DaemonSet';
  readonly name: string;
  readonly obj: K8sObject;
  readonly spec: { readonly replicas?: number; readonly selector: ILabelSelector; readonly template: IPodTemplateSpec; readonly [k: string]: unknown };
  readonly labels: Record<string, string>;
  readonly containers: IContainer[];
}

/** Every workload of the rendered set. */
export function workloads(objs: readonly K8sObject[]): Workload[] {
  return objs
    .filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet' || o.kind === 'DaemonSet')
    .map((o) => {
      const spec = o.spec as Workload['spec'];
      return {
        kind: o.kind as Workload['kind'],
        name: o.metadata.name,
        obj: o,
        spec,
        labels: spec.template.metadata?.labels ?? {},
        containers: [...(spec.template.spec?.initContainers ?? []), ...(spec.template.spec?.containers ?? [])],
      };
    });
}

/** True when `labels` satisfy `selector` (matchLabels and matchExpressions). */
export function selects(selector: ILabelSelector | Record<string, string> | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  const sel: ILabelSelector = 'matchLabels' in selector || 'matchExpressions' in selector ? (selector as ILabelSelector) : { matchLabels: selector as Record<string, string> };
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const ok =
      e.operator === 'In' ? has && (e.values ?? []).includes(labels[e.key])
      : e.operator === 'NotIn' ? !has || !(e.values ?? []).includes(labels[e.key])
      : e.operator === 'Exists' ? has
      : e.operator === 'DoesNotExist' ? !has
      : false;
    if (!ok) return false;
  }
  return true;
}

/** Decoded data of a rendered Secret (base64 `data` and plain `stringData`). */
export function secretData(secret: K8sObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((secret.data as Record<string, string> | undefined) ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  for (const [k, v] of Object.entries((secret.stringData as Record<string, string> | undefined) ?? {})) out[k] = v;
  return out;
}

/**
 * The environment a container sees, as far as it can be known offline: literal values, Secret and
 * ConfigMap keys, and stand-ins for the downward API (`fieldRef` gives `<workload>-0`, the
 * namespace or `node-0`; `resourceFieldRef` the limit as written). `$(VAR)` is expanded like the
 * kubelet does (only variables defined earlier). Throws for a reference that does not resolve.
 */
export function containerEnv(objs: readonly K8sObject[], w: Workload, c: IContainer): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    let v: string;
    if (e.value !== undefined) {
      v = e.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string) => env[name] ?? m);
    } else if (e.valueFrom?.secretKeyRef) {
      const ref = e.valueFrom.secretKeyRef;
      const data = secretData(get(objs, 'Secret', ref.name!));
      if (!(ref.key in data)) throw new Error(`${w.name}/${c.name}: env ${e.name}: Secret ${ref.name} has no key ${ref.key}`);
      v = data[ref.key];
    } else if (e.valueFrom?.configMapKeyRef) {
      const ref = e.valueFrom.configMapKeyRef;
      const data = (get(objs, 'ConfigMap', ref.name!).data ?? {}) as Record<string, string>;
      if (!(ref.key in data)) throw new Error(`${w.name}/${c.name}: env ${e.name}: ConfigMap ${ref.name} has no key ${ref.key}`);
      v = data[ref.key];
    } else if (e.valueFrom?.fieldRef) {
      const f = e.valueFrom.fieldRef.fieldPath;
      v = f === 'metadata.name' ? `${w.name}-0` : f === 'metadata.namespace' ? NAMESPACE : f === 'spec.nodeName' ? 'node-0' : `<${f}>`;
    } else if (e.valueFrom?.resourceFieldRef) {
      const r = e.valueFrom.resourceFieldRef;
      const target = w.containers.find((x) => x.name === (r.containerName ?? c.name));
      const [kind, res] = r.resource.split('.') as ['limits' | 'requests', string];
      const q = target?.resources?.[kind]?.[res];
      if (q === undefined) throw new Error(`${w.name}/${c.name}: env ${e.name}: no ${r.resource} to expose`);
      // The kubelet exposes the quantity divided by `divisor` (default 1), rounded up.
      v = String(Math.ceil(quantity(q) / quantity(r.divisor ?? 1)));
    } else {
      throw new Error(`${w.name}/${c.name}: env ${e.name} has neither a value nor a supported valueFrom`);
    }
    env[e.name] = v;
  }
  return env;
}

const SUFFIX: Readonly<Record<string, number>> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };

/** A Kubernetes quantity (`500m`, `1Gi`, `2`) as a number. */
export function quantity(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(q);
  if (!m || (m[2] && !(m[2] in SUFFIX))) throw new Error(`unsupported quantity ${q}`);
  return Number(m[1]) * (m[2] ? SUFFIX[m[2]] : 1);
}
