import { InvalidArgumentError, Rng } from '@hwnas/bench-core';
import { FittedCostModel } from './model';
import { referenceCosts } from './references';
import type { ReferenceCosts } from './references';
import { metaLearnNoise, NOISE_VARIANCE_GRID, PRIOR_VARIANCE_GRID, sampleRows } from './meta';
import { spearman } from './stats';

/** Four synthetic reference devices over 3000 architectures, with unrelated cost profiles. */
function syntheticReferences(): ReferenceCosts {
  const rng = new Rng(7);
  const n = 3000;
  return referenceCosts(['a', 'b', 'c', 'd'].map((name) => ({ name, values: Float64Array.from({ length: n }, () => 1 + 9 * rng.next()) })));
}

/** A new device: 4 + 2.5 x reference `c` (ms), with 2 % multiplicative noise. */
function syntheticDevice(refs: ReferenceCosts, seed = 3): Float64Array {
  const rng = new Rng(seed);
  const c = refs.columns[refs.names.indexOf('c')];
  return Float64Array.from(c, (v) => (4 + 2.5 * v) * (1 + 0.02 * rng.normal()));
}

const fitOn = (refs: ReferenceCosts, truth: Float64Array, k: number, seed = 0) =>
  FittedCostModel.fit('new', refs, sampleRows(refs.size, k, seed).map((row) => ({ row, value: truth[row] })));

describe('FittedCostModel', () => {
  const refs = syntheticReferences();
  const truth = syntheticDevice(refs);

  it('recovers a known linear relation to one reference from 10 samples', () => {
    const model = fitOn(refs, truth, 10);
    expect(model.weights().c).toBeGreaterThan(0.99);
    const p = model.predictRows(refs);
    expect(spearman(p.mean, truth)).toBeGreaterThan(0.99);
    // The line itself: the prediction at reference value 1 and 9.
    const c = (v: number) => model.predict({ a: 5, b: 5, c: v, d: 5 }).mean;
    expect(c(1)).toBeCloseTo(6.5, 0);
    expect(c(9)).toBeCloseTo(26.5, 0);
  });

  it('is less certain with fewer samples, and its 2-std band covers most of the truth', () => {
    const meanStd = (k: number) => {
      const p = fitOn(refs, truth, k).predictRows(refs);
      return p.std.reduce((a, b) => a + b, 0) / p.std.length;
    };
    const s3 = meanStd(3);
    const s10 = meanStd(10);
    const s50 = meanStd(50);
    expect(s3).toBeGreaterThan(s10);
    expect(s10).toBeGreaterThan(s50);
    const p = fitOn(refs, truth, 50).predictRows(refs);
    let inside = 0;
    for (let i = 0; i < truth.length; i++) if (Math.abs(truth[i] - p.mean[i]) <= 2 * p.std[i]) inside++;
    expect(inside / truth.length).toBeGreaterThan(0.9);
  });

  it('predicts a positive cost where the fitted line falls below zero', () => {
    // A device with a large negative intercept against reference `c`: -10 + 3 x c, measured on cells where c > 5.
    const rows = sampleRows(refs.size, 400, 1).filter((r) => refs.columns[2][r] > 5).slice(0, 20);
    const c = refs.columns[refs.names.indexOf('c')];
    const model = FittedCostModel.fit('steep', refs, rows.map((row) => ({ row, value: -10 + 3 * c[row] })), { noiseVariance: 1e-4 });
    expect(model.weights().c).toBeGreaterThan(0.99);
    // The line predicts -7 at c = 1; the prediction stays positive, and grows with c below the line's zero.
    const at = (v: number) => model.predict({ a: 5, b: 5, c: v, d: 5 }).mean;
    expect(at(1)).toBeGreaterThan(0);
    expect(at(2)).toBeGreaterThan(at(1));
    expect(at(8)).toBeCloseTo(14, 0);
    expect(Math.min(...model.predictRows(refs).mean)).toBeGreaterThan(0);
  });

  it('predicts one row as that row of the whole prediction, and rejects a row outside the references', () => {
    const model = fitOn(refs, truth, 10);
    const all = model.predictRows(refs);
    for (const row of [0, 5, 2999]) expect(model.predictRow(refs, row)).toEqual({ mean: all.mean[row], std: all.std[row] });
    expect(() => model.predictRow(refs, 3000)).toThrow(/row 3000 is outside 0..2999/);
  });

  it('is deterministic and survives a JSON round trip', () => {
    const a = fitOn(refs, truth, 10, 4);
    const b = fitOn(refs, truth, 10, 4);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    const restored = FittedCostModel.fromJSON(JSON.parse(JSON.stringify(a)));
    expect(Array.from(restored.predictRows(refs).mean)).toEqual(Array.from(a.predictRows(refs).mean));
    expect(restored.target).toBe('new');
  });

  it('rejects bad samples, references and JSON with a clear message', () => {
    expect(() => FittedCostModel.fit('x', refs, [])).toThrow(/at least one measured sample/);
    expect(() => FittedCostModel.fit('x', refs, [{ row: 3000, value: 1 }])).toThrow(/row 3000, outside 0..2999/);
    expect(() => FittedCostModel.fit('x', refs, [{ row: 1, value: 0 }])).toThrow(InvalidArgumentError);
    const model = fitOn(refs, truth, 5);
    expect(() => model.predictRows(referenceCosts([{ name: 'a', values: [1, 2] }]))).toThrow(/needs reference "b"/);
    expect(() => model.predict({ a: 1, b: 1, c: -1, d: 1 })).toThrow(/reference "c" must be a positive number/);
    expect(() => FittedCostModel.fromJSON({ format: 'other' })).toThrow(/"format" must be "hwnas-cost-model\/1"/);
    expect(() => referenceCosts([{ name: 'a', values: [1] }, { name: 'a', values: [1] }])).toThrow(/appears twice/);
  });
});

describe('metaLearnNoise', () => {
  it('scores each grid value on the reference devices alone and picks the best', () => {
    const rng = new Rng(11);
    const base = Float64Array.from({ length: 2000 }, () => 1 + 9 * rng.next());
    // Five devices that are noisy copies of one profile: their noise level is what should be learned.
    const refs = referenceCosts(['p', 'q', 'r', 's', 't'].map((name) => ({ name, values: Float64Array.from(base, (v) => v * Math.exp(0.1 * rng.normal())) })));
    const r = metaLearnNoise(refs, { samples: 10, draws: 2 });
    expect(r.spearmanByGrid).toHaveLength(NOISE_VARIANCE_GRID.length * PRIOR_VARIANCE_GRID.length);
    const best = Math.max(...r.spearmanByGrid.map((x) => x.spearman));
    expect(r.spearmanByGrid.find((x) => x.noiseVariance === r.noiseVariance && x.priorVariance === r.priorVariance)!.spearman).toBe(best);
    expect(metaLearnNoise(refs, { samples: 10, draws: 2 })).toEqual(r);
    expect(() => metaLearnNoise(refs, { devices: ['zzz'] })).toThrow(/"zzz" is not a reference column/);
  });
});
