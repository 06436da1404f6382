import type { INetworkPolicySpec } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicySpec';
import { ofKind, selects } from './render';
import type { K8sObject, Workload } from './render';

/** Where a connection comes from: a workload of the namespace, or anything else (clients, other namespaces). */
export type Source = Workload | 'outside';

/** The container port of `w` that a policy or Service port (number or name) designates, if any. */
export function containerPort(w: Workload, port: number | string): number | undefined {
  for (const c of w.containers) {
    for (const p of c.ports ?? []) {
      if (typeof port === 'number' ? p.containerPort === port : p.name === port) return p.containerPort;
    }
  }
  return undefined;
}

/**
 * Whether the NetworkPolicies let `from` open a TCP connection to port `port` of `to`'s pods
 * (ingress only: the manifests have no egress policies). A pod selected by no policy accepts
 * everything; otherwise some rule of a selecting policy must match both the peer (podSelector
 * in this namespace; an empty `from` matches every source) and the port (number, or a name
 * resolved on `to`'s containers).
 */
export function ingressAllowed(objs: readonly K8sObject[], from: Source, to: Workload, port: number): boolean {
  const policies = ofKind(objs, 'NetworkPolicy')
    .map((p) => p.spec as INetworkPolicySpec)
    .filter((spec) => (spec.policyTypes ?? ['Ingress']).includes('Ingress') && selects(spec.podSelector, to.labels));
  if (policies.length === 0) return true;
  return policies.some((spec) =>
    (spec.ingress ?? []).some((rule) => {
      const peerOk =
        !rule.from || rule.from.length === 0 || rule.from.some((peer) => from !== 'outside' && !peer.namespaceSelector && !peer.ipBlock && peer.podSelector !== undefined && selects(peer.podSelector, from.labels));
      const portOk = !rule.ports || rule.ports.length === 0 || rule.ports.some((p) => (p.protocol ?? 'TCP') === 'TCP' && p.port !== undefined && containerPort(to, p.port) === port);
      return peerOk && portOk;
    }),
  );
}

/** NATS subject wildcard match: `*` one token, `>` one or more trailing tokens. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== '*' && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}

/** One user of a NATS `authorization` block, as far as hwnas's config uses the syntax. */
export interface NatsUser {
  readonly user: string;
  /** The variable the password comes from (`$NATS_X_PASSWORD` -> `NATS_X_PASSWORD`). */
  readonly passwordVar: string;
  readonly publish: string[];
  readonly subscribe: string[];
  readonly allowResponses: boolean;
}

/**
 * The users of an auth.conf written like k8s/base/nats/auth.conf: `user`, `password: $VAR` and
 * `publish/subscribe: { allow: [...] }` per user. Not a general NATS config parser.
 */
export function parseNatsUsers(conf: string): NatsUser[] {
  const text = conf.replace(/#.*$/gm, '');
  const chunks = text.split(/\buser:\s*/).slice(1);
  const allow = (chunk: string, dir: 'publish' | 'subscribe'): string[] => {
    const m = new RegExp(`${dir}:\\s*\\{\\s*allow:\\s*\\[([^\\]]*)\\]`).exec(chunk);
    return m ? [...m[1].matchAll(/"([^"]+)"/g)].map((x) => x[1]) : [];
  };
  return chunks.map((chunk) => {
    const user = /^(\S+)/.exec(chunk)![1];
    const pw = /password:\s*\$([A-Za-z_][A-Za-z0-9_]*)/.exec(chunk);
    if (!pw) throw new Error(`NATS user ${user}: the password must come from a variable ($NAME), not be written in the config`);
    return { user, passwordVar: pw[1], publish: allow(chunk, 'publish'), subscribe: allow(chunk, 'subscribe'), allowResponses: /allow_responses:\s*true/.test(chunk) };
  });
}
