import { costMetricInfo, InvalidArgumentError } from '@hwnas/bench-core';
import type { MetricInfo } from '@hwnas/bench-core';
import type { DeviceCatalog } from '@hwnas/runtime';
import type { NatsNames } from '@hwnas/transport-nats';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { LiveDevice } from './grpc/mappers';

interface Heartbeat {
  readonly agent: string;
  readonly device: string;
  readonly kind: LiveDevice['kind'];
  /** Absent in heartbeats of agents older than the field. */
  readonly description?: string;
  readonly metrics: readonly string[];
  readonly supports: LiveDevice['supports'];
  readonly state: 'serving' | 'draining' | 'stopped';
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
  ) {}

  /**
   * Starts listening; heartbeats that do not parse, or whose agent, device or description has the
   * wrong type, are ignored. A missing description (an older agent) is kept as ''.
   */
  start(): void {
    this.sub = this.nc.subscribe(this.names.wildcards.deviceHeartbeat, {
      callback: (err, msg) => {
        if (err) return;
        try {
          const hb = msg.json<Heartbeat>();
          if (typeof hb.agent !== 'string' || typeof hb.device !== 'string') return;
          if (hb.description !== undefined && typeof hb.description !== 'string') return;
          if (hb.state === 'stopped') this.agents.delete(hb.agent);
          else this.agents.set(hb.agent, { hb, at: this.now() });
        } catch {
          // Not a heartbeat of ours.
        }
      },
    });
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
      // Agents of one device may run different builds (say, mid-rollout) and disagree on the
      // description: the one from the most recent heartbeat is kept (while both serve, it follows
      // whichever agent spoke last).
      const newest = !prev || at >= prev.lastHeartbeatAtMs;
      byDevice.set(hb.device, {
        deviceId: hb.device,
        kind: hb.kind,
        description: newest ? (hb.description ?? '') : prev.description,
        metrics: hb.metrics,
        supports: hb.supports,
        agentCount: (prev?.agentCount ?? 0) + 1,
        lastHeartbeatAtMs: Math.max(prev?.lastHeartbeatAtMs ?? 0, at),
      });
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
