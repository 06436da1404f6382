import { costMetricInfo, InvalidArgumentError } from '@hwnas/bench-core';
import type { Benchmark, MetricInfo } from '@hwnas/bench-core';
import { createBackend, deviceMetricInfos, isBackendId, possibleDeviceMetricInfos } from '@hwnas/device-backends';
import type { DeviceCatalog } from '@hwnas/runtime';
import type { NatsNames } from '@hwnas/transport-nats';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { LiveDevice } from './grpc/benchmark-mappers';

const KINDS: readonly unknown[] = ['measured', 'simulated', 'replay'] satisfies LiveDevice['kind'][];
const STATES: readonly unknown[] = ['serving', 'draining', 'stopped'] satisfies NonNullable<Heartbeat['state']>[];
/** Most senders of malformed heartbeats remembered (and warned about once each). */
const MAX_NOTED_SOURCES = 1000;

/** What the registry keeps of a heartbeat (`AgentStats` of the device agent): the fields it reads, checked. */
interface Heartbeat {
  readonly agent: string;
  /** The id the agent registered under. */
  readonly device: string;
  /** The backend it runs; `device` when the agent predates the field (it could only register as its backend then). */
  readonly backend: string;
  readonly kind: LiveDevice['kind'];
  /** '' when the agent predates the field. */
  readonly description: string;
  readonly metrics: readonly string[];
  readonly supports: LiveDevice['supports'];
  /** Absent: accepted, but the agent is not live (only `serving` is). */
  readonly state?: 'serving' | 'draining' | 'stopped';
}

const isStringArray = (v: unknown): v is readonly string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A parsed heartbeat body as the registry keeps it (a copy of the fields it reads, nothing else),
 * or why it is not one. Nothing here throws.
 */
function checkHeartbeat(body: unknown): { readonly hb: Heartbeat } | { readonly why: string } {
  if (!isObject(body)) return { why: 'not a JSON object' };
  const { agent, device, backend, kind, description, metrics, supports, state } = body;
  if (typeof agent !== 'string' || agent === '') return { why: 'agent is not a non-empty string' };
  if (typeof device !== 'string' || device === '') return { why: 'device is not a non-empty string' };
  if (backend !== undefined && (typeof backend !== 'string' || backend === '')) return { why: 'backend is not a non-empty string' };
  if (!KINDS.includes(kind)) return { why: `kind is not one of ${KINDS.join(', ')}` };
  if (description !== undefined && typeof description !== 'string') return { why: 'description is not a string' };
  if (!isStringArray(metrics)) return { why: 'metrics is not an array of strings' };
  if (!Array.isArray(supports) || !supports.every((s) => isObject(s) && typeof s.space === 'string' && isStringArray(s.datasets))) {
    return { why: 'supports is not an array of { space: string, datasets: string[] }' };
  }
  if (state !== undefined && !STATES.includes(state)) return { why: `state is not one of ${STATES.join(', ')}` };
  return {
    hb: {
      agent,
      device,
      backend: backend ?? device,
      kind: kind as Heartbeat['kind'],
      description: description ?? '',
      metrics: [...metrics],
      supports: (supports as readonly { space: string; datasets: readonly string[] }[]).map((s) => ({ space: s.space, datasets: [...s.datasets] })),
      ...(state !== undefined ? { state: state as Heartbeat['state'] } : {}),
    },
  };
}

/**
 * The cost metrics of a device that has no live agent, for {@link HeartbeatDeviceRegistry}'s
 * lenient mode (a restarted coordinator rebuilding searches before any heartbeat has arrived;
 * they were validated against a live device when submitted): for a backend's id, what that
 * backend reports (replay devices from `bench`); for an id agents may register under with
 * `--device-id`, every metric name the id can have (`edge_arm64_latency`, `edge_arm64_energy`),
 * since which backend they run is not known yet; undefined otherwise.
 */
export function offlineDeviceMetrics(bench: Benchmark): (device: string) => readonly MetricInfo[] | undefined {
  return (id) => {
    if (!isBackendId(id)) return possibleDeviceMetricInfos(id);
    try {
      const backend = createBackend(id, { benchmark: bench });
      const infos = deviceMetricInfos(backend.describe());
      void backend.close();
      return infos;
    } catch {
      return undefined;
    }
  };
}

/**
 * The device agents that are live now, folded from their heartbeats on
 * `<prefix>.device.heartbeat.*`: an agent is live while its last heartbeat said `serving` and is
 * younger than `livenessMs`. Serves ListDevices and validates the device ids of new searches
 * (as a {@link DeviceCatalog}).
 */
export class HeartbeatDeviceRegistry implements DeviceCatalog {
  private readonly agents = new Map<string, { hb: Heartbeat; at: number }>();
  private sub?: Subscription;
  private malformed = 0;
  /** Senders (agent ids, or subjects when there is none) already warned about; bounded. */
  private readonly noted = new Set<string>();
  /**
   * While true, a device without a live agent is described by `offline` instead of rejected: a
   * restarted coordinator rebuilds its searches before any heartbeat has arrived.
   */
  lenient = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly names: NatsNames,
    private readonly livenessMs = 15_000,
    private readonly now: () => number = Date.now,
    private readonly offline?: (device: string) => readonly MetricInfo[] | undefined,
    /** Warned once per sender of malformed heartbeats (a pino logger fits). */
    private readonly log?: { warn(fields: object, msg: string): void },
  ) {}

  /** Heartbeats ignored as malformed since the start. */
  get malformedHeartbeats(): number {
    return this.malformed;
  }

  /**
   * Starts listening. A heartbeat that does not parse, or in which a field the registry reads has
   * the wrong type or an unknown value (agent, device, backend, kind, description, metrics,
   * supports, state), is ignored as a whole: counted in {@link malformedHeartbeats}, warned about
   * once per agent, and the agent's last valid heartbeat stays in force. A missing description (an
   * older agent) is kept as '', a missing backend as the device id.
   */
  start(): void {
    this.sub = this.nc.subscribe(this.names.wildcards.deviceHeartbeat, {
      callback: (err, msg) => {
        if (err) return;
        try {
          let body: unknown;
          try {
            body = msg.json();
          } catch {
            this.noteMalformed(msg.subject, undefined, 'not JSON');
            return;
          }
          const checked = checkHeartbeat(body);
          if ('why' in checked) {
            this.noteMalformed(msg.subject, isObject(body) && typeof body.agent === 'string' ? body.agent : undefined, checked.why);
            return;
          }
          const { hb } = checked;
          if (hb.state === 'stopped') this.agents.delete(hb.agent);
          else this.agents.set(hb.agent, { hb, at: this.now() });
        } catch {
          // Never let a heartbeat (or a failing logger) break the subscription.
        }
      },
    });
  }

  private noteMalformed(subject: string, agent: string | undefined, why: string): void {
    this.malformed++;
    const source = agent !== undefined ? `agent ${agent.slice(0, 200)}` : `subject ${subject}`;
    if (this.noted.has(source) || this.noted.size >= MAX_NOTED_SOURCES) return;
    this.noted.add(source);
    this.log?.warn({ subject, ...(agent !== undefined ? { agent: agent.slice(0, 200) } : {}), reason: why, malformedHeartbeats: this.malformed }, 'ignoring malformed device heartbeats (logged once per agent)');
  }

  stop(): void {
    this.sub?.unsubscribe();
  }

  /** Live devices, by id. */
  list(): LiveDevice[] {
    const cutoff = this.now() - this.livenessMs;
    const byDevice = new Map<string, LiveDevice>();
    for (const { hb, at } of this.agents.values()) {
      if (at < cutoff || hb.state !== 'serving') continue;
      const prev = byDevice.get(hb.device);
      const agentCount = (prev?.agentCount ?? 0) + 1;
      // Agents of one device may run different builds (say, mid-rollout) and disagree on what it
      // is (backend, kind, description, metrics, supports): all of it comes from the most recent heartbeat
      // (while both serve, it follows whichever agent spoke last); only the agent count is summed.
      if (prev && at < prev.lastHeartbeatAtMs) byDevice.set(hb.device, { ...prev, agentCount });
      else {
        byDevice.set(hb.device, {
          deviceId: hb.device,
          backend: hb.backend,
          kind: hb.kind,
          description: hb.description,
          metrics: hb.metrics,
          supports: hb.supports,
          agentCount,
          lastHeartbeatAtMs: at,
        });
      }
    }
    return [...byDevice.values()].sort((a, b) => a.deviceId.localeCompare(b.deviceId));
  }

  /** The cost metrics a live device reports; InvalidArgumentError for an unknown or offline one. */
  metrics(device: string, space: string, dataset: string): readonly MetricInfo[] {
    const d = this.list().find((x) => x.deviceId === device);
    if (!d && this.lenient) {
      const known = this.offline?.(device);
      if (known) return known;
    }
    if (!d) {
      const live = this.list().map((x) => x.deviceId);
      throw new InvalidArgumentError(`device "${device}" has no live agent; live devices: ${live.length ? live.join(', ') : '(none)'}`);
    }
    const s = d.supports.find((x) => x.space === space);
    if (!s || !s.datasets.includes(dataset)) throw new InvalidArgumentError(`device "${device}" does not accept ${space}/${dataset}`);
    return d.metrics.map((m) => costMetricInfo(m));
  }
}
