import type { SpaceId } from '@hwnas/bench-core';
import { InvalidArchitectureError, InvalidArgumentError, UnknownDatasetError, UnknownSearchSpaceError, buildNetworkIR, isNasError, nb201Space } from '@hwnas/bench-core';
import type { DeviceBackend, MeasureRequest } from './backend';
import { BackendClosedError, MeasurementCancelledError } from './errors';
import { createEyerissBackend } from './asic-eyeriss';
import { createFpgaBackend } from './fpga-zc706';
import { EYERISS_CONFIG, eyerissConfig, simulateEyeriss } from './eyeriss';
import { FPGA_ZC706_CONFIG, simulateFpga } from './fpga';

const backends: readonly [string, () => DeviceBackend, (req: MeasureRequest) => { latencyMs: number; energyMj: number }][] = [
  ['asic-eyeriss', () => createEyerissBackend(), (r) => simulateEyeriss(buildNetworkIR(nb201Space, r.arch, r.dataset), EYERISS_CONFIG)],
  ['fpga-zc706', () => createFpgaBackend(), (r) => simulateFpga(buildNetworkIR(nb201Space, r.arch, r.dataset), FPGA_ZC706_CONFIG)],
];

const request: MeasureRequest = { space: 'nb201', dataset: 'cifar10', arch: [3, 1, 2, 4, 0, 3] };

describe.each(backends)('%s backend', (id, create, simulate) => {
  let backend: DeviceBackend;
  beforeEach(() => {
    backend = create();
  });
  afterEach(async () => {
    await backend.close();
  });

  it(`${id} - describe() names the device, its kind, metrics with units and what it supports`, () => {
    const info = backend.describe();
    expect(info.id).toBe(id);
    expect(info.kind).toBe('simulated');
    expect(info.metrics.map((m) => [m.name, m.unit])).toEqual([
      ['latency_ms', 'ms'],
      ['energy_mj', 'mJ'],
    ]);
    expect(info.supports).toEqual([
      { space: 'nb201', datasets: ['cifar10', 'cifar100', 'ImageNet16-120'] },
      { space: 'fbnet', datasets: ['cifar100', 'ImageNet'] },
    ]);
    expect(info.description.length).toBeGreaterThan(100);
    expect(backend.describe()).toBe(info);
  });

  it(`${id} - measure() returns the simulator's totals and how they were obtained`, async () => {
    const m = await backend.measure(request);
    const expected = simulate(request);
    expect(m.device).toBe(id);
    expect(m.metrics).toEqual({ latency_ms: expected.latencyMs, energy_mj: expected.energyMj });
    expect(m.method).toMatchObject({ kind: 'simulated', repeats: 1, spread: 0 });
    expect(m.breakdown).toBeUndefined();
  });

  it(`${id} - measure() returns the per-layer breakdown on request`, async () => {
    const m = await backend.measure({ ...request, breakdown: true });
    const layers = buildNetworkIR(nb201Space, request.arch, request.dataset).layers;
    expect(m.breakdown?.map((l) => l.name)).toEqual(layers.map((l) => l.name));
    const total = (m.breakdown ?? []).reduce((s, l) => s + l.latencyMs, 0);
    expect(total).toBeCloseTo(m.metrics.latency_ms, 9);
  });

  it(`${id} - measure() accepts every supported space and dataset`, async () => {
    for (const s of backend.describe().supports) {
      for (const dataset of s.datasets) {
        const arch = s.space === 'nb201' ? [3, 3, 3, 3, 3, 3] : new Array<number>(22).fill(7);
        const m = await backend.measure({ space: s.space, dataset, arch });
        expect(m.metrics.latency_ms).toBeGreaterThan(0);
        expect(m.metrics.energy_mj).toBeGreaterThan(0);
      }
    }
  });

  it(`${id} - measure() rejects bad input with invalid_argument NasErrors`, async () => {
    const bad = async (req: unknown, type: new (...args: never[]) => Error) => {
      const err = await backend.measure(req as MeasureRequest).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(type);
      expect(isNasError(err) && err.code).toBe('invalid_argument');
    };
    await bad({ ...request, space: 'darts' as SpaceId }, UnknownSearchSpaceError);
    await bad({ ...request, dataset: 'ImageNet' }, UnknownDatasetError);
    await bad({ ...request, dataset: undefined }, UnknownDatasetError);
    await bad({ ...request, arch: [3, 1, 2] }, InvalidArchitectureError);
    await bad({ ...request, arch: [3, 1, 2, 4, 0, 5] }, InvalidArchitectureError);
    await bad({ ...request, arch: '|nor_conv_3x3~0|' }, InvalidArchitectureError);
    await bad({ space: 'fbnet', dataset: 'cifar100', arch: [3, 1, 2, 4, 0, 3] }, InvalidArchitectureError);
    await bad(null, InvalidArgumentError);
  });

  it(`${id} - measure() is deterministic, also across backend instances and concurrent calls`, async () => {
    const other = create();
    const results = await Promise.all([backend.measure(request), other.measure(request), backend.measure(request)]);
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
    await other.close();
  });

  it(`${id} - measure() rejects after close() and with an aborted signal`, async () => {
    const ctl = new AbortController();
    ctl.abort(new Error('user cancelled'));
    await expect(backend.measure(request, ctl.signal)).rejects.toBeInstanceOf(MeasurementCancelledError);
    await expect(backend.measure(request, new AbortController().signal)).resolves.toBeDefined();
    await backend.close();
    await backend.close(); // idempotent
    const err = await backend.measure(request).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendClosedError);
    expect(isNasError(err) && err.code).toBe('failed_precondition');
  });
});

describe('backend options', () => {
  it('createEyerissBackend - applies config overrides and rejects invalid ones', async () => {
    const slow = createEyerissBackend({ config: { clockHz: 100e6 } });
    const expected = simulateEyeriss(buildNetworkIR(nb201Space, request.arch, request.dataset), eyerissConfig({ clockHz: 100e6 }));
    expect((await slow.measure(request)).metrics.latency_ms).toBe(expected.latencyMs);
    expect(slow.describe().description).toContain('100 MHz');
    expect(() => createEyerissBackend({ config: { peRows: -1 } })).toThrow(InvalidArgumentError);
  });

  it('createFpgaBackend - applies config overrides and rejects invalid ones', async () => {
    const big = createFpgaBackend({ config: { dspCount: 2520 } });
    const base = createFpgaBackend();
    expect((await big.measure(request)).metrics.latency_ms).toBeLessThan((await base.measure(request)).metrics.latency_ms);
    expect(big.describe().description).toContain('2520 DSP48E1');
    expect(() => createFpgaBackend({ config: { bram36Count: 0 } })).toThrow(InvalidArgumentError);
  });
});
