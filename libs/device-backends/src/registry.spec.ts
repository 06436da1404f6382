import { Benchmark, isNasError } from '@hwnas/bench-core';
import { describeWithData } from '@hwnas/bench-core/testing';
import { REPLAY_DEVICE_IDS } from './replay';
import {
  BACKEND_IDS,
  backendTraits,
  createBackend,
  deviceIdProblem,
  deviceMetricInfos,
  deviceSearchMetric,
  possibleDeviceMetricInfos,
  registeredAs,
  RESERVED_METRIC_PREFIXES,
  searchMetricName,
  toSearchMetrics,
} from './registry';

describe('backend registry', () => {
  it('createBackend - knows every backend, simulators and host CPU without data', async () => {
    expect(BACKEND_IDS).toEqual(['asic-eyeriss', 'fpga-zc706', 'host-cpu', 'raspi4', 'pixel3', 'edgegpu']);
    for (const id of ['asic-eyeriss', 'fpga-zc706', 'host-cpu']) {
      const b = createBackend(id);
      expect(b.describe().id).toBe(id);
      expect(b.describe().kind).toBe(backendTraits(id).kind);
      await b.close();
    }
    expect(backendTraits('raspi4')).toEqual({ kind: 'replay', needsData: true });
  });

  it('createBackend - an unknown id is an invalid_argument error listing the known ones', () => {
    const err = (() => {
      try {
        createBackend('tpu-v9');
      } catch (e) {
        return e;
      }
    })();
    expect(isNasError(err) && err.code).toBe('invalid_argument');
    expect((err as Error).message).toBe('unknown device "tpu-v9"; known devices: asic-eyeriss, fpga-zc706, host-cpu, raspi4, pixel3, edgegpu');
    expect(() => backendTraits('constructor')).toThrow(/unknown device "constructor"/);
  });

  it('createBackend - a replay device without data says how to give it', () => {
    expect(() => createBackend('raspi4', { dataDir: '/nonexistent/hwnas-data' })).toThrow(/benchmark data directory does not exist/);
  });

  it('deviceMetricInfos - names device metrics HW-NAS-Bench style with the device prefix', () => {
    const infos = (id: string) => deviceMetricInfos(createBackend(id).describe()).map((m) => [m.name, m.unit, m.kind, m.higherIsBetter]);
    expect(infos('asic-eyeriss')).toEqual([
      ['eyeriss_latency', 'ms', 'cost', false],
      ['eyeriss_energy', 'mJ', 'cost', false],
    ]);
    expect(infos('fpga-zc706').map((m) => m[0])).toEqual(['fpga_latency', 'fpga_energy']);
    expect(infos('host-cpu').map((m) => m[0])).toEqual(['hostcpu_latency']);
    expect(toSearchMetrics(createBackend('fpga-zc706').describe(), { latency_ms: 1, energy_mj: 2 })).toEqual({ fpga_latency: 1, fpga_energy: 2 });
  });
});

describe('device ids and metric names', () => {
  const hostCpu = createBackend('host-cpu').describe();
  const eyeriss = createBackend('asic-eyeriss').describe();

  it('registeredAs - the backend\'s own id (the default) keeps its description and metric names', () => {
    expect(registeredAs(hostCpu)).toBe(hostCpu);
    expect(registeredAs(hostCpu, 'host-cpu')).toBe(hostCpu);
    expect(deviceMetricInfos(registeredAs(eyeriss, 'asic-eyeriss')).map((m) => m.name)).toEqual(['eyeriss_latency', 'eyeriss_energy']);
  });

  it('registeredAs - an id of its own names the device and its metrics (- read as _); kind, description, metrics and supports stay the backend\'s', () => {
    const edge = registeredAs(hostCpu, 'edge-arm64');
    expect(edge).toEqual({ ...hostCpu, id: 'edge-arm64', metricPrefix: 'edge_arm64' });
    expect(deviceMetricInfos(edge).map((m) => [m.name, m.unit, m.kind, m.higherIsBetter])).toEqual([['edge_arm64_latency', 'ms', 'cost', false]]);
    expect(deviceMetricInfos(edge)[0].description).toMatch(/^edge-arm64: /);
    expect(toSearchMetrics(edge, { latency_ms: 1.5 })).toEqual({ edge_arm64_latency: 1.5 });
    expect(toSearchMetrics(registeredAs(eyeriss, 'eyeriss-v2'), { latency_ms: 1, energy_mj: 2 })).toEqual({ eyeriss_v2_latency: 1, eyeriss_v2_energy: 2 });
  });

  it('registeredAs - two registrations of one backend never share a metric name', () => {
    const ids = ['host-cpu', 'edge-arm64', 'edge-arm64-rpi4', 'edge-arm', 'rpi4', 'jetson-orin-nano', 'a', 'a1-b2'];
    const names = ids.flatMap((id) => deviceMetricInfos(registeredAs(hostCpu, id)).map((m) => m.name));
    expect(new Set(names).size).toBe(ids.length);
    // ... nor one with another backend's names.
    const builtIn = ['asic-eyeriss', 'fpga-zc706', 'host-cpu'].flatMap((id) => deviceMetricInfos(createBackend(id).describe()).map((m) => m.name));
    expect(names.filter((n) => builtIn.includes(n))).toEqual(['hostcpu_latency']);
  });

  it.each([
    ['Edge-arm64', /lower-case letters and digits/],
    ['edge_arm64', /lower-case letters and digits/],
    ['edge--arm64', /lower-case letters and digits/],
    ['-edge', /lower-case letters and digits/],
    ['edge-', /lower-case letters and digits/],
    ['4edge', /lower-case letters and digits/],
    ['edge.arm64', /lower-case letters and digits/],
    ['', /lower-case letters and digits/],
    ['e' + 'x'.repeat(63), /at most 63 characters, got 64/],
    ['asic-eyeriss', /"asic-eyeriss" is the id of the asic-eyeriss backend/],
    ['raspi4', /is the id of the raspi4 backend/],
    ['hostcpu', /would report hostcpu_latency/],
    ['edgetpu', /would report edgetpu_latency/],
  ])('deviceIdProblem - a host-cpu agent cannot register as %j', (id, why) => {
    expect(deviceIdProblem(id, 'host-cpu')).toMatch(why);
    expect(() => registeredAs(hostCpu, id)).toThrow(why);
    expect(possibleDeviceMetricInfos(id)).toBeUndefined();
  });

  it('deviceIdProblem - accepts its own backend id and well-formed ids of its own', () => {
    for (const id of ['host-cpu', 'edge-arm64', 'rpi4', 'jetson-orin-nano-2', 'e' + 'x'.repeat(62)]) expect(deviceIdProblem(id, 'host-cpu')).toBeUndefined();
  });

  it('possibleDeviceMetricInfos - an id of its own may report <prefix>_latency and _energy; a backend id is left to its backend', () => {
    expect(possibleDeviceMetricInfos('edge-arm64')?.map((m) => [m.name, m.unit])).toEqual([
      ['edge_arm64_latency', 'ms'],
      ['edge_arm64_energy', 'mJ'],
    ]);
    // Every name a real registration under that id reports is among them.
    const possible = possibleDeviceMetricInfos('edge-arm64')!.map((m) => m.name);
    for (const b of [hostCpu, eyeriss]) for (const m of deviceMetricInfos(registeredAs(b, 'edge-arm64'))) expect(possible).toContain(m.name);
    expect(possibleDeviceMetricInfos('host-cpu')).toBeUndefined();
  });
});

describeWithData('backend registry with data', (dataDir) => {
  it('RESERVED_METRIC_PREFIXES - holds every backend\'s own metric prefix', () => {
    const benchmark = Benchmark.open({ dataDir });
    const prefixes = BACKEND_IDS.map((id) => createBackend(id, { benchmark }).describe().metricPrefix);
    expect(prefixes.filter((p) => !RESERVED_METRIC_PREFIXES.includes(p))).toEqual([]);
    for (const d of REPLAY_DEVICE_IDS) expect(RESERVED_METRIC_PREFIXES).toContain(d);
  });

  it('deviceSearchMetric - names what each backend reports under its own id, and what a device of its own id reports', () => {
    const benchmark = Benchmark.open({ dataDir });
    for (const id of BACKEND_IDS) {
      const info = createBackend(id, { benchmark }).describe();
      for (const m of info.metrics) expect(deviceSearchMetric(id, m.name)).toBe(searchMetricName(info, m.name));
    }
    expect(deviceSearchMetric('host-cpu', 'latency_ms')).toBe('hostcpu_latency');
    expect(deviceSearchMetric('edge-arm64', 'latency_ms')).toBe(searchMetricName(registeredAs(createBackend('host-cpu').describe(), 'edge-arm64'), 'latency_ms'));
  });

  it('createBackend - replay devices read the given benchmark and use their own prefix', () => {
    const benchmark = Benchmark.open({ dataDir });
    expect(deviceMetricInfos(createBackend('edgegpu', { benchmark }).describe()).map((m) => m.name)).toEqual(['edgegpu_latency', 'edgegpu_energy']);
    expect(deviceMetricInfos(createBackend('pixel3', { dataDir }).describe()).map((m) => m.name)).toEqual(['pixel3_latency']);
  });
});
