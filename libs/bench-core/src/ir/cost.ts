import type { Layer, NetworkIR } from './types';

/** Multiply-accumulates and parameters of one layer (or a sum of layers), at batch size 1. */
export interface LayerCost {
  /** Multiply-accumulate operations (what NAS-Bench-201 and FBNet call FLOPs). */
  readonly macs: number;
  /** Trainable parameters (weights, biases, BN scale and shift); not BN running statistics. */
  readonly params: number;
}

/** The cost of a whole network and its breakdown by `Layer.block`. */
export interface NetworkCost {
  readonly macs: number;
  readonly params: number;
  /**
   * Cost per block name, over the blocks that own at least one layer, in first-appearance order.
   * A block that expands to no layer (an identity FBNet `skip`, an NB201 cell made only of
   * `skip_connect`/`none` with at most one input per node) does not appear; it costs nothing.
   */
  readonly perBlock: Readonly<Record<string, LayerCost>>;
}

/*
 * Counting convention: NAS-Bench-201's (`get_model_infos` in D-X-Y's flop_benchmark.py), which
 * sums FLOPs over nn.Conv2d and nn.Linear modules only and counts parameters as
 * sum(p.numel() for p in model.parameters()) / 1e6 ("MB").
 *
 * - conv: macs = cout * (cin / groups) * k * k * outH * outW; params = cout * (cin / groups) * k * k
 *   (+ cout if it has a bias).
 * - linear: macs = in * out; params = in * out (+ out if it has a bias). NAS-Bench-201's counter
 *   also adds `out` FLOPs for the bias; we count multiply-accumulates only, so by its code our NB201
 *   totals are numClasses (10/100/120) below its raw value (7.783040 vs 7.783050 M at the all-`none`
 *   CIFAR-10 end), invisible at the precision the range is quoted with.
 * - bn: no macs (foldable into the preceding conv); params = 2 * channels (affine weight and bias).
 *   BN must be counted to reproduce NAS-Bench-201's params: the all-`nor_conv_3x3` cell on
 *   CIFAR-10 has 1,531,546 parameters with BN (printed as 1.53 MB) but 1,524,282 without (1.52);
 *   the all-`none` cell has 73,306 with BN (0.073) and 72,762 without.
 * - pooling, ReLU, add, channel shuffle, zero, input: nothing. (NAS-Bench-201 hooks pooling layers
 *   but leaves them out of the total. Counting them would add 24,576 on CIFAR-10 for the two
 *   reduction shortcuts' 2x2 pools alone, moving the ends to 7.81 and 220.14 M.)
 */
function convMacs(cin: number, cout: number, kernel: number, groups: number, outH: number, outW: number): number {
  return cout * (cin / groups) * kernel * kernel * outH * outW;
}

function layerMacs(layer: Layer): number {
  switch (layer.type) {
    case 'conv':
      return convMacs(layer.cin, layer.cout, layer.kernel, layer.groups, layer.outShape.h, layer.outShape.w);
    case 'linear':
      return layer.inFeatures * layer.outFeatures;
    default:
      return 0;
  }
}

function layerParams(layer: Layer): number {
  switch (layer.type) {
    case 'conv':
      return layer.cout * (layer.cin / layer.groups) * layer.kernel * layer.kernel + (layer.bias ? layer.cout : 0);
    case 'bn':
      return 2 * layer.channels;
    case 'linear':
      return layer.inFeatures * layer.outFeatures + (layer.bias ? layer.outFeatures : 0);
    default:
      return 0;
  }
}

/**
 * The multiply-accumulates and parameters of one layer of `_ir`, by the convention above: MACs of
 * convolutions and linear layers only; parameters of convolutions, linear layers and BN (2 per
 * channel). Every current layer type is costed from the layer alone; the graph is taken so types
 * whose cost depends on their input's shape can be added without an API change. Returns a new object.
 */
export function layerCost(_ir: NetworkIR, layer: Layer): LayerCost {
  return { macs: layerMacs(layer), params: layerParams(layer) };
}

/**
 * Total multiply-accumulates and parameters of `ir`, and their split by block. Every layer is
 * counted, including those whose result does not reach the output (NAS-Bench-201 runs and counts
 * them). For NAS-Bench-201 on CIFAR-10 this gives 7,783,040 MACs / 73,306 params (all-`none` cell)
 * up to 220,119,680 MACs / 1,531,546 params (all-`nor_conv_3x3`), i.e. NAS-Bench-201's 7.78-220.1
 * MFLOPs and 0.073-1.53 MB. Pure; the result is a new object.
 */
export function networkCost(ir: NetworkIR): NetworkCost {
  const perBlock: Record<string, { macs: number; params: number }> = {};
  let macs = 0;
  let params = 0;
  let block = '';
  let acc: { macs: number; params: number } | undefined;
  const layers = ir.layers;
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i];
    // Blocks are contiguous in the built graphs, so the record is only consulted on a change.
    if (acc === undefined || layer.block !== block) {
      block = layer.block;
      acc = perBlock[block];
      if (acc === undefined) perBlock[block] = acc = { macs: 0, params: 0 };
    }
    const m = layerMacs(layer);
    const p = layerParams(layer);
    acc.macs += m;
    acc.params += p;
    macs += m;
    params += p;
  }
  return { macs, params, perBlock };
}
