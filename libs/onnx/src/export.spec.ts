import { buildNetworkIR, fbnetSpace, nb201Space } from '@hwnas/bench-core';
import type { Layer, NetworkIR, Shape } from '@hwnas/bench-core';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { exportOnnx, INPUT_NAME, LOGITS_NAME } from './export';
import { withSession } from './session';

const BEST_C10 = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|';

async function run(model: Uint8Array, input: Shape, batch = 1, data?: Float32Array): Promise<ort.InferenceSession.ReturnType> {
  const x = data ?? Float32Array.from({ length: batch * input.c * input.h * input.w }, (_, i) => Math.sin(i));
  return withSession(model, {}, (s) => s.run({ [INPUT_NAME]: new ort.Tensor('float32', x, [batch, input.c, input.h, input.w]) }));
}

type LayerSpec = Layer extends infer L ? (L extends Layer ? Omit<L, 'id' | 'name' | 'block'> : never) : never;

/** A hand-built IR that uses every layer type (and a few attribute variants). */
function allLayersIR(): NetworkIR {
  const layers: Layer[] = [];
  const add = (l: LayerSpec): number => {
    const id = layers.length;
    layers.push({ id, name: `l${id}`, block: 'b', ...l } as Layer);
    return id;
  };
  const s = (c: number, h: number): Shape => ({ c, h, w: h });
  const x = add({ type: 'input', inputs: [], outShape: s(3, 12) });
  const c1 = add({ type: 'conv', inputs: [x], outShape: s(8, 12), cin: 3, cout: 8, kernel: 3, stride: 1, padding: 1, groups: 1, bias: true });
  const b1 = add({ type: 'bn', inputs: [c1], outShape: s(8, 12), channels: 8 });
  const r1 = add({ type: 'relu', inputs: [b1], outShape: s(8, 12) });
  const mp = add({ type: 'max_pool', inputs: [r1], outShape: s(8, 6), kernel: 3, stride: 2, padding: 1, countIncludePad: false });
  const ap = add({ type: 'avg_pool', inputs: [r1], outShape: s(8, 6), kernel: 3, stride: 2, padding: 1, countIncludePad: true });
  const ap2 = add({ type: 'avg_pool', inputs: [r1], outShape: s(8, 6), kernel: 3, stride: 2, padding: 1, countIncludePad: false });
  const cat = add({ type: 'concat', inputs: [mp, ap], outShape: s(16, 6) });
  const gc = add({ type: 'conv', inputs: [cat], outShape: s(8, 6), cin: 16, cout: 8, kernel: 1, stride: 1, padding: 0, groups: 2, bias: false });
  const sh = add({ type: 'channel_shuffle', inputs: [gc], outShape: s(8, 6), groups: 2 });
  const dw = add({ type: 'conv', inputs: [sh], outShape: s(8, 3), cin: 8, cout: 8, kernel: 5, stride: 2, padding: 2, groups: 8, bias: false });
  const z = add({ type: 'zero', inputs: [ap2], outShape: s(8, 6) });
  const sum = add({ type: 'add', inputs: [sh, z, ap2], outShape: s(8, 6) });
  const r2 = add({ type: 'relu', inputs: [sum], outShape: s(8, 6) });
  const r3 = add({ type: 'relu', inputs: [dw], outShape: s(8, 3) });
  const gp = add({ type: 'global_avg_pool', inputs: [r2], outShape: s(8, 1) });
  const gp2 = add({ type: 'global_avg_pool', inputs: [r3], outShape: s(8, 1) });
  const cat2 = add({ type: 'concat', inputs: [gp, gp2], outShape: s(16, 1) });
  const fc1 = add({ type: 'linear', inputs: [cat2], outShape: s(12, 1), inFeatures: 16, outFeatures: 12, bias: false });
  const bn2 = add({ type: 'bn', inputs: [fc1], outShape: s(12, 1), channels: 12 });
  const r4 = add({ type: 'relu', inputs: [bn2], outShape: s(12, 1) });
  const fc2 = add({ type: 'linear', inputs: [r4], outShape: s(5, 1), inFeatures: 12, outFeatures: 5, bias: true });
  return { space: 'nb201', dataset: 'synthetic', arch: 'all-layers', input: s(3, 12), numClasses: 5, layers, output: fc2 };
}

describe('exportOnnx', () => {
  it('exportOnnx - an NB201 cifar10 model loads and outputs [1, 10] finite logits', async () => {
    const ir = buildNetworkIR(nb201Space, nb201Space.parse(BEST_C10), 'cifar10');
    const out = await run(exportOnnx(ir, { seed: 1 }), ir.input);
    expect(out[LOGITS_NAME].dims).toEqual([1, 10]);
    expect(Array.from(out[LOGITS_NAME].data as Float32Array).every(Number.isFinite)).toBe(true);
  });

  it('exportOnnx - an NB201 ImageNet16-120 model outputs [1, 120], also at batch 2', async () => {
    const ir = buildNetworkIR(nb201Space, nb201Space.parse('|avg_pool_3x3~0|+|none~0|nor_conv_1x1~1|+|skip_connect~0|none~1|nor_conv_3x3~2|'), 'ImageNet16-120');
    expect((await run(exportOnnx(ir, { seed: 1 }), ir.input))[LOGITS_NAME].dims).toEqual([1, 120]);
    expect((await run(exportOnnx(ir, { seed: 1, batch: 2 }), ir.input, 2))[LOGITS_NAME].dims).toEqual([2, 120]);
  });

  it('exportOnnx - an FBNet cifar100 model (group convs, shuffles, skips) outputs [1, 100]', async () => {
    const arch = fbnetSpace.parse('k3_e1,k3_e1_g2,k5_e6,skip,k3_e3,k5_e1_g2,skip,k3_e6,k5_e3,k3_e1,k5_e1,k3_e1_g2,k5_e6,skip,k3_e3,k5_e1_g2,k3_e6,k5_e3,skip,k3_e1,k5_e6,k3_e6');
    const ir = buildNetworkIR(fbnetSpace, arch, 'cifar100');
    expect(ir.layers.some((l) => l.type === 'channel_shuffle')).toBe(true);
    const out = await run(exportOnnx(ir, { seed: 7 }), ir.input);
    expect(out[LOGITS_NAME].dims).toEqual([1, 100]);
    expect(Array.from(out[LOGITS_NAME].data as Float32Array).every(Number.isFinite)).toBe(true);
  });

  it('exportOnnx - every IR layer type round-trips, with ReLU shapes as in the IR', async () => {
    const ir = allLayersIR();
    const types = new Set(ir.layers.map((l) => l.type));
    expect([...types].sort()).toEqual(['add', 'avg_pool', 'bn', 'channel_shuffle', 'concat', 'conv', 'global_avg_pool', 'input', 'linear', 'max_pool', 'relu', 'zero']);
    for (const bn of ['inference', 'batch-stats'] as const) {
      const out = await run(exportOnnx(ir, { seed: 3, batch: 2, outputs: 'logits+relu-codes', bn }), ir.input, 2);
      expect(out[LOGITS_NAME].dims).toEqual([2, 5]);
      // Tensors downstream of a linear layer are [batch, features]; feature maps are NCHW.
      const flat = new Set<number>();
      for (const l of ir.layers) if (l.type === 'linear' || (l.inputs.length && flat.has(l.inputs[0]))) flat.add(l.id);
      for (const l of ir.layers.filter((k) => k.type === 'relu')) {
        const { c, h, w } = l.outShape;
        expect(out[`relu_code_${l.id}`].dims).toEqual(flat.has(l.id) ? [2, c] : [2, c, h, w]);
      }
    }
  });

  it('exportOnnx - channel_shuffle and zero compute what the IR says', async () => {
    // input (6 x 1 x 1) -> shuffle(2) -> relu, and input -> zero -> relu: the ReLU codes show the values' signs.
    const shape: Shape = { c: 6, h: 1, w: 1 };
    const ir: NetworkIR = {
      space: 'nb201', dataset: 'synthetic', arch: 'shuffle', input: shape, numClasses: 6, output: 4,
      layers: [
        { type: 'input', id: 0, name: 'in', block: 'b', inputs: [], outShape: shape },
        { type: 'channel_shuffle', id: 1, name: 'shuffle', block: 'b', inputs: [0], outShape: shape, groups: 2 },
        { type: 'relu', id: 2, name: 'relu', block: 'b', inputs: [1], outShape: shape },
        { type: 'zero', id: 3, name: 'zero', block: 'b', inputs: [0], outShape: shape },
        { type: 'relu', id: 4, name: 'relu0', block: 'b', inputs: [3], outShape: shape },
      ],
    };
    const x = Float32Array.from([1, 1, -1, -1, 1, -1]);
    const out = await run(exportOnnx(ir, { seed: 0, outputs: 'logits+relu-codes' }), shape, 1, x);
    // ShuffleNet order for 2 groups of 3: [x0, x3, x1, x4, x2, x5].
    expect(Array.from(out.relu_code_2.data as Uint8Array, Number)).toEqual([1, 0, 1, 1, 0, 0]);
    expect(Array.from(out.relu_code_4.data as Uint8Array, Number)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(out[LOGITS_NAME].data as Float32Array).every((v) => v === 0)).toBe(true);
  });

  it('exportOnnx - the same seed gives a byte-identical model, another seed other weights', () => {
    const ir = buildNetworkIR(nb201Space, nb201Space.parse('|nor_conv_1x1~0|+|none~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_1x1~2|'), 'ImageNet16-120');
    const a = exportOnnx(ir, { seed: 42 });
    expect(Buffer.from(exportOnnx(ir, { seed: 42 })).equals(Buffer.from(a))).toBe(true);
    expect(Buffer.from(exportOnnx(ir, { seed: 43 })).equals(Buffer.from(a))).toBe(false);
    const model = onnx.ModelProto.decode(a);
    expect(Number(model.opsetImport[0].version)).toBe(13);
    expect(model.graph?.input?.[0].name).toBe('input');
    expect(model.graph?.output?.map((o) => o.name)).toEqual(['logits']);
  });

  it('exportOnnx - rejects a layer that reads a later layer, and a bad batch', () => {
    const ir = allLayersIR();
    const broken = { ...ir, layers: ir.layers.map((l) => (l.id === 2 ? { ...l, inputs: [5] } : l)) };
    expect(() => exportOnnx(broken, { seed: 0 })).toThrow(/does not precede/);
    expect(() => exportOnnx(ir, { seed: 0, batch: 0 })).toThrow(/batch/);
  });
});
