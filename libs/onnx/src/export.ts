import { InvalidArgumentError, Rng } from '@hwnas/bench-core';
import type { Layer, NetworkIR } from '@hwnas/bench-core';
import { onnx } from 'onnx-proto';

/** ONNX opset the exporter targets (ReduceMean still takes `axes` as an attribute here). */
export const ONNX_OPSET = 13;
/** ONNX IR version written into every model (IR 7 is what opset 13 shipped with). */
export const ONNX_IR_VERSION = 7;

/** Name of the graph input: float32 `[batch, c, h, w]`. */
export const INPUT_NAME = 'input';
/** Name of the logits output: float32 `[batch, numClasses]`. */
export const LOGITS_NAME = 'logits';

/**
 * Which tensors the exported graph outputs:
 * - `logits`: only {@link LOGITS_NAME}.
 * - `logits+relu-codes`: also, for every IR `relu` layer with id `i`, `relu_code_<i>`, a bool
 *   tensor shaped like the ReLU output that is true where the unit is active (pre-activation > 0).
 *   Large (batch x units bytes); meant for tests and small graphs.
 * - `logits+relu-gram`: also, for every `relu` layer `i`, `relu_gram_<i>`: float32 `[batch, batch]`,
 *   `G[a][b]` = the number of units of that layer active for both input a and input b (the Gram
 *   matrix of the binary codes, computed inside the runtime). Counts are exact integers while a
 *   layer has fewer than 2^24 units per input. This is what `naswotScore` reads.
 */
export type ExportOutputs = 'logits' | 'logits+relu-codes' | 'logits+relu-gram';

/**
 * How batch normalization is exported:
 * - `inference`: `BatchNormalization` with running mean 0, variance 1, eps 1e-5 and a seeded
 *   random-but-sane affine (scale in [0.75, 1.25), shift N(0, 0.05^2)): a deployable graph that
 *   ONNX Runtime folds into the preceding conv.
 * - `batch-stats`: normalizes with the statistics of the current batch (biased variance, eps 1e-5)
 *   and the identity affine, i.e. what a freshly initialized PyTorch network computes in training
 *   mode. NASWOT's reference implementation scores networks that way.
 */
export type BatchNormMode = 'inference' | 'batch-stats';

/** Options of {@link exportOnnx}. */
export interface ExportOptions {
  /** Seed of every random weight. Same IR + same options -> byte-identical model. */
  readonly seed: number;
  /** Fixed batch size of the input and of every tensor (default 1). */
  readonly batch?: number;
  /** Extra outputs (default `'logits'`). */
  readonly outputs?: ExportOutputs;
  /** Batch-norm semantics (default `'inference'`). */
  readonly bn?: BatchNormMode;
}

// ONNX's enum numbers (onnx.proto: TensorProto.DataType, AttributeProto.AttributeType), written
// out rather than read from onnx-proto at import time, so that importing this module does not load
// that large generated module: most hwnas commands never export a model.
const FLOAT = 1 as onnx.TensorProto.DataType.FLOAT;
const INT64 = 7 as onnx.TensorProto.DataType.INT64;
const BOOL = 9 as onnx.TensorProto.DataType.BOOL;
const A = { FLOAT: 1, INT: 2, INTS: 7 } as { readonly FLOAT: onnx.AttributeProto.AttributeType.FLOAT; readonly INT: onnx.AttributeProto.AttributeType.INT; readonly INTS: onnx.AttributeProto.AttributeType.INTS };
const BN_EPS = 1e-5;
// Module-level bindings: under Jest's vm sandbox every global lookup (`Math`) is slow, and the
// weight loop makes millions of them.
const { sqrt, log, cos, sin, PI } = Math;

/**
 * Serializes `ir` as an ONNX `ModelProto` (opset {@link ONNX_OPSET}, IR version
 * {@link ONNX_IR_VERSION}) with random float32 weights, ready for `InferenceSession.create`.
 *
 * Layer mapping: conv -> Conv (pads, strides, group; He-normal weights, zero bias if the IR has
 * one), bn -> BatchNormalization (or batch statistics, see {@link BatchNormMode}), relu -> Relu,
 * avg_pool -> AveragePool (count_include_pad), max_pool -> MaxPool, global_avg_pool ->
 * GlobalAveragePool, add -> Sum, concat -> Concat(axis 1), linear -> Flatten + Gemm(transB), with
 * He-normal weights and zero bias, channel_shuffle -> Reshape/Transpose/Reshape, zero -> Mul by a 0
 * scalar. The graph computes exactly the IR's layers; it folds nothing itself.
 *
 * Weights are drawn per layer from an {@link Rng} seeded by `(seed, layer name)`, so two IRs that
 * share a layer name and shape share its weights. Pure and deterministic; the returned bytes are
 * owned by the caller. Throws {@link InvalidArgumentError} for a malformed IR or options.
 */
export function exportOnnx(ir: NetworkIR, opts: ExportOptions): Uint8Array {
  return onnx.ModelProto.encode(buildModel(ir, opts)).finish();
}

/** The `ModelProto` {@link exportOnnx} serializes (for inspection and tests). */
export function buildModel(ir: NetworkIR, opts: ExportOptions): onnx.IModelProto {
  const batch = opts.batch ?? 1;
  const outputs = opts.outputs ?? 'logits';
  const bnMode = opts.bn ?? 'inference';
  if (!Number.isInteger(batch) || batch < 1) throw new InvalidArgumentError(`exportOnnx: batch must be a positive integer, got ${batch}`);
  if (!Number.isFinite(opts.seed)) throw new InvalidArgumentError(`exportOnnx: seed must be a finite number, got ${opts.seed}`);
  if (!(ir.output > 0 && ir.output < ir.layers.length)) throw new InvalidArgumentError(`exportOnnx: output layer ${ir.output} is not a layer of the graph`);
  const o = ir.layers[ir.output].outShape;
  if (o.c * o.h * o.w !== ir.numClasses) throw new InvalidArgumentError(`exportOnnx: output layer ${ir.output} has ${o.c}x${o.h}x${o.w} values, not numClasses = ${ir.numClasses}`);
  const g = new GraphBuilder();
  const names: string[] = [];
  // Rank of each layer's output tensor: 4 for feature maps, 2 after a linear layer.
  const ranks: number[] = [];
  const reluIds: number[] = [];

  const inputShape = [batch, ir.input.c, ir.input.h, ir.input.w];
  for (const layer of ir.layers) {
    if (layer.id !== names.length) throw new InvalidArgumentError(`exportOnnx: layer "${layer.name}" has id ${layer.id} at position ${names.length}`);
    if ((layer.type === 'input') !== (layer.id === 0) || (layer.id > 0 && layer.inputs.length === 0)) {
      throw new InvalidArgumentError(`exportOnnx: layer "${layer.name}": the input must be layer 0, the only layer without inputs`);
    }
    for (const i of layer.inputs) {
      if (!(i >= 0 && i < layer.id)) throw new InvalidArgumentError(`exportOnnx: layer "${layer.name}" reads layer ${i}, which does not precede it`);
    }
    const inRank = layer.inputs.length ? ranks[layer.inputs[0]] : 4;
    const rank = layer.type === 'linear' ? 2 : inRank;
    // The logits layer writes `logits` directly unless it still needs flattening (see below).
    const out = layer.type === 'input' ? INPUT_NAME : layer.id === ir.output && rank === 2 ? LOGITS_NAME : `t${layer.id}`;
    const ins = layer.inputs.map((i) => names[i]);
    names.push(out);
    ranks.push(rank);
    const rng = layerRng(opts.seed, layer.name);
    emitLayer(g, layer, ins, out, inRank, batch, bnMode, rng);
    if (layer.type === 'relu') reluIds.push(layer.id);
  }
  // Logits must be [batch, numClasses] even if the IR ends in a c x 1 x 1 feature map.
  if (ranks[ir.output] !== 2) g.node('Flatten', [names[ir.output]], [LOGITS_NAME], [intAttr('axis', 1)]);

  const graphOutputs: onnx.IValueInfoProto[] = [valueInfo(LOGITS_NAME, FLOAT, [batch, ir.numClasses])];
  for (const id of reluIds) {
    const relu = names[id];
    const s = ir.layers[id].outShape;
    const shape = ranks[id] === 2 ? [batch, s.c] : [batch, s.c, s.h, s.w];
    if (outputs === 'logits+relu-codes') {
      const code = `relu_code_${id}`;
      g.node('Greater', [relu, g.scalar(0)], [code]);
      graphOutputs.push(valueInfo(code, BOOL, shape));
    } else if (outputs === 'logits+relu-gram') {
      const active = `${relu}_active`;
      const flat = `${relu}_active_flat`;
      const gram = `relu_gram_${id}`;
      g.node('Greater', [relu, g.scalar(0)], [`${relu}_gt`]);
      g.node('Cast', [`${relu}_gt`], [active], [intAttr('to', FLOAT)]);
      g.node('Flatten', [active], [flat], [intAttr('axis', 1)]);
      g.node('Gemm', [flat, flat], [gram], [intAttr('transB', 1)]);
      graphOutputs.push(valueInfo(gram, FLOAT, [batch, batch]));
    }
  }

  return {
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: '@hwnas/onnx',
    producerVersion: '0.1.0',
    graph: {
      name: `${ir.space}-${ir.dataset}`,
      docString: ir.arch,
      node: g.nodes,
      initializer: g.initializers,
      input: [valueInfo(INPUT_NAME, FLOAT, inputShape)],
      output: graphOutputs,
    },
  };
}

function emitLayer(g: GraphBuilder, layer: Layer, ins: readonly string[], out: string, inRank: number, batch: number, bnMode: BatchNormMode, rng: Rng): void {
  const p = out;
  switch (layer.type) {
    case 'input':
      return;
    case 'conv': {
      if (layer.cin % layer.groups !== 0 || layer.cout % layer.groups !== 0) {
        throw new InvalidArgumentError(`exportOnnx: conv "${layer.name}" has ${layer.cin}->${layer.cout} channels, not divisible by ${layer.groups} groups`);
      }
      const fanIn = (layer.cin / layer.groups) * layer.kernel * layer.kernel;
      const w = g.init(`${p}.weight`, [layer.cout, layer.cin / layer.groups, layer.kernel, layer.kernel], heNormal(rng, layer.cout * fanIn, fanIn));
      const inputs = [ins[0], w];
      if (layer.bias) inputs.push(g.init(`${p}.bias`, [layer.cout], new Float32Array(layer.cout)));
      const pd = layer.padding;
      g.node('Conv', inputs, [out], [
        intsAttr('kernel_shape', [layer.kernel, layer.kernel]),
        intsAttr('strides', [layer.stride, layer.stride]),
        intsAttr('pads', [pd, pd, pd, pd]),
        intAttr('group', layer.groups),
      ]);
      return;
    }
    case 'bn': {
      const c = layer.channels;
      if (bnMode === 'inference') {
        const scale = new Float32Array(c);
        const shift = new Float32Array(c);
        for (let i = 0; i < c; i++) scale[i] = 0.75 + 0.5 * rng.next();
        for (let i = 0; i < c; i++) shift[i] = 0.05 * rng.normal();
        g.node(
          'BatchNormalization',
          [ins[0], g.init(`${p}.scale`, [c], scale), g.init(`${p}.shift`, [c], shift), g.init(`${p}.mean`, [c], new Float32Array(c)), g.init(`${p}.var`, [c], new Float32Array(c).fill(1))],
          [out],
          [floatAttr('epsilon', BN_EPS)],
        );
      } else {
        const axes = inRank === 2 ? [0] : [0, 2, 3];
        g.node('ReduceMean', [ins[0]], [`${p}.mu`], [intsAttr('axes', axes), intAttr('keepdims', 1)]);
        g.node('Sub', [ins[0], `${p}.mu`], [`${p}.d`]);
        g.node('Mul', [`${p}.d`, `${p}.d`], [`${p}.d2`]);
        g.node('ReduceMean', [`${p}.d2`], [`${p}.var`], [intsAttr('axes', axes), intAttr('keepdims', 1)]);
        g.node('Add', [`${p}.var`, g.scalar(BN_EPS)], [`${p}.var_eps`]);
        g.node('Sqrt', [`${p}.var_eps`], [`${p}.std`]);
        g.node('Div', [`${p}.d`, `${p}.std`], [out]);
      }
      return;
    }
    case 'relu':
      g.node('Relu', [ins[0]], [out]);
      return;
    case 'avg_pool':
    case 'max_pool': {
      const pd = layer.padding;
      const attrs = [intsAttr('kernel_shape', [layer.kernel, layer.kernel]), intsAttr('strides', [layer.stride, layer.stride]), intsAttr('pads', [pd, pd, pd, pd])];
      if (layer.type === 'avg_pool') attrs.push(intAttr('count_include_pad', layer.countIncludePad ? 1 : 0));
      g.node(layer.type === 'avg_pool' ? 'AveragePool' : 'MaxPool', [ins[0]], [out], attrs);
      return;
    }
    case 'global_avg_pool':
      g.node('GlobalAveragePool', [ins[0]], [out]);
      return;
    case 'add':
      if (ins.length < 1) throw new InvalidArgumentError(`exportOnnx: add "${layer.name}" has no inputs`);
      g.node(ins.length === 1 ? 'Identity' : 'Sum', ins, [out]);
      return;
    case 'concat':
      g.node('Concat', ins, [out], [intAttr('axis', 1)]);
      return;
    case 'linear': {
      let x = ins[0];
      if (inRank !== 2) {
        x = `${p}.flat`;
        g.node('Flatten', [ins[0]], [x], [intAttr('axis', 1)]);
      }
      const w = g.init(`${p}.weight`, [layer.outFeatures, layer.inFeatures], heNormal(rng, layer.outFeatures * layer.inFeatures, layer.inFeatures));
      const inputs = [x, w];
      if (layer.bias) inputs.push(g.init(`${p}.bias`, [layer.outFeatures], new Float32Array(layer.outFeatures)));
      g.node('Gemm', inputs, [out], [intAttr('transB', 1)]);
      return;
    }
    case 'channel_shuffle': {
      const { c, h, w } = layer.outShape;
      const k = layer.groups;
      if (c % k !== 0) throw new InvalidArgumentError(`exportOnnx: channel_shuffle "${layer.name}" has ${c} channels, not divisible by ${k} groups`);
      g.node('Reshape', [ins[0], g.int64s(`${p}.shape5`, [batch, k, c / k, h, w])], [`${p}.r`]);
      g.node('Transpose', [`${p}.r`], [`${p}.t`], [intsAttr('perm', [0, 2, 1, 3, 4])]);
      g.node('Reshape', [`${p}.t`, g.int64s(`${p}.shape4`, [batch, c, h, w])], [out]);
      return;
    }
    case 'zero':
      g.node('Mul', [ins[0], g.scalar(0)], [out]);
      return;
    default: {
      const never: never = layer;
      throw new InvalidArgumentError(`exportOnnx: unsupported layer type ${(never as Layer).type}`);
    }
  }
}

/** Collects nodes and initializers; names stay unique because layer tensor names are. */
class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  private readonly scalars = new Map<number, string>();

  node(opType: string, input: readonly string[], output: readonly string[], attribute: onnx.IAttributeProto[] = []): void {
    this.nodes.push({ opType, input: [...input], output: [...output], attribute, name: `${opType}_${this.nodes.length}` });
  }

  init(name: string, dims: number[], data: Float32Array): string {
    this.initializers.push({ name, dims, dataType: FLOAT, rawData: toBytes(data) });
    return name;
  }

  int64s(name: string, values: number[]): string {
    this.initializers.push({ name, dims: [values.length], dataType: INT64, int64Data: values });
    return name;
  }

  /** A shared float32 scalar constant. */
  scalar(value: number): string {
    let name = this.scalars.get(value);
    if (name === undefined) {
      name = `const_${this.scalars.size}`;
      this.scalars.set(value, name);
      this.initializers.push({ name, dims: [], dataType: FLOAT, floatData: [value] });
    }
    return name;
  }
}

function toBytes(data: Float32Array): Uint8Array {
  // ONNX raw_data is little-endian, like every platform ONNX Runtime ships for.
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** He-normal (Kaiming, fan-in, gain sqrt 2) weights, both Box-Muller outputs used. */
function heNormal(rng: Rng, n: number, fanIn: number): Float32Array {
  const std = sqrt(2 / fanIn);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = std * sqrt(-2 * log(1 - rng.next()));
    const t = 2 * PI * rng.next();
    out[i] = r * cos(t);
    if (i + 1 < n) out[i + 1] = r * sin(t);
  }
  return out;
}

/** An Rng for one layer: FNV-1a of the layer name mixed with the seed. */
function layerRng(seed: number, name: string): Rng {
  let h = 0x811c9dc5 ^ (Math.trunc(seed) >>> 0);
  h = Math.imul(h, 0x01000193) >>> 0;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // Fold in the high bits of large seeds too.
  h = (h ^ Math.trunc(seed / 4294967296)) >>> 0;
  return new Rng(h);
}

function valueInfo(name: string, elemType: number, dims: number[]): onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } };
}

function intAttr(name: string, i: number): onnx.IAttributeProto {
  return { name, type: A.INT, i };
}

function intsAttr(name: string, ints: number[]): onnx.IAttributeProto {
  return { name, type: A.INTS, ints };
}

function floatAttr(name: string, f: number): onnx.IAttributeProto {
  return { name, type: A.FLOAT, f };
}
