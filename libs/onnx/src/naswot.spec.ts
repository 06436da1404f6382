import { buildNetworkIR, nb201Space } from '@hwnas/bench-core';
import * as ort from 'onnxruntime-node';
import { exportOnnx, INPUT_NAME } from './export';
import { naswotScore, slogdet, syntheticBatch } from './naswot';
import { withSession } from './session';

const cell = (op: string) => `|${op}~0|+|${op}~0|${op}~1|+|${op}~0|${op}~1|${op}~2|`;
const MIXED = '|nor_conv_3x3~0|+|none~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|';
const ir16 = (arch: string) => buildNetworkIR(nb201Space, nb201Space.parse(arch), 'ImageNet16-120');

/** Determinant by Laplace expansion (reference for small matrices). */
function laplaceDet(m: number[][]): number {
  if (m.length === 1) return m[0][0];
  let d = 0;
  for (let j = 0; j < m.length; j++) {
    const minor = m.slice(1).map((row) => row.filter((_, k) => k !== j));
    d += (j % 2 ? -1 : 1) * m[0][j] * laplaceDet(minor);
  }
  return d;
}

describe('slogdet', () => {
  it('slogdet - matches known determinants, signs and singular matrices', () => {
    expect(slogdet([4, 2, 2, 3], 2)).toEqual({ sign: 1, logAbsDet: Math.log(8) });
    expect(slogdet([0, 1, 1, 0], 2)).toEqual({ sign: -1, logAbsDet: 0 });
    expect(slogdet([1, 2, 2, 4], 2)).toEqual({ sign: 0, logAbsDet: -Infinity });
    const tri = slogdet([2, -1, 0, -1, 2, -1, 0, -1, 2], 3);
    expect(tri.sign).toBe(1);
    expect(tri.logAbsDet).toBeCloseTo(Math.log(4), 12);
    const m = [
      [3, -2, 5, 1],
      [0.5, 4, -1, 2],
      [7, 1, 1, -3],
      [-2, 6, 0.25, 1],
    ];
    const det = laplaceDet(m);
    const r = slogdet(m.flat(), 4);
    expect(r.sign).toBe(Math.sign(det));
    expect(r.logAbsDet).toBeCloseTo(Math.log(Math.abs(det)), 10);
    expect(slogdet([], 0)).toEqual({ sign: 1, logAbsDet: 0 });
    expect(() => slogdet([1, 2, 3], 2)).toThrow(/entries/);
  });
});

describe('naswotScore', () => {
  it('naswotScore - is deterministic for fixed seeds and depends on the input batch', async () => {
    const ir = ir16(MIXED);
    const a = await naswotScore(ir, { batch: 8, seed: 5 });
    const b = await naswotScore(ir, { batch: 8, seed: 5 });
    expect(b.score).toBe(a.score);
    expect(Number.isFinite(a.score)).toBe(true);
    expect(a.reluLayers).toBe(ir.layers.filter((l) => l.type === 'relu').length);
    expect((await naswotScore(ir, { batch: 8, seed: 5, inputSeed: 1 })).score).not.toBe(a.score);
  });

  it('naswotScore - the in-graph kernel equals agreement counts of the exported ReLU codes', async () => {
    const ir = ir16(MIXED);
    const n = 6;
    const r = await naswotScore(ir, { batch: n, seed: 2, keepKernel: true });
    const kernel = r.kernel as Float64Array;
    const model = exportOnnx(ir, { seed: 2, batch: n, outputs: 'logits+relu-codes', bn: 'batch-stats' });
    const x = new ort.Tensor('float32', syntheticBatch(n, ir.input, 0), [n, ir.input.c, ir.input.h, ir.input.w]);
    const out = await withSession(model, {}, (s) => s.run({ [INPUT_NAME]: x }));
    const expected = new Float64Array(n * n);
    let units = 0;
    for (const l of ir.layers.filter((k) => k.type === 'relu')) {
      const codes = out[`relu_code_${l.id}`].data as Uint8Array;
      const u = codes.length / n;
      units += u;
      for (let a = 0; a < n; a++) {
        for (let b = 0; b < n; b++) {
          let agree = 0;
          for (let k = 0; k < u; k++) if (codes[a * u + k] === codes[b * u + k]) agree++;
          expected[a * n + b] += agree;
        }
      }
    }
    expect(r.units).toBe(units);
    expect(Array.from(kernel)).toEqual(Array.from(expected));
    for (let a = 0; a < n; a++) expect(kernel[a * n + a]).toBe(units);
  });

  it('naswotScore - ranks cells with more distinct ReLU patterns higher (none < skip < conv3x3)', async () => {
    const score = async (op: string) => (await naswotScore(ir16(cell(op)), { batch: 8 })).score;
    // No cell computes anything: every ReLU after the stage-0 cells sees the same value for all inputs.
    expect(await score('none')).toBe(-Infinity);
    const skip = await score('skip_connect');
    const conv = await score('nor_conv_3x3');
    expect(Number.isFinite(skip)).toBe(true);
    expect(conv).toBeGreaterThan(skip + 10);
  });

  it('naswotScore - rejects IRs without ReLUs and bad batches', async () => {
    const ir = ir16(MIXED);
    await expect(naswotScore(ir, { batch: 1 })).rejects.toThrow(/batch/);
    await expect(naswotScore({ ...ir, layers: ir.layers.slice(0, 3), output: 2, numClasses: 16 * 16 * 16 })).rejects.toThrow(/ReLU/);
    await expect(naswotScore(ir, { batch: 2, images: new Float32Array(5) })).rejects.toThrow(/images/);
  });
});
