import type { Layer, NetworkIR, Shape } from '@hwnas/bench-core';

/** Options of a hand-built conv layer; padding defaults to kernel / 2 (same size at stride 1). */
export interface ConvSpec {
  readonly cout: number;
  readonly kernel: number;
  readonly stride?: number;
  readonly groups?: number;
  readonly block?: string;
}

/**
 * A minimal IR builder for tests: small hand-built graphs with the same layer records that
 * `buildNetworkIR` produces. Each method appends one layer and returns its id. Spec files only.
 */
export interface NetBuilder {
  conv(src: number, spec: ConvSpec): number;
  bn(src: number, block?: string): number;
  relu(src: number, block?: string): number;
  add(srcs: readonly number[], block?: string): number;
  avgPool(src: number, kernel: number, stride: number, block?: string): number;
  globalAvgPool(src: number, block?: string): number;
  linear(src: number, outFeatures: number, block?: string): number;
  build(output?: number): NetworkIR;
}

/** Starts a graph whose input is a c x hw x hw tensor. */
export function netBuilder(c: number, hw: number): NetBuilder {
  const input: Shape = { c, h: hw, w: hw };
  const layers: Layer[] = [{ type: 'input', id: 0, name: 'input', block: 'stem', inputs: [], outShape: input }];
  const shape = (id: number) => layers[id].outShape;
  const push = (make: (id: number) => Layer) => {
    const id = layers.length;
    layers.push(make(id));
    return id;
  };
  return {
    conv(src, spec) {
      const s = shape(src);
      const stride = spec.stride ?? 1;
      const padding = spec.kernel >> 1;
      const hw2 = Math.floor((s.h + 2 * padding - spec.kernel) / stride) + 1;
      return push((id) => ({ type: 'conv', id, name: `conv${id}`, block: spec.block ?? 'b0', inputs: [src], outShape: { c: spec.cout, h: hw2, w: hw2 }, cin: s.c, cout: spec.cout, kernel: spec.kernel, stride, padding, groups: spec.groups ?? 1, bias: false }));
    },
    bn: (src, block = 'b0') => push((id) => ({ type: 'bn', id, name: `bn${id}`, block, inputs: [src], outShape: shape(src), channels: shape(src).c })),
    relu: (src, block = 'b0') => push((id) => ({ type: 'relu', id, name: `relu${id}`, block, inputs: [src], outShape: shape(src) })),
    add: (srcs, block = 'b0') => push((id) => ({ type: 'add', id, name: `add${id}`, block, inputs: srcs, outShape: shape(srcs[0]) })),
    avgPool(src, kernel, stride, block = 'b0') {
      const s = shape(src);
      const padding = kernel === 3 ? 1 : 0;
      const hw2 = Math.floor((s.h + 2 * padding - kernel) / stride) + 1;
      return push((id) => ({ type: 'avg_pool', id, name: `pool${id}`, block, inputs: [src], outShape: { c: s.c, h: hw2, w: hw2 }, kernel, stride, padding, countIncludePad: false }));
    },
    globalAvgPool: (src, block = 'head') => push((id) => ({ type: 'global_avg_pool', id, name: `gap${id}`, block, inputs: [src], outShape: { c: shape(src).c, h: 1, w: 1 } })),
    linear: (src, outFeatures, block = 'head') =>
      push((id) => ({ type: 'linear', id, name: `fc${id}`, block, inputs: [src], outShape: { c: outFeatures, h: 1, w: 1 }, inFeatures: shape(src).c * shape(src).h * shape(src).w, outFeatures, bias: true })),
    build: (output = layers.length - 1) => ({ space: 'nb201', dataset: 'test', arch: 'hand-built', input, numClasses: shape(output).c, layers: layers.slice(), output }),
  };
}

/** input -> one conv (+ folded BN): the smallest network that exercises the conv model. */
export function singleConv(cin: number, hw: number, spec: ConvSpec): NetworkIR {
  const b = netBuilder(cin, hw);
  const conv = b.conv(0, spec);
  b.bn(conv);
  return b.build();
}
