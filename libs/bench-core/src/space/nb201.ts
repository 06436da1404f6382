import { InvalidArchitectureError } from '../errors';
import type { Arch, DatasetSpec, SearchSpace } from './space';
import { checkArch } from './space';

/** NAS-Bench-201 operations, in the benchmark's own order (the option index of each edge). */
export const NB201_OPS = ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3'] as const;
export type Nb201Op = (typeof NB201_OPS)[number];

/**
 * The 6 cell edges as [from, to] node pairs, in the order their tokens appear in the arch string:
 * (0->1), (0->2), (1->2), (0->3), (1->3), (2->3). Option vector position k is edge NB201_EDGES[k].
 */
export const NB201_EDGES: readonly (readonly [number, number])[] = [
  [0, 1],
  [0, 2],
  [1, 2],
  [0, 3],
  [1, 3],
  [2, 3],
];

/** Number of NAS-Bench-201 cells (5^6). */
export const NB201_SIZE = 15625;

const NB201_DATASETS: readonly DatasetSpec[] = [
  { name: 'cifar10', inputHw: 32, inputChannels: 3, numClasses: 10 },
  { name: 'cifar100', inputHw: 32, inputChannels: 3, numClasses: 100 },
  { name: 'ImageNet16-120', inputHw: 16, inputChannels: 3, numClasses: 120 },
];

const OP_INDEX = new Map<string, number>(NB201_OPS.map((op, i) => [op, i]));

/**
 * Canonical strings by lexicographic code, filled as architectures are formatted. Every search
 * formats each architecture it proposes (its key) and workers look them up: one shared, already
 * hashed string per cell is cheaper than a fresh one per call, and the space is small (15,625
 * strings of about 90 characters at most).
 */
const FORMATTED: (string | undefined)[] = new Array(NB201_SIZE);
/** The way back: each of those strings to its architecture (parsing a known string is a lookup). */
const FORMATTED_ARCH = new Map<string, Arch>();

function format(arch: Arch): string {
  const a = checkArch(nb201Space, arch);
  const code = nb201Code(a);
  let text = FORMATTED[code];
  if (text === undefined) {
    FORMATTED[code] = text = formatUnchecked(a);
    FORMATTED_ARCH.set(text, a);
  }
  return text;
}

function formatUnchecked(a: Arch): string {
  const o = NB201_OPS;
  return `|${o[a[0]]}~0|+|${o[a[1]]}~0|${o[a[2]]}~1|+|${o[a[3]]}~0|${o[a[4]]}~1|${o[a[5]]}~2|`;
}

/**
 * The architecture of a string exactly in canonical form (what format() writes), or undefined for
 * anything else. A scan with no regex, split or map lookup: workers parse one per evaluation.
 */
function parseCanonical(text: string): Arch | undefined {
  const arch = new Array<number>(6);
  let pos = 0;
  let edge = 0;
  for (let node = 1; node <= 3; node++) {
    if (node > 1) {
      if (text.charCodeAt(pos) !== 43 /* + */) return undefined;
      pos++;
    }
    if (text.charCodeAt(pos) !== 124 /* | */) return undefined;
    pos++;
    for (let from = 0; from < node; from++) {
      const op = opAt(text, pos);
      if (op < 0) return undefined;
      pos += (NB201_OPS as readonly string[])[op].length;
      // "~<from>|"
      if (text.charCodeAt(pos) !== 126 || text.charCodeAt(pos + 1) !== 48 + from || text.charCodeAt(pos + 2) !== 124) return undefined;
      pos += 3;
      arch[edge++] = op;
    }
  }
  return pos === text.length ? Object.freeze(arch) : undefined;
}

/** Index of the operation whose name starts at `pos`, or -1. */
function opAt(text: string, pos: number): number {
  // First letters tell the ops apart, except the two convolutions (their kernel digit does).
  const c = text.charCodeAt(pos);
  const op = c === 115 ? 1 : c === 97 ? 4 : c === 110 ? (text.charCodeAt(pos + 2) === 110 ? 0 : text.charCodeAt(pos + 9) === 49 ? 2 : 3) : -1;
  return op >= 0 && text.startsWith((NB201_OPS as readonly string[])[op], pos) ? op : -1;
}

function parse(text: string): Arch {
  if (typeof text !== 'string') throw new InvalidArchitectureError('nb201 architecture must be a string');
  // Strings this process formatted are looked up; other canonical strings (from another process)
  // are scanned; other spellings and errors go through the parser that explains what is wrong.
  const canonical = FORMATTED_ARCH.get(text) ?? parseCanonical(text);
  if (canonical) return canonical;
  const s = text.trim();
  const where = (msg: string) => new InvalidArchitectureError(`malformed nb201 arch string "${s}": ${msg}`);
  const groups = s.split('+');
  if (groups.length !== 3) throw where(`expected 3 node groups separated by "+", found ${groups.length}`);
  const arch: number[] = [];
  for (let g = 0; g < 3; g++) {
    const node = g + 1;
    const group = groups[g];
    if (!group.startsWith('|') || !group.endsWith('|') || group.length < 2) {
      throw where(`node ${node} group "${group}" must start and end with "|"`);
    }
    const tokens = group.slice(1, -1).split('|');
    if (tokens.length !== node) throw where(`node ${node} must have ${node} input edge(s), found ${tokens.length} in "${group}"`);
    for (let j = 0; j < tokens.length; j++) {
      const tok = tokens[j];
      const m = /^([A-Za-z0-9_]+)~(\d+)$/.exec(tok);
      if (!m) throw where(`token "${tok}" (node ${node}, input ${j}) must look like op~source`);
      const op = OP_INDEX.get(m[1]);
      if (op === undefined) throw where(`unknown operation "${m[1]}" on edge ${j}->${node}; known: ${NB201_OPS.join(', ')}`);
      if (Number(m[2]) !== j) throw where(`token "${tok}" of node ${node} must come from node ${j}, not ${m[2]}`);
      arch.push(op);
    }
  }
  return Object.freeze(arch);
}

/** The NAS-Bench-201 cell space: 6 edges x 5 operations. */
export const nb201Space: SearchSpace = {
  id: 'nb201',
  decisions: NB201_EDGES.map(([from, to]) => ({ name: `edge ${from}->${to}`, options: NB201_OPS })),
  datasets: NB201_DATASETS,
  format,
  parse,
};

/**
 * Lexicographic code of an NB201 op vector (base 5, edge 0 most significant): 0..15624. The same
 * number as the generic `archRank`, without its checks, for the table's hot paths.
 */
export function nb201Code(arch: Arch): number {
  let c = 0;
  for (let i = 0; i < 6; i++) c = c * 5 + arch[i];
  return c;
}

/** Inverse of {@link nb201Code}. */
export function nb201FromCode(code: number): Arch {
  const a = new Array<number>(6);
  for (let i = 5; i >= 0; i--) {
    a[i] = code % 5;
    code = Math.floor(code / 5);
  }
  return Object.freeze(a);
}

/**
 * The official NAS-Bench-201 index <-> architecture order (NAS-Bench-201's `meta_archs`, which is
 * not lexicographic). Built from the benchmark's arch-string list; lookups are O(1) array reads.
 */
export class Nb201IndexTable {
  private readonly codeToIndex = new Int32Array(NB201_SIZE).fill(-1);
  private readonly indexToCode = new Int32Array(NB201_SIZE);

  /**
   * `archStrings[i]` is the arch string of index i; all 15625 cells must appear exactly once.
   * `opVectors[i]`, when given, is the same architecture as option indices: it lets the table be
   * built without parsing every string, and each string is still checked against it.
   */
  constructor(archStrings: readonly string[], opVectors?: readonly (readonly number[])[]);
  /** From the lexicographic code of each index (see {@link Nb201IndexTable.codes}); checked to be a permutation. */
  constructor(codes: { readonly codes: readonly number[] });
  constructor(source: readonly string[] | { readonly codes: readonly number[] }, opVectors?: readonly (readonly number[])[]) {
    if (!Array.isArray(source)) {
      const { codes } = source as { readonly codes: readonly number[] };
      if (codes.length !== NB201_SIZE) throw new InvalidArchitectureError(`nb201 index table must list ${NB201_SIZE} codes`);
      for (let i = 0; i < NB201_SIZE; i++) {
        const code = codes[i];
        if (!(code >= 0 && code < NB201_SIZE) || this.codeToIndex[code] !== -1) throw new InvalidArchitectureError(`nb201 index table: bad or repeated code at index ${i}`);
        this.codeToIndex[code] = i;
        this.indexToCode[i] = code;
      }
      return;
    }
    const archStrings = source as readonly string[];
    if (archStrings.length !== NB201_SIZE || (opVectors && opVectors.length !== NB201_SIZE)) {
      throw new InvalidArchitectureError(`nb201 index table must list ${NB201_SIZE} architectures, got ${archStrings.length}`);
    }
    for (let i = 0; i < NB201_SIZE; i++) {
      let arch: Arch;
      if (opVectors) {
        arch = checkArch(nb201Space, opVectors[i]);
        if (formatUnchecked(arch) !== archStrings[i]) {
          throw new InvalidArchitectureError(`nb201 index table: entry ${i} is ${archStrings[i]} but its op vector [${opVectors[i]}] says ${formatUnchecked(arch)}`);
        }
      } else {
        arch = parse(archStrings[i]);
      }
      const code = nb201Code(arch);
      if (this.codeToIndex[code] !== -1) {
        throw new InvalidArchitectureError(`nb201 index table lists ${archStrings[i]} twice (indices ${this.codeToIndex[code]} and ${i})`);
      }
      this.codeToIndex[code] = i;
      this.indexToCode[i] = code;
    }
  }

  /** Rebuilds a table from {@link Nb201IndexTable.codes} (lexicographic code of each index). */
  static fromCodes(codes: readonly number[]): Nb201IndexTable {
    return new Nb201IndexTable({ codes });
  }

  /** The lexicographic code ({@link nb201Code}) of every index, in index order. */
  codes(): number[] {
    return Array.from(this.indexToCode);
  }

  /** The benchmark index of `arch`. */
  indexOf(arch: Arch): number {
    // Hot path (every table lookup): validate in place instead of through checkArch's copy.
    let code = 0;
    for (let i = 0; i < 6; i++) {
      const v = arch[i];
      if (!(v >= 0 && v <= 4 && v === Math.floor(v))) return this.codeToIndex[nb201Code(checkArch(nb201Space, arch))];
      code = code * 5 + v;
    }
    if (arch.length !== 6) checkArch(nb201Space, arch);
    return this.codeToIndex[code];
  }

  /** The architecture at benchmark index `index`; throws for an index outside 0..15624. */
  archAt(index: number): Arch {
    if (!Number.isInteger(index) || index < 0 || index >= NB201_SIZE) {
      throw new InvalidArchitectureError(`nb201 index must be an integer in 0..${NB201_SIZE - 1}, got ${index}`);
    }
    return nb201FromCode(this.indexToCode[index]);
  }
}
