import type { Arch, SpaceId } from '@hwnas/bench-core';
import { SPACES, isNasError } from '@hwnas/bench-core';
import type { DeviceBackend, DeviceInfo, MeasureRequest, Measurement } from '../backend';
import { rejectionOf } from '@hwnas/bench-core/testing';

/** Options of {@link describeBackendConformance}. */
export interface BackendConformanceOptions {
  /** Per-test timeout in ms (default 30000; measured backends time several networks per test). */
  readonly timeoutMs?: number;
}

const NB201_ALL = (op: number): Arch => [op, op, op, op, op, op];
/** FBNet: every layer k3_e1 except `layer`, which gets `block`. */
const fbnetWith = (layer: number, block: number): Arch => Array.from({ length: 22 }, (_, i) => (i === layer ? block : 0));
const FBNET_SKIP = 8;
const FBNET_K5_E6 = 7;

/** A valid architecture of `space` (a mid-sized one, so that every backend has work to do). */
function sampleArch(space: SpaceId): Arch {
  return space === 'nb201' ? [3, 1, 2, 4, 0, 3] : fbnetWith(5, 3);
}

function expectNasError(err: unknown, code: string): void {
  expect(isNasError(err)).toBe(true);
  expect(isNasError(err) && err.code).toBe(code);
}

function latency(m: Measurement): number {
  return m.metrics.latency_ms;
}

/**
 * The conformance suite every {@link DeviceBackend} runs: `describe()` shape and constancy, one
 * measurement per supported space and dataset (every declared metric present, finite and
 * positive), invalid_argument NasErrors for an unknown space, an unsupported dataset, malformed
 * architectures and a non-object request, determinism across calls, instances and concurrent
 * calls unless the backend is `measured`, cost orderings any device must show (NB201 cells of
 * `none` < `nor_conv_3x3`, and `nor_conv_1x1` in between unless measured; an FBNet `skip` layer
 * < a `k5_e6` block, whole networks of them when measured; a 32x32 input costs more than 16x16
 * unless measured), abort and `close()` behaviour.
 *
 * Call it at the top level of a spec file: it declares a `describe` block. `create` must return a
 * fresh backend each call; the suite closes every backend it creates.
 */
export function describeBackendConformance(name: string, create: () => DeviceBackend, opts: BackendConformanceOptions = {}): void {
  const timeout = opts.timeoutMs ?? 30_000;
  describe(`${name} conformance`, () => {
    let backend: DeviceBackend;
    let info: DeviceInfo;
    const others: DeviceBackend[] = [];
    beforeEach(() => {
      backend = create();
      info = backend.describe();
    });
    afterEach(async () => {
      await backend.close();
      await Promise.all(others.splice(0).map((b) => b.close()));
    });
    const supported = (space: SpaceId): readonly string[] => info.supports.find((s) => s.space === space)?.datasets ?? [];

    it(`${name} - describe() is constant and has a valid id, kind, metric prefix, metrics and supports`, () => {
      expect(backend.describe()).toBe(info);
      expect(Object.isFrozen(info)).toBe(true);
      // The id is a NATS subject token and a CLI argument; the prefix starts search metric names.
      expect(info.id).toMatch(/^[a-z0-9][a-z0-9-]*$/);
      expect(info.metricPrefix).toMatch(/^[a-z0-9]+$/);
      expect(['measured', 'simulated', 'replay']).toContain(info.kind);
      expect(info.description.length).toBeGreaterThan(80);
      expect(info.metrics.length).toBeGreaterThan(0);
      expect(info.metrics[0].name).toBe('latency_ms');
      expect(new Set(info.metrics.map((m) => m.name)).size).toBe(info.metrics.length);
      for (const m of info.metrics) {
        expect(m.name).toMatch(/^[a-z0-9_]+$/);
        expect(m.unit.length).toBeGreaterThan(0);
        expect(m.description.length).toBeGreaterThan(0);
      }
      expect(info.supports.length).toBeGreaterThan(0);
      for (const s of info.supports) {
        const known = SPACES[s.space].datasets.map((d) => d.name);
        expect(s.datasets.length).toBeGreaterThan(0);
        for (const d of s.datasets) expect(known).toContain(d);
      }
    });

    it(
      `${name} - measures every supported space and dataset with every declared metric`,
      async () => {
        for (const s of info.supports) {
          // A measured backend times real networks: one dataset per space keeps the suite quick.
          for (const dataset of info.kind === 'measured' ? s.datasets.slice(0, 1) : s.datasets) {
            const m = await backend.measure({ space: s.space, dataset, arch: sampleArch(s.space) });
            expect(m.device).toBe(info.id);
            expect(m.method.kind).toBe(info.kind);
            expect(m.method.repeats).toBeGreaterThanOrEqual(1);
            for (const metric of info.metrics) {
              expect(Number.isFinite(m.metrics[metric.name])).toBe(true);
              expect(m.metrics[metric.name]).toBeGreaterThan(0);
            }
          }
        }
      },
      timeout,
    );

    it(`${name} - rejects bad input with invalid_argument NasErrors`, async () => {
      const s = info.supports[0];
      const ok: MeasureRequest = { space: s.space, dataset: s.datasets[0], arch: sampleArch(s.space) };
      const bad = async (req: unknown) => expectNasError(await rejectionOf(backend.measure(req as MeasureRequest)), 'invalid_argument');
      await bad({ ...ok, space: 'darts' });
      await bad({ ...ok, dataset: 'no-such-dataset' });
      await bad({ ...ok, dataset: undefined });
      await bad({ ...ok, arch: ok.arch.slice(1) });
      await bad({ ...ok, arch: ok.arch.map((v, i) => (i === 0 ? 99 : v)) });
      await bad({ ...ok, arch: [...ok.arch.slice(1), 1.5] });
      await bad({ ...ok, arch: 'not an architecture' });
      await bad({ ...ok, arch: null });
      await bad(null);
      // A known space the device does not support at all is rejected the same way.
      for (const space of Object.keys(SPACES) as SpaceId[]) {
        if (supported(space).length === 0) await bad({ space, dataset: SPACES[space].datasets[0].name, arch: sampleArch(space) });
      }
      // A backend keeps serving after bad input.
      await expect(backend.measure(ok)).resolves.toBeDefined();
    });

    it(
      `${name} - is deterministic across calls, instances and concurrent calls (unless measured)`,
      async () => {
        const s = info.supports[0];
        const req: MeasureRequest = { space: s.space, dataset: s.datasets[0], arch: sampleArch(s.space) };
        const other = create();
        others.push(other);
        const results = await Promise.all([backend.measure(req), other.measure(req), backend.measure(req)]);
        // Every concurrent call is answered, also when the backend serializes them.
        for (const r of results) expect(r.device).toBe(info.id);
        if (info.kind !== 'measured') {
          expect(results[1]).toEqual(results[0]);
          expect(results[2]).toEqual(results[0]);
        }
      },
      timeout,
    );

    it(
      `${name} - orders costs the way any device must`,
      async () => {
        const nb201 = supported('nb201');
        if (nb201.length > 0) {
          const d = nb201[0];
          const cost = async (op: number) => latency(await backend.measure({ space: 'nb201', dataset: d, arch: NB201_ALL(op) }));
          const [none, conv1, conv3] = [await cost(0), await cost(2), await cost(3)];
          expect(none).toBeLessThan(conv3);
          if (info.kind !== 'measured') {
            expect(none).toBeLessThan(conv1);
            expect(conv1).toBeLessThan(conv3);
          }
          // A 4x MAC difference is within a loaded host's timing noise; measured backends test it in their own spec.
          if (info.kind !== 'measured' && nb201.includes('cifar10') && nb201.includes('ImageNet16-120')) {
            const at = async (dataset: string) => latency(await backend.measure({ space: 'nb201', dataset, arch: NB201_ALL(3) }));
            expect(await at('ImageNet16-120')).toBeLessThan(await at('cifar10'));
          }
        }
        const fbnet = supported('fbnet');
        if (fbnet.length > 0) {
          const d = fbnet[0];
          // One layer's difference is below a real timer's noise: a measured backend compares whole networks.
          const pairs: [Arch, Arch][] =
            info.kind === 'measured'
              ? [[new Array<number>(22).fill(FBNET_SKIP), new Array<number>(22).fill(FBNET_K5_E6)]]
              : [2, 10].map((layer) => [fbnetWith(layer, FBNET_SKIP), fbnetWith(layer, FBNET_K5_E6)]);
          for (const [skipArch, bigArch] of pairs) {
            const skip = await backend.measure({ space: 'fbnet', dataset: d, arch: skipArch });
            const big = await backend.measure({ space: 'fbnet', dataset: d, arch: bigArch });
            for (const metric of info.metrics) expect(skip.metrics[metric.name]).toBeLessThan(big.metrics[metric.name]);
          }
        }
      },
      timeout,
    );

    it(`${name} - rejects an aborted signal with cancelled, and every call after close() with failed_precondition`, async () => {
      const s = info.supports[0];
      const req: MeasureRequest = { space: s.space, dataset: s.datasets[0], arch: sampleArch(s.space) };
      const ctl = new AbortController();
      ctl.abort(new Error('caller gave up'));
      expectNasError(await rejectionOf(backend.measure(req, ctl.signal)), 'cancelled');
      await backend.close();
      await backend.close();
      expectNasError(await rejectionOf(backend.measure(req)), 'failed_precondition');
    });
  });
}
