import { LocalResidual, MIN_LOCAL_POINTS } from './local-residual';
import { referenceCosts } from './references';

// 300 rows whose two reference costs place them on a grid; the device is off the global model by
// a smooth function of where a row sits (slower in one corner), which the correction must learn.
const ROWS = 300;
const a = Float64Array.from({ length: ROWS }, (_, i) => 1 + (i % 20));
const b = Float64Array.from({ length: ROWS }, (_, i) => 1 + Math.floor(i / 20));
const refs = referenceCosts([{ name: 'a', values: a }, { name: 'b', values: b }]);
const residual = (row: number) => 0.4 * Math.tanh((Math.log(a[row]) + Math.log(b[row]) - 4) / 0.5);

describe('LocalResidual', () => {
  it('stays off below the minimum number of points, then learns a smooth residual from its neighbours', () => {
    const local = new LocalResidual(refs);
    const few = [0, 45, 90];
    local.fit(few, few.map(residual));
    expect(local.active).toBe(false);
    expect(local.predict(10)).toBe(0);
    const measured = Array.from({ length: 60 }, (_, k) => (k * 37) % ROWS);
    local.fit(measured, measured.map(residual));
    expect(local.size).toBe(60);
    expect(MIN_LOCAL_POINTS).toBeLessThanOrEqual(60);
    const others = [...Array(ROWS).keys()].filter((r) => !measured.includes(r));
    const err = others.reduce((s, r) => s + Math.abs(local.predict(r) - residual(r)), 0) / others.length;
    const none = others.reduce((s, r) => s + Math.abs(residual(r)), 0) / others.length;
    expect(err).toBeLessThan(none / 3);
  });

  it('extends its factor point by point to the same answer as a fit from scratch', () => {
    const rows = Array.from({ length: 40 }, (_, k) => (k * 53) % ROWS);
    const grown = new LocalResidual(refs);
    for (let n = MIN_LOCAL_POINTS; n <= 30; n++) grown.fit(rows.slice(0, n), rows.slice(0, n).map(residual));
    const once = new LocalResidual(refs);
    once.fit(rows.slice(0, 16), rows.slice(0, 16).map(residual));
    once.fit(rows.slice(0, 30), rows.slice(0, 30).map(residual));
    expect(grown.hyperparameters).toEqual(once.hyperparameters);
    for (const r of [5, 77, 250]) expect(grown.predict(r)).toBeCloseTo(once.predict(r), 9);
  });

  it('rejects mismatched or non-finite targets', () => {
    const local = new LocalResidual(refs);
    expect(() => local.fit([1, 2], [0])).toThrow(/2 rows but 1 targets/);
    expect(() => local.fit([1], [NaN])).toThrow(/targets must be finite, got NaN/);
  });
});
