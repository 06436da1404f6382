import { InvalidArchitectureError, UnknownDatasetError, UnknownSearchSpaceError, isNasError } from '../errors';
import { Rng } from '../rng';
import { FBNET_MACRO, fbnetSpace } from '../space/fbnet';
import { NB201_SIZE, nb201FromCode, nb201Space } from '../space/nb201';
import type { Arch, SearchSpace } from '../space/space';
import { sampleArch } from '../space/space';
import { buildNetworkIR } from './build';
import type { Layer, NetworkIR, Shape } from './types';

/** Returns the first shape/topology inconsistency of `ir`, or '' when there is none. */
function shapeProblem(ir: NetworkIR): string {
  const L = ir.layers;
  const same = (a: Shape, b: Shape) => a.c === b.c && a.h === b.h && a.w === b.w;
  const win = (n: number, k: number, s: number, p: number) => Math.floor((n + 2 * p - k) / s) + 1;
  if (L[0].type !== 'input' || !same(L[0].outShape, ir.input)) return 'layers[0] is not the input';
  for (let i = 0; i < L.length; i++) {
    const l: Layer = L[i];
    // A getter, so the message string is only built on failure (this runs over millions of layers).
    const at = { toString: () => `${ir.arch} ${l.name}` };
    if (l.id !== i) return `${at}: id ${l.id} at position ${i}`;
    if (i > 0 && (l.type === 'input' || l.inputs.length === 0)) return `${at}: a second input`;
    for (const j of l.inputs) if (!(j >= 0 && j < i)) return `${at}: input ${j} is not an earlier layer`;
    if (i === 0) continue;
    const x = L[l.inputs[0]].outShape;
    const o = l.outShape;
    switch (l.type) {
      case 'conv':
        if (x.c !== l.cin) return `${at}: cin ${l.cin} but input has ${x.c} channels`;
        if (l.cin % l.groups !== 0 || l.cout % l.groups !== 0) return `${at}: groups ${l.groups} do not divide channels`;
        if (o.c !== l.cout || o.h !== win(x.h, l.kernel, l.stride, l.padding) || o.w !== win(x.w, l.kernel, l.stride, l.padding)) return `${at}: wrong output shape`;
        break;
      case 'bn':
        if (l.channels !== x.c || !same(o, x)) return `${at}: bn shape`;
        break;
      case 'avg_pool':
      case 'max_pool':
        if (o.c !== x.c || o.h !== win(x.h, l.kernel, l.stride, l.padding) || o.w !== win(x.w, l.kernel, l.stride, l.padding)) return `${at}: pool shape`;
        break;
      case 'global_avg_pool':
        if (o.c !== x.c || o.h !== 1 || o.w !== 1) return `${at}: global pool shape`;
        break;
      case 'add':
        if (l.inputs.length < 2) return `${at}: add of ${l.inputs.length} input(s)`;
        for (const j of l.inputs) if (!same(L[j].outShape, o)) return `${at}: add inputs differ in shape`;
        break;
      case 'linear':
        if (x.h !== 1 || x.w !== 1 || x.c !== l.inFeatures || o.c !== l.outFeatures || o.h !== 1 || o.w !== 1) return `${at}: linear shape`;
        break;
      case 'channel_shuffle':
        if (x.c % l.groups !== 0 || !same(o, x)) return `${at}: shuffle shape`;
        break;
      case 'relu':
      case 'zero':
        if (l.inputs.length !== 1 || !same(o, x)) return `${at}: ${l.type} shape`;
        break;
      default:
        return `${at}: unexpected layer type ${l.type}`;
    }
  }
  const out = L[ir.output];
  if (ir.output !== L.length - 1 || out.type !== 'linear') return 'output is not the last (linear) layer';
  if (!same(out.outShape, { c: ir.numClasses, h: 1, w: 1 })) return 'output is not numClasses x 1 x 1';
  return '';
}

function namesUnique(ir: NetworkIR): boolean {
  return new Set(ir.layers.map((l) => l.name)).size === ir.layers.length;
}

describe('buildNetworkIR', () => {
  it('buildNetworkIR - gives consistent shapes for every NB201 cell (cifar10) and a sample on the other datasets', () => {
    for (const ds of nb201Space.datasets) {
      // The dataset only changes sizes, not the graph, so the full sweep runs once.
      const step = ds.name === 'cifar10' ? 1 : 13;
      for (let code = 0; code < NB201_SIZE; code += step) {
        const ir = buildNetworkIR(nb201Space, nb201FromCode(code), ds.name);
        // Plain checks rather than expect(): this loop runs 3 x 15625 times.
        const problem = shapeProblem(ir);
        if (problem) throw new Error(problem);
        if (ir.numClasses !== ds.numClasses || ir.input.h !== ds.inputHw) throw new Error(`${ir.arch}: wrong dataset spec`);
        if (code % 103 === 0 && !namesUnique(ir)) throw new Error(`${ir.arch}: duplicate layer names`);
      }
    }
  });

  it('buildNetworkIR - gives consistent shapes for sampled FBNet architectures', () => {
    const rng = new Rng(11);
    const archs: Arch[] = [Array(22).fill(0), Array(22).fill(8), ...FBNET_MACRO.blocks.map((b) => Array(22).fill(b.index))];
    for (let i = 0; i < 200; i++) archs.push(sampleArch(fbnetSpace, rng));
    for (const ds of fbnetSpace.datasets) {
      for (const arch of archs) {
        const ir = buildNetworkIR(fbnetSpace, arch, ds.name);
        const problem = shapeProblem(ir);
        if (problem) throw new Error(problem);
        expect(namesUnique(ir)).toBe(true);
        expect(ir.numClasses).toBe(ds.numClasses);
      }
    }
  });

  it('buildNetworkIR - records space, dataset and canonical arch string', () => {
    const ir = buildNetworkIR(nb201Space, [4, 2, 1, 2, 1, 1], 'cifar100');
    expect(ir.space).toBe('nb201');
    expect(ir.dataset).toBe('cifar100');
    expect(ir.arch).toBe('|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|');
    const fb = buildNetworkIR(fbnetSpace, Array(22).fill(0), 'ImageNet');
    expect(fb.space).toBe('fbnet');
    expect(fb.arch).toBe(Array(22).fill('k3_e1').join(','));
  });

  it('buildNetworkIR - is deterministic', () => {
    expect(buildNetworkIR(nb201Space, [3, 0, 1, 4, 2, 3], 'cifar10')).toEqual(buildNetworkIR(nb201Space, [3, 0, 1, 4, 2, 3], 'cifar10'));
  });

  it('buildNetworkIR - throws InvalidArchitectureError for a malformed architecture', () => {
    expect(() => buildNetworkIR(nb201Space, [3, 3, 3, 3, 3], 'cifar10')).toThrow(InvalidArchitectureError);
    expect(() => buildNetworkIR(nb201Space, [3, 3, 3, 3, 3, 3, 3], 'cifar10')).toThrow(InvalidArchitectureError);
    expect(() => buildNetworkIR(nb201Space, [3, 3, 3, 3, 3, 5], 'cifar10')).toThrow(InvalidArchitectureError);
    expect(() => buildNetworkIR(nb201Space, [3, 3, 3, 3, 3, 1.5], 'cifar10')).toThrow(InvalidArchitectureError);
    expect(() => buildNetworkIR(fbnetSpace, Array(21).fill(0), 'cifar100')).toThrow(InvalidArchitectureError);
    expect(() => buildNetworkIR(fbnetSpace, [...Array(21).fill(0), 9], 'cifar100')).toThrow(InvalidArchitectureError);
  });

  it('buildNetworkIR - throws UnknownDatasetError for a dataset the space does not define', () => {
    expect(() => buildNetworkIR(nb201Space, [3, 3, 3, 3, 3, 3], 'imagenet')).toThrow(UnknownDatasetError);
    expect(() => buildNetworkIR(nb201Space, [3, 3, 3, 3, 3, 3], 'ImageNet')).toThrow(UnknownDatasetError);
    expect(() => buildNetworkIR(fbnetSpace, Array(22).fill(0), 'cifar10')).toThrow(UnknownDatasetError);
    try {
      buildNetworkIR(fbnetSpace, Array(22).fill(0), 'ImageNet16-120');
    } catch (e) {
      expect(isNasError(e) && e.code).toBe('invalid_argument');
    }
  });

  it('buildNetworkIR - throws UnknownSearchSpaceError for a space it cannot expand', () => {
    const other = { ...nb201Space, id: 'darts' } as unknown as SearchSpace;
    expect(() => buildNetworkIR(other, [3, 3, 3, 3, 3, 3], 'cifar10')).toThrow(UnknownSearchSpaceError);
  });
});
