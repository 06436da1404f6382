import { Benchmark } from '@hwnas/bench-core';
import { describeWithData } from '@hwnas/bench-core/testing';
import { createTableSearchFactory, normalizeSearchSpec } from '@hwnas/runtime';
import type { NatsConnection } from '@nats-io/transport-node';
import { createNames } from '@hwnas/transport-nats';
import { HeartbeatDeviceRegistry, offlineDeviceMetrics } from './device-registry';

describeWithData('offline device metrics (a restarted coordinator, before heartbeats)', (dataDir) => {
  const bench = Benchmark.open({ dataDir });
  const offline = offlineDeviceMetrics(bench);
  /** A registry that never started listening: no device is live. */
  const registry = () => new HeartbeatDeviceRegistry({} as NatsConnection, createNames(), 15_000, Date.now, offline);

  it('offlineDeviceMetrics - a backend id gets its backend\'s metrics; an id of its own every name it can have; anything else nothing', () => {
    expect(offline('host-cpu')?.map((m) => m.name)).toEqual(['hostcpu_latency']);
    expect(offline('asic-eyeriss')?.map((m) => m.name)).toEqual(['eyeriss_latency', 'eyeriss_energy']);
    expect(offline('edge-arm64')?.map((m) => [m.name, m.unit])).toEqual([
      ['edge_arm64_latency', 'ms'],
      ['edge_arm64_energy', 'mJ'],
    ]);
    for (const id of ['Edge_Arm64', 'hostcpu', 'edge.arm64', '']) expect(offline(id)).toBeUndefined();
  });

  it('registry - while lenient, a search on a device registered under an id of its own is rebuilt; once serving, it needs a live agent', () => {
    const r = registry();
    const spec = normalizeSearchSpec({
      space: 'nb201',
      dataset: 'cifar10',
      strategy: 'random',
      budget: 10,
      seed: 1,
      devices: ['host-cpu', 'edge-arm64'],
      objectives: ['accuracy:max', 'edge_arm64_latency:min'],
      constraints: ['hostcpu_latency <= 5'],
    });
    const factory = createTableSearchFactory(bench, r);
    r.lenient = true;
    expect(() => factory.setup(spec)).not.toThrow();
    expect(r.metrics('edge-arm64', 'nb201', 'cifar10').map((m) => m.name)).toEqual(['edge_arm64_latency', 'edge_arm64_energy']);
    r.lenient = false;
    expect(() => factory.setup(spec)).toThrow(/devices: device "host-cpu" has no live agent/);
    expect(() => r.metrics('edge-arm64', 'nb201', 'cifar10')).toThrow(/device "edge-arm64" has no live agent/);
  });
});
