import type { SpaceId } from '../space/space';

/** A feature-map shape at batch size 1: channels x height x width. Linear outputs use h = w = 1. */
export interface Shape {
  readonly c: number;
  readonly h: number;
  readonly w: number;
}

/** Fields every IR layer has. */
interface LayerCommon {
  /** Position in `NetworkIR.layers`; layers are in topological order, so inputs have smaller ids. */
  readonly id: number;
  /** Human-readable unique name, e.g. `stage1.cell2.edge1->3.conv`. */
  readonly name: string;
  /**
   * The architectural unit the layer belongs to (`stem`, `stage0.cell3`, `layer7`, `head`, ...).
   * Per-block cost breakdowns and pipelined accelerators group by it.
   */
  readonly block: string;
  /** Ids of the layers whose outputs this layer consumes (empty only for `input`). */
  readonly inputs: readonly number[];
  /** Output shape. The input shape of a layer is the `outShape` of `inputs[0]`. */
  readonly outShape: Shape;
}

/** The network input tensor. */
export interface InputLayer extends LayerCommon {
  readonly type: 'input';
}

/**
 * 2-D convolution. `groups === cin === cout` is a depthwise conv; `1 < groups < cin` a group conv;
 * `kernel === 1` a pointwise conv. Padding is symmetric.
 */
export interface ConvLayer extends LayerCommon {
  readonly type: 'conv';
  readonly cin: number;
  readonly cout: number;
  readonly kernel: number;
  readonly stride: number;
  readonly padding: number;
  readonly groups: number;
  readonly bias: boolean;
}

/** Batch normalization (inference: a per-channel scale and shift), affine. */
export interface BatchNormLayer extends LayerCommon {
  readonly type: 'bn';
  readonly channels: number;
}

/** ReLU activation. */
export interface ReluLayer extends LayerCommon {
  readonly type: 'relu';
}

/** Average or max pooling over a kernel x kernel window. */
export interface PoolLayer extends LayerCommon {
  readonly type: 'avg_pool' | 'max_pool';
  readonly kernel: number;
  readonly stride: number;
  readonly padding: number;
  /** For average pooling: whether padded zeros count in the divisor (NAS-Bench-201 uses false). */
  readonly countIncludePad: boolean;
}

/** Global average pooling to c x 1 x 1. */
export interface GlobalAvgPoolLayer extends LayerCommon {
  readonly type: 'global_avg_pool';
}

/** Element-wise sum of two or more same-shaped inputs. */
export interface AddLayer extends LayerCommon {
  readonly type: 'add';
}

/** Channel concatenation of its inputs (same h, w). */
export interface ConcatLayer extends LayerCommon {
  readonly type: 'concat';
}

/** Fully connected layer on a flattened c x 1 x 1 input. */
export interface LinearLayer extends LayerCommon {
  readonly type: 'linear';
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly bias: boolean;
}

/** ShuffleNet channel shuffle with `groups` groups (shape unchanged). */
export interface ChannelShuffleLayer extends LayerCommon {
  readonly type: 'channel_shuffle';
  readonly groups: number;
}

/**
 * A tensor of zeros shaped like its single input: what a NAS-Bench-201 node computes when every
 * edge into it is `none`. It keeps the graph connected; it costs nothing.
 */
export interface ZeroLayer extends LayerCommon {
  readonly type: 'zero';
}

/** One layer of a {@link NetworkIR}. */
export type Layer =
  | InputLayer
  | ConvLayer
  | BatchNormLayer
  | ReluLayer
  | PoolLayer
  | GlobalAvgPoolLayer
  | AddLayer
  | ConcatLayer
  | LinearLayer
  | ChannelShuffleLayer
  | ZeroLayer;

/** The kinds of layer, for exhaustive switches. */
export type LayerType = Layer['type'];

/**
 * An architecture expanded into an explicit graph of layers for one dataset, at batch size 1.
 * It is the single description that FLOPs/params counting, the cost simulators and the ONNX
 * exporter all read. Layers are topologically ordered; `layers[0]` is the input and `output` is
 * the id of the layer producing the logits. Treat as frozen.
 */
export interface NetworkIR {
  readonly space: SpaceId;
  readonly dataset: string;
  /** Canonical arch string of the architecture this graph was built from. */
  readonly arch: string;
  readonly input: Shape;
  readonly numClasses: number;
  readonly layers: readonly Layer[];
  readonly output: number;
}
