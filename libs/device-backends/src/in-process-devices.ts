import type { Benchmark, MetricInfo, Metrics } from '@hwnas/bench-core';
import { getSpace } from '@hwnas/bench-core';
import type { DeviceCatalog, DeviceClient } from '@hwnas/runtime';
import type { DeviceBackend } from './backend';
import { createBackend, deviceMetricInfos, toSearchMetrics } from './registry';

/**
 * Device backends run in this process, behind the runtime's {@link DeviceClient} and
 * {@link DeviceCatalog} ports: what the embedded mode uses where a cluster uses device agents
 * over NATS. Backends are created on first use and kept until {@link InProcessDevices.close}.
 */
export class InProcessDevices implements DeviceClient, DeviceCatalog {
  private readonly backends = new Map<string, DeviceBackend>();

  constructor(private readonly benchmark?: Benchmark) {}

  private backend(id: string): DeviceBackend {
    let b = this.backends.get(id);
    if (!b) {
      b = createBackend(id, this.benchmark ? { benchmark: this.benchmark } : {});
      this.backends.set(id, b);
    }
    return b;
  }

  metrics(device: string): readonly MetricInfo[] {
    return deviceMetricInfos(this.backend(device).describe());
  }

  async measure(device: string, req: { space: string; dataset: string; arch: string }, signal?: AbortSignal): Promise<Metrics> {
    const backend = this.backend(device);
    const arch = getSpace(req.space).parse(req.arch);
    const m = await backend.measure({ space: getSpace(req.space).id, dataset: req.dataset, arch }, signal);
    return toSearchMetrics(backend.describe(), m.metrics);
  }

  /** Closes every backend created so far. */
  async close(): Promise<void> {
    await Promise.all([...this.backends.values()].map((b) => b.close()));
    this.backends.clear();
  }
}
