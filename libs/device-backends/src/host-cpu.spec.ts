import { buildNetworkIR, fbnetSpace, nb201Space } from '@hwnas/bench-core';
import type { Arch } from '@hwnas/bench-core';
import { exportOnnx, INPUT_NAME, LOGITS_NAME, withSession } from '@hwnas/onnx';
import * as ort from 'onnxruntime-node';
import type { DeviceBackend, MeasureRequest } from './backend';
import { createHostCpuBackend } from './host-cpu';

const ALL = (op: number): Arch => [op, op, op, op, op, op];

describe('host-cpu backend (real ONNX Runtime)', () => {
  let backend: DeviceBackend;
  beforeAll(() => {
    backend = createHostCpuBackend({ warmup: 2, repeats: 9 });
  });
  afterAll(async () => {
    await backend.close();
  });
  // The least of two medians: robust to bursts of load from other processes on a shared host.
  // (Under Jest most of the time goes into exporting the model, not into timing it.)
  const latency = async (req: MeasureRequest, times = 2): Promise<number> => {
    let best = Infinity;
    for (let i = 0; i < times; i++) best = Math.min(best, (await backend.measure(req)).metrics.latency_ms);
    return best;
  };

  it.each([
    ['nb201', 'ImageNet16-120', ALL(3), 120],
    ['nb201', 'cifar100', [3, 1, 2, 4, 0, 3], 100],
    ['fbnet', 'cifar100', new Array<number>(22).fill(0), 100],
  ] as const)('host-cpu - the exported %s %s model runs and outputs [1, numClasses] finite logits', async (space, dataset, arch, classes) => {
    const ir = buildNetworkIR(space === 'nb201' ? nb201Space : fbnetSpace, arch, dataset);
    const x = new Float32Array(ir.input.c * ir.input.h * ir.input.w).fill(0.5);
    const out = await withSession(exportOnnx(ir, { seed: 0 }), {}, (s) => s.run({ [INPUT_NAME]: new ort.Tensor('float32', x, [1, ir.input.c, ir.input.h, ir.input.w]) }));
    expect(out[LOGITS_NAME].dims).toEqual([1, classes]);
    expect(Array.from(out[LOGITS_NAME].data as Float32Array).every(Number.isFinite)).toBe(true);
  }, 30_000);

  it('host-cpu - reports the median latency with repeats, spread, the unstable flag and how it was measured', async () => {
    const m = await backend.measure({ space: 'nb201', dataset: 'cifar10', arch: [3, 1, 2, 4, 0, 3] });
    expect(m.device).toBe('host-cpu');
    expect(Object.keys(m.metrics)).toEqual(['latency_ms']);
    expect(m.metrics.latency_ms).toBeGreaterThan(0);
    expect(m.method).toMatchObject({ kind: 'measured', repeats: 9 });
    expect(m.method.spread).toBeGreaterThanOrEqual(0);
    expect(typeof m.method.unstable).toBe('boolean');
    expect(m.method.note).toMatch(/onnxruntime-node CPU, 1 thread\(s\), batch 1, median of 9 runs after 2 warm-up runs, attempt \d\/3/);
    expect(backend.describe().metricPrefix).toBe('hostcpu');
  }, 30_000);

  it('host-cpu - latency rises with the resolution (32x32 vs 16x16 input)', async () => {
    const small = await latency({ space: 'nb201', dataset: 'ImageNet16-120', arch: ALL(3) });
    const large = await latency({ space: 'nb201', dataset: 'cifar10', arch: ALL(3) });
    expect(large).toBeGreaterThan(small);
  }, 60_000);

  it('host-cpu - latency rises with the channel count (FBNet blocks of expansion 1 vs 6)', async () => {
    const narrow = await latency({ space: 'fbnet', dataset: 'cifar100', arch: new Array<number>(22).fill(0) });
    const wide = await latency({ space: 'fbnet', dataset: 'cifar100', arch: new Array<number>(22).fill(3) });
    expect(wide).toBeGreaterThan(narrow);
  }, 60_000);

  it('host-cpu - rejects invalid options at creation', () => {
    expect(() => createHostCpuBackend({ threads: 0 })).toThrow(/threads/);
    expect(() => createHostCpuBackend({ repeats: 1.5 })).toThrow(/repeats/);
    expect(() => createHostCpuBackend({ maxSpread: -1 })).toThrow(/maxSpread/);
    expect(createHostCpuBackend({ threads: 2 }).describe().description).toContain('2 intra-op thread(s)');
  });
});
