import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { InvalidArchitectureError } from '../errors';
import { Rng } from '../rng';
import { describeWithData } from '../testing/data';
import { Nb201IndexTable, NB201_SIZE, nb201Code, nb201FromCode, nb201Space } from './nb201';
import { fbnetSpace } from './fbnet';
import { archKey, archRank, checkArch, enumerateArchs, isRankable, neighbourCount, neighbours, sampleArch, spaceSize } from './space';

const INDEX0 = '|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|';

describe('nb201Space', () => {
  it('nb201Space - parses and formats the canonical arch string', () => {
    const arch = nb201Space.parse(INDEX0);
    expect(arch).toEqual([4, 2, 1, 2, 1, 1]);
    expect(nb201Space.format(arch)).toBe(INDEX0);
  });

  it('nb201Space - has 6 decisions of 5 ops and 15625 architectures', () => {
    expect(nb201Space.decisions).toHaveLength(6);
    expect(spaceSize(nb201Space)).toBe(15625n);
    expect([...enumerateArchs(nb201Space)]).toHaveLength(NB201_SIZE);
  });

  it('nb201Space - gives 24 distinct Hamming-1 neighbours', () => {
    const arch = nb201Space.parse(INDEX0);
    const ns = neighbours(nb201Space, arch);
    expect(ns).toHaveLength(24);
    expect(neighbourCount(nb201Space)).toBe(24);
    expect(new Set(ns.map((n) => archKey(nb201Space, n))).size).toBe(24);
    for (const n of ns) expect(n.filter((v, i) => v !== arch[i])).toHaveLength(1);
  });

  it('nb201Space - samples deterministically from a seed', () => {
    const a = Array.from({ length: 5 }, ((r) => () => sampleArch(nb201Space, r))(new Rng(7)));
    const b = Array.from({ length: 5 }, ((r) => () => sampleArch(nb201Space, r))(new Rng(7)));
    expect(a).toEqual(b);
  });

  it('nb201Code - is a bijection on 0..15624', () => {
    for (let c = 0; c < NB201_SIZE; c += 97) expect(nb201Code(nb201FromCode(c))).toBe(c);
  });

  it.each([
    ['|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|', /expected 3 node groups/],
    ['|conv_7x7~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|', /unknown operation "conv_7x7" on edge 0->1/],
    ['|nor_conv_3x3~0|+|nor_conv_3x3~0|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|', /node 2 must have 2 input edge\(s\), found 1/],
    ['|nor_conv_3x3~0|+|nor_conv_3x3~1|nor_conv_3x3~0|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|', /must come from node 0, not 1/],
    ['nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|', /must start and end with "\|"/],
    ['|nor_conv_3x3|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|', /token "nor_conv_3x3" \(node 1, input 0\) must look like op~source/],
  ])('nb201Space - rejects malformed %s', (text, message) => {
    expect(() => nb201Space.parse(text)).toThrow(InvalidArchitectureError);
    expect(() => nb201Space.parse(text)).toThrow(message);
  });

  it('checkArch - rejects non-arrays (strings and null are "frozen" too) with InvalidArchitectureError', () => {
    for (const v of [null, 'not an architecture', 42, { length: 6 }]) expect(() => checkArch(nb201Space, v as never)).toThrow(InvalidArchitectureError);
    const frozen = Object.freeze([1, 2, 3, 4, 0, 0]);
    expect(checkArch(nb201Space, frozen)).toBe(frozen);
    expect(() => checkArch(nb201Space, Object.freeze([1, 2, 3, 4, 0, 5]))).toThrow(/decision 5/);
  });

  it('nb201Space - rejects option vectors of the wrong length or range', () => {
    expect(() => nb201Space.format([1, 2, 3])).toThrow(/must have 6 decisions, got 3/);
    expect(() => nb201Space.format([1, 2, 3, 4, 5, 0])).toThrow(/decision 4 \(edge 1->3\) must be an integer in 0..4, got 5/);
  });
});

describeWithData('Nb201IndexTable (official order)', (dataDir) => {
  const doc = () => JSON.parse(readFileSync(path.join(dataDir, 'hw-nas-bench/nb201-archs.json'), 'utf8')) as { arch_strings: string[]; op_vectors: number[][] };

  it('Nb201IndexTable - round-trips all 15625 index <-> string pairs', () => {
    const { arch_strings, op_vectors } = doc();
    const table = new Nb201IndexTable(arch_strings);
    for (let i = 0; i < NB201_SIZE; i++) {
      const arch = table.archAt(i);
      expect(nb201Space.format(arch)).toBe(arch_strings[i]);
      expect(arch).toEqual(op_vectors[i]);
      expect(table.indexOf(nb201Space.parse(arch_strings[i]))).toBe(i);
    }
    expect(table.archAt(0)).toEqual(nb201Space.parse(INDEX0));
  });

  it('Nb201IndexTable - is not the lexicographic order', () => {
    const table = new Nb201IndexTable(doc().arch_strings);
    let differ = 0;
    for (let i = 0; i < NB201_SIZE; i++) if (nb201Code(table.archAt(i)) !== i) differ++;
    expect(differ).toBeGreaterThan(15000);
  });

  it('Nb201IndexTable - rejects indices out of range', () => {
    const table = new Nb201IndexTable(doc().arch_strings);
    expect(() => table.archAt(15625)).toThrow(/0..15624, got 15625/);
    expect(() => table.archAt(-1)).toThrow(InvalidArchitectureError);
  });
});

describe('archRank', () => {
  it('is the position in enumeration order, for every nb201 architecture', () => {
    let i = 0;
    // For NB201 it is nb201Code, the table's own (unchecked, faster) spelling of the same number.
    for (const a of enumerateArchs(nb201Space)) {
      expect(archRank(nb201Space, a)).toBe(i++);
      expect(nb201Code(a)).toBe(i - 1);
    }
    expect(i).toBe(NB201_SIZE);
  });

  it('only for spaces whose size fits a double exactly; invalid architectures throw naming the position', () => {
    expect(isRankable(nb201Space)).toBe(true);
    expect(isRankable(fbnetSpace)).toBe(false);
    expect(() => archRank(fbnetSpace, new Array(22).fill(0))).toThrow(RangeError);
    expect(() => archRank(nb201Space, [0, 0, 7, 0, 0, 0])).toThrow(InvalidArchitectureError);
    expect(() => archRank(nb201Space, [0, 0, 0])).toThrow(InvalidArchitectureError);
  });
});

describe('nb201Space.parse fast path', () => {
  it('parses every canonical string to the architecture format() wrote, and other spellings still parse', () => {
    for (const a of enumerateArchs(nb201Space)) expect(nb201Space.parse(nb201Space.format(a))).toEqual(a);
    expect(nb201Space.parse(`  ${INDEX0}\n`)).toEqual(nb201Space.parse(INDEX0));
  });

  it('near-canonical strings fall through to the explaining parser', () => {
    expect(() => nb201Space.parse(INDEX0.replace('skip_connect~2', 'skip_connect~1'))).toThrow(/must come from node 2/);
    expect(() => nb201Space.parse(INDEX0.replace('nor_conv_1x1~0|skip', 'nor_conv_5x5~0|skip'))).toThrow(/unknown operation "nor_conv_5x5"/);
    expect(() => nb201Space.parse(INDEX0 + '|')).toThrow(InvalidArchitectureError);
  });
});
