import type { Arch } from '@hwnas/bench-core';
import { ACCURACY_METRICS, costMetricInfo, nb201Space } from '@hwnas/bench-core';
import { createProblem, createStrategy } from '@hwnas/search';
import { CostScreen, screenedCostMetrics } from './cost-screen';
import { referenceCosts } from './references';
import { runScreenedSearch } from './screened-search';

// A small space of NB201 cells (rows) whose device latency is 2 x the reference plus a little
// structured noise: the model can learn it from a few rows, but not exactly.
const ROWS = 400;
const ref = Float64Array.from({ length: ROWS }, (_, i) => 1 + ((i * 37) % 101) / 10);
const device = Float64Array.from(ref, (v, i) => 2 * v * (1 + 0.03 * Math.sin(i)));
const refs = referenceCosts([{ name: 'ref', values: ref }, { name: 'macs', values: Float64Array.from(ref, (v, i) => v + (i % 7)) }]);
const accuracy = Float64Array.from({ length: ROWS }, (_, i) => 50 + ((i * 53) % 97) / 2);
/** A row per NB201 cell: its base-5 index folded onto the small table. */
const rowOf = (arch: Arch): number => arch.reduce((r, op, e) => r + op * 5 ** e, 0) % ROWS;

describe('CostScreen', () => {
  const calibration = [3, 50, 120, 260, 333].map((row) => ({ row, value: device[row] }));

  it('measures only what is within z std of a bound, and each measurement refits the model', () => {
    const screen = new CostScreen('dev', refs, calibration, { bounds: [12], z: 2 });
    const rows = [...Array(ROWS).keys()];
    const distance = (r: number) => Math.abs(screen.predict(r).mean - 12);
    const far = rows.reduce((a, b) => (distance(b) > distance(a) ? b : a));
    expect(screen.mustMeasure(far)).toBe(false);
    const near = rows.filter((r) => !calibration.some((c) => c.row === r)).reduce((a, b) => (distance(b) < distance(a) ? b : a));
    expect(screen.mustMeasure(near)).toBe(true);
    const before = screen.current;
    const known = screen.record(near, device[near]);
    expect(known).toMatchObject({ value: device[near], measured: true });
    expect(screen.current).not.toBe(before);
    expect(screen.measurements).toBe(6);
    expect(screen.mustMeasure(near)).toBe(false);
    expect(screen.cost(near).measured).toBe(true);
    expect(screen.cost(far).measured).toBe(false);
  });

  it('conformal band: measures everything until the held-out errors give the quantile, then never narrower than z', () => {
    const screen = new CostScreen('dev', refs, calibration, { bounds: [12], z: 2, conformal: 0.9 });
    // 5 leave-one-out errors of the calibration: the 0.9 quantile needs ceil(6 * 0.9) = 6 of them.
    expect(screen.bandStds).toBe(Infinity);
    const unmeasured = [...Array(ROWS).keys()].filter((r) => !calibration.some((c) => c.row === r));
    expect(unmeasured.every((r) => screen.mustMeasure(r))).toBe(true);
    expect(screen.optimistic(unmeasured[0])).toBe(-Infinity);
    const errors: number[] = [];
    for (const row of unmeasured.slice(0, 15)) {
      const before = screen.predict(row);
      errors.push(Math.abs(device[row] - before.mean) / before.std);
      screen.record(row, device[row]);
    }
    // 20 held-out errors now: the band is the 19th smallest (ceil(21 * 0.9)), and never below z.
    expect(screen.bandStds).toBeGreaterThanOrEqual(2);
    expect(Number.isFinite(screen.bandStds)).toBe(true);
    expect(screen.bandStds).toBeGreaterThanOrEqual(Math.min(...errors));
    const far = unmeasured.reduce((a, b) => (Math.abs(screen.predict(b).mean - 12) > Math.abs(screen.predict(a).mean - 12) ? b : a));
    expect(screen.mustMeasure(far)).toBe(false);
    expect(screen.optimistic(far)).toBeCloseTo(screen.predict(far).mean - screen.bandStds * screen.predict(far).std, 9);
    expect(() => new CostScreen('dev', refs, calibration, { conformal: 1 })).toThrow(/conformal must be a coverage level in \(0, 1\), got 1/);
  });

  it('says which cost was measured and which predicted', () => {
    expect(screenedCostMetrics('dev_latency', { value: 3, measured: false, mean: 3, std: 0.2 })).toEqual({ dev_latency: 3, dev_latency_pred: 3, dev_latency_pred_std: 0.2, dev_latency_measured: 0 });
  });

  it('rejects bad input with the reason', () => {
    expect(() => new CostScreen('dev', refs, calibration, { z: -1 })).toThrow(/z must be a non-negative/);
    const screen = new CostScreen('dev', refs, calibration);
    expect(() => screen.predict(ROWS)).toThrow(/row 400 is outside 0..399/);
    expect(() => screen.record(1, 0)).toThrow(/non-positive value 0/);
  });
});

describe('runScreenedSearch', () => {
  const infos = [ACCURACY_METRICS.find((m) => m.name === 'accuracy')!, costMetricInfo('dev_latency')];
  const bound = 10;
  const problem = createProblem({ objectives: ['accuracy:max'], constraints: [{ metric: 'dev_latency', bound }], costFirst: true }, infos);
  const sources = () => {
    let calls = 0;
    return {
      metric: 'dev_latency',
      measure: async (arch: Arch) => {
        calls++;
        return device[rowOf(arch)];
      },
      rowOf,
      evaluate: (arch: Arch) => ({ accuracy: accuracy[rowOf(arch)] }),
      calls: () => calls,
    };
  };
  const strategy = (seed: number) => createStrategy('random', { space: nb201Space, problem, seed });
  const run = async (seed: number, screen?: CostScreen) => {
    const s = sources();
    const result = await runScreenedSearch(strategy(seed), nb201Space, problem, { ...s, ...(screen ? { screen } : {}) }, { budget: 20 });
    return { result, calls: s.calls() };
  };

  it('measures fewer architectures with the model, marks every cost, and is reproducible', async () => {
    const calibration = [3, 50, 120, 260, 333].map((row) => ({ row, value: device[row] }));
    const full = await run(1);
    const screenedA = await run(1, new CostScreen('dev', refs, calibration, { bounds: [bound], z: 2 }));
    const screenedB = await run(1, new CostScreen('dev', refs, calibration, { bounds: [bound], z: 2 }));
    expect(screenedA.result.evaluated.map((e) => e.key)).toEqual(screenedB.result.evaluated.map((e) => e.key));
    // Every cost query goes to the device (distinct cells may share a row of the small table).
    expect(full.calls).toBe(full.result.deviceMeasurements);
    expect(full.result.deviceMeasurements).toBeGreaterThan(20);
    for (const e of full.result.evaluated) expect(e.metrics!.dev_latency_measured).toBe(1);
    const flags = screenedA.result.trials.map((t) => t.metrics?.dev_latency_measured);
    expect(flags.every((f) => f === 0 || f === 1)).toBe(true);
    expect(flags).toContain(0);
    expect(screenedA.calls).toBe(screenedA.result.deviceMeasurements);
    expect(screenedA.result.deviceMeasurements).toBeLessThan(full.result.deviceMeasurements / 2);
    // The result is measured, never only predicted.
    expect(screenedA.result.best?.metrics?.dev_latency_measured).toBe(1);
  });
});

describe('CostScreen.stdInflation', () => {
  it('widens the band only when asked, by how far the measured values fell from the predictions', () => {
    const calibration = [3, 50].map((row) => ({ row, value: device[row] }));
    const plain = new CostScreen('dev', refs, calibration);
    const widening = new CostScreen('dev', refs, calibration, { widenFromErrors: true });
    for (const row of [7, 99, 201]) {
      plain.record(row, device[row] * 1.5);
      widening.record(row, device[row] * 1.5);
    }
    expect(plain.stdInflation).toBe(1);
    expect(widening.stdInflation).toBeGreaterThan(1);
    expect(widening.predict(300).std).toBeGreaterThan(plain.predict(300).std);
  });
});
