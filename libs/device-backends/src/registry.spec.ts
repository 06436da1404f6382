import { Benchmark, isNasError } from '@hwnas/bench-core';
import { describeWithData } from '@hwnas/bench-core/testing';
import { BACKEND_IDS, backendTraits, createBackend, deviceMetricInfos, toSearchMetrics } from './registry';

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

describeWithData('backend registry with data', (dataDir) => {
  it('createBackend - replay devices read the given benchmark and use their own prefix', () => {
    const benchmark = Benchmark.open({ dataDir });
    expect(deviceMetricInfos(createBackend('edgegpu', { benchmark }).describe()).map((m) => m.name)).toEqual(['edgegpu_latency', 'edgegpu_energy']);
    expect(deviceMetricInfos(createBackend('pixel3', { dataDir }).describe()).map((m) => m.name)).toEqual(['pixel3_latency']);
  });
});
