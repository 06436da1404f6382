import type { Arch, DatasetSpec } from '../space/space';
import { NB201_EDGES, nb201Space } from '../space/nb201';
import type { Layer, NetworkIR, Shape } from './types';

/** Channels of the first stage of NAS-Bench-201's `TinyNetwork` (doubled by each reduction block). */
const NB201_C = 16;
/** Cells per stage of `TinyNetwork`. */
const NB201_N = 5;
/** Number of cell stages (separated by the two ResNet reduction blocks). */
const NB201_STAGES = 3;

// Option indices of NB201_OPS, spelled out so the hot loop compares small integers.
const OP_NONE = 0;
const OP_SKIP = 1;
const OP_CONV1 = 2;
const OP_CONV3 = 3;

/** For each cell node j (1..3), the positions in the op vector of the edges that end in j. */
const EDGES_INTO: readonly (readonly number[])[] = [1, 2, 3].map((j) =>
  NB201_EDGES.flatMap(([, to], k) => (to === j ? [k] : [])),
);

/** Layer names of one cell position; they depend only on the position, never on the cell. */
interface CellNames {
  readonly block: string;
  /** Per op-vector position k: [relu, conv, bn, pool] names of edge k. */
  readonly edge: readonly (readonly [string, string, string, string])[];
  /** Per node j = 1..3 (index j - 1): the name of its `zero` and of its `add` layer. */
  readonly zero: readonly string[];
  readonly add: readonly string[];
}

// Every name of every graph is one of these shared strings, so building a graph allocates no
// string (the simulators build all 15625 of them, and names would otherwise be half the garbage).
const CELL_NAMES: readonly CellNames[] = Array.from({ length: NB201_STAGES * NB201_N }, (_, c) => {
  const block = `stage${Math.floor(c / NB201_N)}.cell${c % NB201_N}`;
  return {
    block,
    edge: NB201_EDGES.map(([from, to]) => {
      const p = `${block}.edge${from}->${to}`;
      return [`${p}.relu`, `${p}.conv`, `${p}.bn`, `${p}.pool`] as const;
    }),
    zero: [1, 2, 3].map((j) => `${block}.node${j}.zero`),
    add: [1, 2, 3].map((j) => `${block}.node${j}.add`),
  };
});

const REDUCTION_NAMES = Array.from({ length: NB201_STAGES - 1 }, (_, r) => {
  const block = `reduction${r}`;
  const n = (suffix: string) => `${block}.${suffix}`;
  return {
    block,
    reluA: n('conv_a.relu'), convA: n('conv_a.conv'), bnA: n('conv_a.bn'),
    reluB: n('conv_b.relu'), convB: n('conv_b.conv'), bnB: n('conv_b.bn'),
    pool: n('shortcut.pool'), conv: n('shortcut.conv'), add: n('add'),
  };
});

// Frozen one-element input lists shared by all graphs (ids past the table allocate).
const SINGLE_INPUT: readonly (readonly number[])[] = Array.from({ length: 512 }, (_, i) => Object.freeze([i]));
const one = (id: number): readonly number[] => (id < SINGLE_INPUT.length ? SINGLE_INPUT[id] : [id]);
const NO_INPUT: readonly number[] = Object.freeze([]);

/**
 * Expands a NAS-Bench-201 cell (an already validated op vector) into the full `TinyNetwork`
 * (C=16, N=5) graph for `dataset`:
 *
 * - `stem`: 3x3 conv 3->16 (pad 1, no bias), BN.
 * - `stage{s}.cell{i}` (s = 0..2, i = 0..4): the cell at 16/32/64 channels. Node j is the sum of its
 *   incoming edges; `nor_conv_kxk` is ReLU -> conv(k, stride 1, same padding, no bias) -> BN,
 *   `avg_pool_3x3` a 3x3/1 average pool (pad 1, padded zeros not counted), `skip_connect` adds no
 *   layer (the node refers to its source's layer) and `none` is dropped. A node with one non-`none`
 *   edge is that edge's output; with several, one `add` layer; with none, a `zero` layer fed from
 *   the cell input. Every non-`none` edge is kept, also when its result cannot reach the cell output
 *   or its source is a zero node: NAS-Bench-201 executes (and counts) them too.
 * - `reduction{r}` (r = 0, 1): ResNet basic block, stride 2, doubling the channels: ReLU -> 3x3 conv
 *   s2 -> BN, ReLU -> 3x3 conv -> BN, plus the shortcut 2x2/2 average pool -> 1x1 conv (no BN), then
 *   `add` (no activation after the sum).
 * - `head`: BN -> ReLU -> global average pool -> linear (with bias) to the class count.
 *
 * `layers[0]` is the input (block `stem`). To keep building all 15625 graphs cheap, graphs share
 * immutable parts: names, one-element `inputs` lists (frozen) and, within a graph, `Shape` objects.
 * The caller validates `arch` and `dataset` ({@link buildNetworkIR} does).
 */
export function nb201NetworkIR(arch: Arch, dataset: DatasetSpec): NetworkIR {
  const layers: Layer[] = [];
  let hw = dataset.inputHw;
  const inShape: Shape = { c: dataset.inputChannels, h: hw, w: hw };
  layers.push({ type: 'input', id: 0, name: 'input', block: 'stem', inputs: NO_INPUT, outShape: inShape });

  let shape: Shape = { c: NB201_C, h: hw, w: hw };
  layers.push({ type: 'conv', id: 1, name: 'stem.conv', block: 'stem', inputs: one(0), outShape: shape, cin: inShape.c, cout: NB201_C, kernel: 3, stride: 1, padding: 1, groups: 1, bias: false });
  layers.push({ type: 'bn', id: 2, name: 'stem.bn', block: 'stem', inputs: one(1), outShape: shape, channels: NB201_C });
  let cur = 2;

  for (let s = 0; s < NB201_STAGES; s++) {
    if (s > 0) {
      hw = convOut(hw, 3, 2, 1);
      const next: Shape = { c: shape.c * 2, h: hw, w: hw };
      cur = reductionBlock(layers, REDUCTION_NAMES[s - 1], cur, shape, next);
      shape = next;
    }
    for (let i = 0; i < NB201_N; i++) cur = cell(layers, CELL_NAMES[s * NB201_N + i], arch, cur, shape);
  }

  const c = shape.c;
  let id = layers.length;
  layers.push({ type: 'bn', id, name: 'head.bn', block: 'head', inputs: one(cur), outShape: shape, channels: c });
  id++;
  layers.push({ type: 'relu', id, name: 'head.relu', block: 'head', inputs: one(id - 1), outShape: shape });
  id++;
  layers.push({ type: 'global_avg_pool', id, name: 'head.pool', block: 'head', inputs: one(id - 1), outShape: { c, h: 1, w: 1 } });
  id++;
  const logits: Shape = { c: dataset.numClasses, h: 1, w: 1 };
  layers.push({ type: 'linear', id, name: 'head.fc', block: 'head', inputs: one(id - 1), outShape: logits, inFeatures: c, outFeatures: dataset.numClasses, bias: true });

  return {
    space: 'nb201',
    dataset: dataset.name,
    arch: nb201Space.format(arch),
    input: inShape,
    numClasses: dataset.numClasses,
    layers,
    output: id,
  };
}

/** Output size of a convolution or pooling window along one axis. */
function convOut(size: number, kernel: number, stride: number, padding: number): number {
  return Math.floor((size + 2 * padding - kernel) / stride) + 1;
}

/** Appends one NB201 cell after layer `cellIn` (shape `shape`) and returns the id of its node 3. */
function cell(layers: Layer[], names: CellNames, arch: Arch, cellIn: number, shape: Shape): number {
  const block = names.block;
  const c = shape.c;
  // Layer id holding the value of nodes 1 and 2 (node 0 is the cell input).
  let n1 = cellIn;
  let n2 = cellIn;
  let node = cellIn;
  for (let j = 1; j <= 3; j++) {
    const edges = EDGES_INTO[j - 1];
    let first = -1;
    let ins: number[] | null = null;
    for (let e = 0; e < edges.length; e++) {
      const k = edges[e];
      const op = arch[k];
      if (op === OP_NONE) continue;
      // Edges into node j come from nodes 0..j-1 in order, so e is the source node.
      const src = e === 0 ? cellIn : e === 1 ? n1 : n2;
      let out = src;
      if (op !== OP_SKIP) {
        const en = names.edge[k];
        out = layers.length;
        if (op === OP_CONV1 || op === OP_CONV3) {
          const kernel = op === OP_CONV1 ? 1 : 3;
          layers.push({ type: 'relu', id: out, name: en[0], block, inputs: one(src), outShape: shape });
          out++;
          layers.push({ type: 'conv', id: out, name: en[1], block, inputs: one(out - 1), outShape: shape, cin: c, cout: c, kernel, stride: 1, padding: kernel >> 1, groups: 1, bias: false });
          out++;
          layers.push({ type: 'bn', id: out, name: en[2], block, inputs: one(out - 1), outShape: shape, channels: c });
        } else {
          layers.push({ type: 'avg_pool', id: out, name: en[3], block, inputs: one(src), outShape: shape, kernel: 3, stride: 1, padding: 1, countIncludePad: false });
        }
      }
      if (first < 0) first = out;
      else if (ins === null) ins = [first, out];
      else ins.push(out);
    }
    if (first < 0) {
      node = layers.length;
      layers.push({ type: 'zero', id: node, name: names.zero[j - 1], block, inputs: one(cellIn), outShape: shape });
    } else if (ins === null) {
      node = first;
    } else {
      node = layers.length;
      layers.push({ type: 'add', id: node, name: names.add[j - 1], block, inputs: ins, outShape: shape });
    }
    if (j === 1) n1 = node;
    else if (j === 2) n2 = node;
  }
  return node;
}

/** Appends NAS-Bench-201's stride-2 ResNet basic block and returns the id of its output `add`. */
function reductionBlock(layers: Layer[], names: (typeof REDUCTION_NAMES)[number], src: number, inShape: Shape, out: Shape): number {
  const block = names.block;
  const cin = inShape.c;
  const cout = out.c;
  let id = layers.length;
  layers.push({ type: 'relu', id, name: names.reluA, block, inputs: one(src), outShape: inShape });
  id++;
  layers.push({ type: 'conv', id, name: names.convA, block, inputs: one(id - 1), outShape: out, cin, cout, kernel: 3, stride: 2, padding: 1, groups: 1, bias: false });
  id++;
  layers.push({ type: 'bn', id, name: names.bnA, block, inputs: one(id - 1), outShape: out, channels: cout });
  id++;
  layers.push({ type: 'relu', id, name: names.reluB, block, inputs: one(id - 1), outShape: out });
  id++;
  layers.push({ type: 'conv', id, name: names.convB, block, inputs: one(id - 1), outShape: out, cin: cout, cout, kernel: 3, stride: 1, padding: 1, groups: 1, bias: false });
  id++;
  layers.push({ type: 'bn', id, name: names.bnB, block, inputs: one(id - 1), outShape: out, channels: cout });
  const main = id;
  id++;
  // nn.AvgPool2d's default count_include_pad=True; with no padding it makes no difference.
  layers.push({ type: 'avg_pool', id, name: names.pool, block, inputs: one(src), outShape: { c: cin, h: out.h, w: out.w }, kernel: 2, stride: 2, padding: 0, countIncludePad: true });
  id++;
  layers.push({ type: 'conv', id, name: names.conv, block, inputs: one(id - 1), outShape: out, cin, cout, kernel: 1, stride: 1, padding: 0, groups: 1, bias: false });
  id++;
  layers.push({ type: 'add', id, name: names.add, block, inputs: [main, id - 1], outShape: out });
  return id;
}
