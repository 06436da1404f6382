import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { K8sObject } from './render';

type Model = new (data: never) => { validate(): void };

/**
 * The kinds the manifests may contain, by `apiVersion/kind`, with their kubernetes-models class
 * (JSON schemas of Kubernetes 1.27). A kind that is not listed fails the check: add it here.
 */
export const MODELS: Readonly<Record<string, Model>> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'apps/v1/DaemonSet': DaemonSet,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
};

/** Validates `obj` against its Kubernetes JSON schema; returns the error message or undefined. */
export function schemaError(obj: K8sObject): string | undefined {
  const model = MODELS[`${obj.apiVersion}/${obj.kind}`];
  if (!model) return `${obj.apiVersion} ${obj.kind} is not a kind the manifests may use (add it to MODELS)`;
  try {
    new model(obj as never).validate();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

type ClientModule = typeof import('@kubernetes/client-node', { with: { 'resolution-mode': 'import' } });
interface Attribute {
  readonly baseName: string;
  readonly type: string;
}

const PRIMITIVES: Readonly<Record<string, (v: unknown) => boolean>> = {
  string: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number',
  boolean: (v) => typeof v === 'boolean',
  Date: (v) => typeof v === 'string',
  IntOrString: (v) => typeof v === 'string' || typeof v === 'number',
  any: () => true,
  object: (v) => typeof v === 'object' && v !== null,
};

/**
 * Fields the schema does not know, at any depth (`spec.template.spec.containers[0].readOnlyRootFS:
 * unknown field`). JSON schemas of Kubernetes allow unknown fields, and the API server drops
 * them silently (a misspelt security setting would simply not apply), so this walks the object
 * along the model attribute maps of @kubernetes/client-node (OpenAPI of Kubernetes 1.34).
 */
export function unknownFields(k8s: ClientModule, obj: K8sObject): string[] {
  const version = obj.apiVersion.split('/').pop()!;
  const root = `${version[0].toUpperCase()}${version.slice(1)}${obj.kind}`;
  const errors: string[] = [];
  const classes = k8s as unknown as Record<string, { getAttributeTypeMap?: () => Attribute[] } | undefined>;
  const walk = (value: unknown, type: string, at: string): void => {
    if (value === null || value === undefined) return;
    const prim = PRIMITIVES[type];
    if (prim) {
      if (!prim(value)) errors.push(`${at}: expected ${type}, got ${JSON.stringify(value)}`);
      return;
    }
    const arr = /^Array<(.+)>$/.exec(type);
    if (arr) {
      if (!Array.isArray(value)) return void errors.push(`${at}: expected a list`);
      value.forEach((v, i) => walk(v, arr[1], `${at}[${i}]`));
      return;
    }
    const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
    if (map) {
      if (typeof value !== 'object' || Array.isArray(value)) return void errors.push(`${at}: expected a map`);
      for (const [k, v] of Object.entries(value)) walk(v, map[1], `${at}.${k}`);
      return;
    }
    const cls = classes[type];
    if (!cls?.getAttributeTypeMap) return void errors.push(`${at}: no model ${type} in @kubernetes/client-node`);
    if (typeof value !== 'object' || Array.isArray(value)) return void errors.push(`${at}: expected an object (${type})`);
    const attrs = cls.getAttributeTypeMap();
    for (const [k, v] of Object.entries(value)) {
      const a = attrs.find((x) => x.baseName === k);
      if (!a) errors.push(`${at ? `${at}.` : ''}${k}: unknown field of ${type}`);
      else walk(v, a.type, at ? `${at}.${k}` : k);
    }
  };
  walk(obj, root, '');
  return errors;
}
