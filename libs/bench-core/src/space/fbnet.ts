import { InvalidArchitectureError, UnknownDatasetError } from '../errors';
import type { Arch, DatasetSpec, SearchSpace } from './space';
import { checkArch } from './space';

/** One FBNet candidate block; `skip` has no kernel/expansion/group. */
export interface FbnetBlock {
  readonly index: number;
  readonly name: string;
  readonly kernel: number | null;
  readonly expansion: number | null;
  readonly group: number | null;
}

/** Per-dataset macro-architecture settings of the FBNet space (as HW-NAS-Bench composes it). */
export interface FbnetDatasetMacro {
  readonly inputHw: number;
  readonly stemStride: number;
  readonly stageFirstLayerStride: readonly number[];
  readonly headChannels: number;
  readonly numClasses: number;
}

/** The FBNet macro-architecture: candidate blocks, stages and per-dataset settings. */
export interface FbnetMacro {
  readonly numLayers: number;
  readonly blocks: readonly FbnetBlock[];
  readonly stemChannels: number;
  readonly stageNumLayers: readonly number[];
  readonly stageOutChannels: readonly number[];
  readonly datasets: Readonly<Record<string, FbnetDatasetMacro>>;
}

/**
 * The FBNet space of HW-NAS-Bench: 22 layers in 7 stages, 9 candidate blocks each. These are the
 * values of `hw-nas-bench/fbnet-space.json`; the data loader checks that the file agrees.
 */
export const FBNET_MACRO: FbnetMacro = {
  numLayers: 22,
  blocks: [
    { index: 0, name: 'k3_e1', kernel: 3, expansion: 1, group: 1 },
    { index: 1, name: 'k3_e1_g2', kernel: 3, expansion: 1, group: 2 },
    { index: 2, name: 'k3_e3', kernel: 3, expansion: 3, group: 1 },
    { index: 3, name: 'k3_e6', kernel: 3, expansion: 6, group: 1 },
    { index: 4, name: 'k5_e1', kernel: 5, expansion: 1, group: 1 },
    { index: 5, name: 'k5_e1_g2', kernel: 5, expansion: 1, group: 2 },
    { index: 6, name: 'k5_e3', kernel: 5, expansion: 3, group: 1 },
    { index: 7, name: 'k5_e6', kernel: 5, expansion: 6, group: 1 },
    { index: 8, name: 'skip', kernel: null, expansion: null, group: null },
  ],
  stemChannels: 16,
  stageNumLayers: [1, 4, 4, 4, 4, 4, 1],
  stageOutChannels: [16, 24, 32, 64, 112, 184, 352],
  datasets: {
    cifar100: { inputHw: 32, stemStride: 1, stageFirstLayerStride: [1, 1, 2, 2, 1, 2, 1], headChannels: 1504, numClasses: 100 },
    ImageNet: { inputHw: 224, stemStride: 2, stageFirstLayerStride: [1, 2, 2, 2, 1, 2, 1], headChannels: 1984, numClasses: 1000 },
  },
};

/** Index of the `skip` block. */
export const FBNET_SKIP = 8;

/** One searchable FBNet layer with its fixed position in the macro-architecture. */
export interface FbnetLayerSlot {
  readonly layer: number;
  readonly stage: number;
  readonly cin: number;
  readonly cout: number;
  readonly stride: number;
  /** Input spatial size (square). */
  readonly inHw: number;
}

/**
 * The 22 layer slots of the FBNet macro for a dataset: stage, channels, stride and input size.
 * Only the first layer of a stage uses the stage stride and changes the channel count.
 */
export function fbnetLayerSlots(dataset: string, macro: FbnetMacro = FBNET_MACRO): FbnetLayerSlot[] {
  const ds = macro.datasets[dataset];
  if (!ds) throw new UnknownDatasetError(dataset, 'fbnet', Object.keys(macro.datasets));
  const slots: FbnetLayerSlot[] = [];
  let hw = Math.ceil(ds.inputHw / ds.stemStride);
  let cin = macro.stemChannels;
  let layer = 0;
  for (let s = 0; s < macro.stageNumLayers.length; s++) {
    for (let j = 0; j < macro.stageNumLayers[s]; j++) {
      const stride = j === 0 ? ds.stageFirstLayerStride[s] : 1;
      const cout = macro.stageOutChannels[s];
      slots.push({ layer: layer++, stage: s, cin, cout, stride, inHw: hw });
      hw = Math.ceil(hw / stride);
      cin = cout;
    }
  }
  return slots;
}

const BLOCK_INDEX = new Map<string, number>(FBNET_MACRO.blocks.map((b) => [b.name, b.index]));

function format(arch: Arch): string {
  return checkArch(fbnetSpace, arch)
    .map((o) => FBNET_MACRO.blocks[o].name)
    .join(',');
}

function parse(text: string): Arch {
  if (typeof text !== 'string') throw new InvalidArchitectureError('fbnet architecture must be a string');
  const s = text.trim();
  const n = FBNET_MACRO.numLayers;
  if (s.startsWith('[')) {
    let value: unknown;
    try {
      value = JSON.parse(s);
    } catch (e) {
      throw new InvalidArchitectureError(`fbnet architecture "${s}" is not valid JSON: ${(e as Error).message}`);
    }
    if (!Array.isArray(value)) throw new InvalidArchitectureError(`fbnet architecture must be a JSON array of ${n} block indices`);
    return checkArch(fbnetSpace, value);
  }
  const names = s.split(',').map((t) => t.trim());
  if (names.length !== n) {
    throw new InvalidArchitectureError(`fbnet architecture must list ${n} blocks, got ${names.length} in "${s}"`);
  }
  return Object.freeze(
    names.map((name, i) => {
      const idx = BLOCK_INDEX.get(name);
      if (idx === undefined) {
        throw new InvalidArchitectureError(
          `fbnet layer ${i}: unknown block "${name}"; known: ${FBNET_MACRO.blocks.map((b) => b.name).join(', ')}`,
        );
      }
      return idx;
    }),
  );
}

const FBNET_DATASETS: readonly DatasetSpec[] = Object.entries(FBNET_MACRO.datasets).map(([name, d]) => ({
  name,
  inputHw: d.inputHw,
  inputChannels: 3,
  numClasses: d.numClasses,
}));

/** The FBNet space: 22 layers x 9 blocks (9^22, about 1e21 architectures). */
export const fbnetSpace: SearchSpace = {
  id: 'fbnet',
  decisions: Array.from({ length: FBNET_MACRO.numLayers }, (_, i) => ({
    name: `layer ${i}`,
    options: FBNET_MACRO.blocks.map((b) => b.name),
  })),
  datasets: FBNET_DATASETS,
  format,
  parse,
};
