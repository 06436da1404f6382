import type { Arch } from '../space/space';
import { FBNET_MACRO, fbnetLayerSlots, fbnetSpace } from '../space/fbnet';
import type { Layer, NetworkIR, Shape } from './types';

/** Names of the conv, BN and ReLU layers of one conv-BN(-ReLU) unit. */
type UnitNames = readonly [conv: string, bn: string, relu: string];

const unitNames = (prefix: string): UnitNames => [`${prefix}.conv`, `${prefix}.bn`, `${prefix}.relu`];

// All layer names are built once here, so building a graph allocates no string.
const LAYER_NAMES = Array.from({ length: FBNET_MACRO.numLayers }, (_, i) => {
  const block = `layer${i}`;
  return {
    block,
    expand: unitNames(`${block}.expand`),
    shuffle: `${block}.shuffle`,
    dw: unitNames(`${block}.dw`),
    project: unitNames(`${block}.project`),
    add: `${block}.add`,
    skip: unitNames(`${block}.skip`),
  };
});
const STEM_NAMES = unitNames('stem');
const HEAD_NAMES = unitNames('head');

// Frozen one-element input lists shared by all graphs (ids past the table allocate).
const SINGLE_INPUT: readonly (readonly number[])[] = Array.from({ length: 512 }, (_, i) => Object.freeze([i]));
const one = (id: number): readonly number[] => (id < SINGLE_INPUT.length ? SINGLE_INPUT[id] : [id]);
const NO_INPUT: readonly number[] = Object.freeze([]);

/**
 * Expands an FBNet architecture (an already validated vector of 22 block indices) into the network
 * HW-NAS-Bench composes for `dataset` (`cifar100` or `ImageNet`), following {@link FBNET_MACRO} and
 * {@link fbnetLayerSlots}:
 *
 * - `stem`: 3x3 conv 3->16 (stride = the dataset's stem stride, pad 1, no bias), BN, ReLU.
 * - `layer{i}` (i = 0..21), block (k, e, g) on a slot (cin, cout, stride s): 1x1 conv cin -> e*cin
 *   (groups g) + BN + ReLU; a channel shuffle if g > 1; kxk depthwise conv (groups e*cin, stride s,
 *   pad k/2) + BN + ReLU; 1x1 conv e*cin -> cout (groups g) + BN; an `add` of that and the block
 *   input when s = 1 and cin = cout. `skip` adds no layer when s = 1 and cin = cout (the block's
 *   output is its input, so `layer{i}` then owns no layer), else it is a 1x1 conv (stride s) + BN +
 *   ReLU.
 * - `head`: 1x1 conv 352 -> head channels + BN + ReLU, global average pool, linear (with bias).
 *
 * `layers[0]` is the input (block `stem`). Graphs share immutable parts: names, one-element
 * `inputs` lists (frozen) and, within a graph, equal `Shape` objects. The caller validates `arch`
 * and `dataset` ({@link buildNetworkIR} does).
 */
export function fbnetNetworkIR(arch: Arch, dataset: string): NetworkIR {
  const macro = FBNET_MACRO;
  const ds = macro.datasets[dataset];
  const slots = fbnetLayerSlots(dataset, macro);
  const layers: Layer[] = [];
  const inShape: Shape = { c: 3, h: ds.inputHw, w: ds.inputHw };
  layers.push({ type: 'input', id: 0, name: 'input', block: 'stem', inputs: NO_INPUT, outShape: inShape });

  let cur = convBn(layers, 'stem', STEM_NAMES, 0, inShape, macro.stemChannels, 3, ds.stemStride, 1, 1, true);

  for (const slot of slots) {
    const names = LAYER_NAMES[slot.layer];
    const block = names.block;
    const b = macro.blocks[arch[slot.layer]];
    const residual = slot.stride === 1 && slot.cin === slot.cout;
    const shape = layers[cur].outShape;
    if (b.kernel === null || b.expansion === null || b.group === null) {
      // `skip`: the identity needs no layer; a shape change needs a projection.
      if (!residual) cur = convBn(layers, block, names.skip, cur, shape, slot.cout, 1, slot.stride, 0, 1, true);
      continue;
    }
    const mid = slot.cin * b.expansion;
    const g = b.group;
    const blockIn = cur;
    cur = convBn(layers, block, names.expand, cur, shape, mid, 1, 1, 0, g, true);
    const midShape = layers[cur].outShape;
    if (g > 1) {
      const id = layers.length;
      layers.push({ type: 'channel_shuffle', id, name: names.shuffle, block, inputs: one(cur), outShape: midShape, groups: g });
      cur = id;
    }
    cur = convBn(layers, block, names.dw, cur, midShape, mid, b.kernel, slot.stride, b.kernel >> 1, mid, true);
    cur = convBn(layers, block, names.project, cur, layers[cur].outShape, slot.cout, 1, 1, 0, g, false);
    if (residual) {
      const id = layers.length;
      layers.push({ type: 'add', id, name: names.add, block, inputs: [cur, blockIn], outShape: layers[cur].outShape });
      cur = id;
    }
  }

  cur = convBn(layers, 'head', HEAD_NAMES, cur, layers[cur].outShape, ds.headChannels, 1, 1, 0, 1, true);
  let id = layers.length;
  layers.push({ type: 'global_avg_pool', id, name: 'head.pool', block: 'head', inputs: one(cur), outShape: { c: ds.headChannels, h: 1, w: 1 } });
  id++;
  layers.push({ type: 'linear', id, name: 'head.fc', block: 'head', inputs: one(id - 1), outShape: { c: ds.numClasses, h: 1, w: 1 }, inFeatures: ds.headChannels, outFeatures: ds.numClasses, bias: true });

  return {
    space: 'fbnet',
    dataset,
    arch: fbnetSpace.format(arch),
    input: inShape,
    numClasses: ds.numClasses,
    layers,
    output: id,
  };
}

/**
 * Appends a conv (no bias, square input `inShape`) after layer `src`, its BN and, if `relu`, a ReLU;
 * returns the id of the last one.
 */
function convBn(
  layers: Layer[],
  block: string,
  names: UnitNames,
  src: number,
  inShape: Shape,
  cout: number,
  kernel: number,
  stride: number,
  padding: number,
  groups: number,
  relu: boolean,
): number {
  const hw = Math.floor((inShape.h + 2 * padding - kernel) / stride) + 1;
  const out: Shape = hw === inShape.h && cout === inShape.c ? inShape : { c: cout, h: hw, w: hw };
  let id = layers.length;
  layers.push({ type: 'conv', id, name: names[0], block, inputs: one(src), outShape: out, cin: inShape.c, cout, kernel, stride, padding, groups, bias: false });
  id++;
  layers.push({ type: 'bn', id, name: names[1], block, inputs: one(id - 1), outShape: out, channels: cout });
  if (relu) {
    id++;
    layers.push({ type: 'relu', id, name: names[2], block, inputs: one(id - 1), outShape: out });
  }
  return id;
}
