import type { Timing, TimeModelOptions } from '@hwnas/onnx';
import { createHostCpuBackend } from './host-cpu';

// The real timer is replaced by a fake one that records overlap and the options it got: this
// spec checks the queueing of the backend, not ONNX Runtime (host-cpu.spec.ts runs the real thing).
const state = { active: 0, peak: 0, calls: 0, unstable: false, last: undefined as TimeModelOptions | undefined };
jest.mock('@hwnas/onnx', () => ({
  ...jest.requireActual('@hwnas/onnx'),
  timeModel: async (_model: Uint8Array, o: TimeModelOptions): Promise<Timing> => {
    state.active++;
    state.calls++;
    state.last = o;
    state.peak = Math.max(state.peak, state.active);
    try {
      await new Promise((r) => setTimeout(r, 20));
      o.signal?.throwIfAborted();
      const spread = state.unstable ? 0.5 : 0.01;
      return { medianMs: 1, p10Ms: 1, p90Ms: 1 + spread, meanMs: 1, minMs: 1, cv: 0, spread, repeats: o.repeats ?? 30, attempts: state.unstable ? 1 + (o.retries ?? 0) : 1, unstable: state.unstable };
    } finally {
      state.active--;
    }
  },
}));

const req = { space: 'nb201' as const, dataset: 'cifar10', arch: [3, 1, 2, 4, 0, 3] };

beforeEach(() => Object.assign(state, { active: 0, peak: 0, calls: 0, unstable: false, last: undefined }));

describe('host-cpu backend queue', () => {
  it('host-cpu - concurrent measurements run one at a time, in call order', async () => {
    const backend = createHostCpuBackend();
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3, 4].map((i) => backend.measure(req).then(() => order.push(i))));
    expect(state.peak).toBe(1);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    await backend.close();
  });

  it('host-cpu - a failed or cancelled measurement does not block the queue', async () => {
    const backend = createHostCpuBackend();
    const ctl = new AbortController();
    const first = backend.measure(req, ctl.signal);
    const bad = backend.measure({ ...req, dataset: 'nope' });
    const last = backend.measure(req);
    ctl.abort(new Error('gave up'));
    await expect(first).rejects.toMatchObject({ code: 'cancelled' });
    await expect(bad).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(last).resolves.toMatchObject({ metrics: { latency_ms: 1 } });
    await backend.close();
  });

  it('host-cpu - passes its timing options through and reports an unstable result flagged', async () => {
    const backend = createHostCpuBackend({ threads: 2, warmup: 3, repeats: 12, retries: 4, maxSpread: 0.1 });
    const ok = await backend.measure(req);
    expect(state.last).toMatchObject({ threads: 2, warmup: 3, repeats: 12, retries: 4, unstableSpread: 0.1 });
    expect(ok.method).toMatchObject({ kind: 'measured', repeats: 12, unstable: false, spread: 0.01 });
    state.unstable = true;
    const flagged = await backend.measure(req);
    expect(flagged.method).toMatchObject({ unstable: true, spread: 0.5 });
    expect(flagged.method.note).toMatch(/attempt 5\/5.*UNSTABLE \(spread above 10%\)/);
    await backend.close();
  });

  it('host-cpu - close() waits for the running measurement and rejects later calls', async () => {
    const backend = createHostCpuBackend();
    const running = backend.measure(req);
    await new Promise((r) => setTimeout(r, 5));
    await backend.close();
    expect(state.active).toBe(0);
    await expect(running).resolves.toBeDefined();
    await expect(backend.measure(req)).rejects.toMatchObject({ code: 'failed_precondition' });
  });
});
