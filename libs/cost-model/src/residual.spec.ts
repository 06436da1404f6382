import type { Arch } from '@hwnas/bench-core';
import { nb201Space } from '@hwnas/bench-core';
import { archEncoder } from '@hwnas/search/internal';
import { CostScreen } from './cost-screen';
import { referenceCosts } from './references';
import { ResidualModel } from './residual';

// 600 NB201 cells (spread over the space) whose device is 2 x the reference, except a family the
// reference misprices: cells with two or more live 3x3 convolutions cost 1.5 times as much again.
const ROWS = 600;
const archs: Arch[] = Array.from({ length: ROWS }, (_, r) => {
  let code = (r * 7919 + 11) % 15625;
  return Array.from({ length: 6 }, () => {
    const op = code % 5;
    code = Math.floor(code / 5);
    return op;
  });
});
const encode = archEncoder(nb201Space);
const encodings = archs.map((a) => encode(a));
const CONV3 = 2; // index of nor_conv_3x3 among the features (op counts without `none`)
const inFamily = (row: number) => encodings[row].features[CONV3] >= 2;
const ref = Float64Array.from({ length: ROWS }, (_, i) => 1 + ((i * 37) % 101) / 10);
const device = Float64Array.from(ref, (v, i) => 2 * v * (inFamily(i) ? 1.5 : 1));
const refs = referenceCosts([{ name: 'ref', values: ref }]);

describe('ResidualModel', () => {
  it('needs two residuals, then tells the mispriced family from the rest', () => {
    expect(ResidualModel.fit([encodings[0]], [0.1])).toBeUndefined();
    const rows = [...Array(40).keys()];
    const model = ResidualModel.fit(
      rows.map((r) => encodings[r]),
      rows.map((r) => (inFamily(r) ? Math.log(1.5) : 0)),
    )!;
    const member = rows.find(inFamily)!;
    const other = rows.find((r) => !inFamily(r))!;
    expect(model.predict(encodings[member]).shift).toBeGreaterThan(0.25);
    expect(Math.abs(model.predict(encodings[other]).shift)).toBeLessThan(0.15);
  });

  it('gives cells that share an encoding one shift, the GP mean, whichever is asked first', () => {
    const key = (r: number) => JSON.stringify(encodings[r]);
    const twin = [...Array(ROWS).keys()].find((r) => r >= 40 && [...Array(r).keys()].some((q) => q >= 40 && key(q) === key(r)))!;
    const first = [...Array(twin).keys()].find((q) => q >= 40 && key(q) === key(twin))!;
    expect(archs[first]).not.toEqual(archs[twin]);
    const rows = [...Array(40).keys()];
    const fit = () => ResidualModel.fit(rows.map((r) => encodings[r]), rows.map((r) => (inFamily(r) ? Math.log(1.5) : 0)))!;
    const a = fit();
    const b = fit();
    const shiftA = [a.shift(encodings[first]), a.shift(encodings[twin])];
    const shiftB = [b.shift(encodings[twin]), b.shift(encodings[first])];
    expect(shiftA[1]).toBe(shiftA[0]);
    expect(shiftB).toEqual(shiftA);
    expect(shiftA[0]).toBe(a.predict(encodings[twin]).shift);
    // Encodings too long for a numeric key (FBNet's 22 decisions) take the same path with a string key.
    const long = (r: number) => ({ arch: Array.from({ length: 22 }, (_, k) => (r * (k + 3)) % 9), features: [r % 4, r % 7] });
    const c = ResidualModel.fit(rows.map(long), rows.map((r) => (r % 3) / 10))!;
    expect(c.shift(long(50))).toBe(c.predict(long(50)).shift);
    expect(c.shift({ ...long(50) })).toBe(c.shift(long(50)));
    expect(c.shift(long(51))).not.toBe(c.shift(long(50)));
  });
});

describe('CostScreen with a residual model', () => {
  it('corrects the family the references misprice, once measured neighbours show it; deterministic', () => {
    const measured = [...Array(60).keys()].map((row) => ({ row, value: device[row] }));
    const family = [...Array(ROWS).keys()].filter((r) => r >= 60 && inFamily(r));
    expect(family.length).toBeGreaterThan(20);
    const plain = new CostScreen('dev', refs, measured);
    const corrected = new CostScreen('dev', refs, measured, { residualEncoding: (row) => encodings[row] });
    const error = (s: CostScreen) => family.reduce((a, r) => a + Math.abs(Math.log(s.predict(r).mean / device[r])), 0) / family.length;
    expect(error(corrected)).toBeLessThan(0.5 * error(plain));
    // The correction scales the whole prediction: the relative std is the mixture's.
    const row = family[0];
    expect(corrected.predict(row).std / corrected.predict(row).mean).toBeCloseTo(plain.predict(row).std / plain.predict(row).mean, 9);
    const again = new CostScreen('dev', refs, measured, { residualEncoding: (r) => encodings[r] });
    expect(again.predict(row)).toEqual(corrected.predict(row));
    // record() refits the residual model too: a measured family member moves its neighbours.
    const fresh = new CostScreen('dev', refs, measured.slice(0, 10), { residualEncoding: (r) => encodings[r] });
    const before = fresh.predict(family[1]).mean;
    for (const r of family.slice(2, 12)) fresh.record(r, device[r]);
    expect(Math.abs(Math.log(fresh.predict(family[1]).mean / device[family[1]]))).toBeLessThan(Math.abs(Math.log(before / device[family[1]])));
  });
});

describe('CostScreen with a residual model, where the mixture goes below zero', () => {
  it('predicts a positive cost, which measured neighbours correct towards what they measured', () => {
    // The reference is zero-cost-like on some cells (a negative intercept fits the others); every device cost is positive.
    const cheapRef = Float64Array.from({ length: ROWS }, (_, i) => (i % 10 === 0 ? 0.01 : 5 + (i % 7)));
    const cheapDevice = Float64Array.from(cheapRef, (v) => (v < 1 ? 0.5 : 3 * v - 10));
    const cheapRefs = referenceCosts([{ name: 'ref', values: cheapRef }]);
    const measured = [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13].map((row) => ({ row, value: cheapDevice[row] }));
    // The fitted line, about 3 x ref - 10, is negative on the cheap cells: the model's floor keeps the prediction positive.
    const plain = new CostScreen('dev', cheapRefs, measured);
    const corrected = new CostScreen('dev', cheapRefs, [...measured, { row: 10, value: cheapDevice[10] }], { residualEncoding: (row) => encodings[row] });
    const logError = (mean: number) => Math.abs(Math.log(mean / 0.5));
    for (const row of [20, 30, 40]) {
      expect(plain.predict(row).mean).toBeGreaterThan(0);
      expect(corrected.predict(row).mean).toBeGreaterThan(0);
      expect(logError(corrected.predict(row).mean)).toBeLessThan(logError(plain.predict(row).mean));
    }
  });
});
