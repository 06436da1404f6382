import { Rng } from '../rng';
import { FBNET_MACRO, FBNET_SKIP, fbnetLayerSlots, fbnetSpace } from '../space/fbnet';
import type { Arch } from '../space/space';
import { sampleArch } from '../space/space';
import { buildNetworkIR } from './build';
import type { Layer, NetworkIR } from './types';

const build = (arch: Arch, dataset: string) => buildNetworkIR(fbnetSpace, arch, dataset);
const blockLayers = (ir: NetworkIR, block: string): Layer[] => ir.layers.filter((l) => l.block === block);
const byName = (ir: NetworkIR, name: string): Layer => {
  const l = ir.layers.find((x) => x.name === name);
  if (!l) throw new Error(`no layer ${name}`);
  return l;
};

const DATASETS = ['cifar100', 'ImageNet'];
const rng = new Rng(2024);
const SAMPLES: Arch[] = [...FBNET_MACRO.blocks.map((b) => Array(22).fill(b.index)), ...Array.from({ length: 50 }, () => sampleArch(fbnetSpace, rng))];

describe('fbnetNetworkIR', () => {
  it('fbnetNetworkIR - cifar100 ends at 4x4 and ImageNet at 7x7 before the global pool', () => {
    for (const [ds, hw, head, classes] of [['cifar100', 4, 1504, 100], ['ImageNet', 7, 1984, 1000]] as const) {
      const ir = build(Array(22).fill(0), ds);
      expect(byName(ir, 'head.conv')).toMatchObject({ cin: 352, cout: head, kernel: 1, stride: 1, outShape: { c: head, h: hw, w: hw } });
      const pool = byName(ir, 'head.pool');
      expect(ir.layers[pool.inputs[0]].outShape).toEqual({ c: head, h: hw, w: hw });
      expect(byName(ir, 'head.fc')).toMatchObject({ inFeatures: head, outFeatures: classes, bias: true });
      expect(blockLayers(ir, 'head').map((l) => l.name)).toEqual(['head.conv', 'head.bn', 'head.relu', 'head.pool', 'head.fc']);
    }
  });

  it('fbnetNetworkIR - stem is a 3x3 conv-BN-ReLU to 16 channels with the dataset stem stride', () => {
    expect(byName(build(Array(22).fill(0), 'cifar100'), 'stem.conv')).toMatchObject({ cin: 3, cout: 16, kernel: 3, stride: 1, padding: 1, outShape: { c: 16, h: 32, w: 32 } });
    const im = build(Array(22).fill(0), 'ImageNet');
    expect(byName(im, 'stem.conv')).toMatchObject({ stride: 2, outShape: { c: 16, h: 112, w: 112 } });
    expect(blockLayers(im, 'stem').map((l) => l.type)).toEqual(['input', 'conv', 'bn', 'relu']);
  });

  it('fbnetNetworkIR - every block ends at its slot output shape', () => {
    for (const ds of DATASETS) {
      const slots = fbnetLayerSlots(ds);
      for (const arch of SAMPLES) {
        const ir = build(arch, ds);
        for (const s of slots) {
          const ls = blockLayers(ir, `layer${s.layer}`);
          const hw = Math.ceil(s.inHw / s.stride);
          if (ls.length === 0) {
            expect(arch[s.layer]).toBe(FBNET_SKIP);
            expect([s.stride, s.cin]).toEqual([1, s.cout]);
          } else {
            expect(ls[ls.length - 1].outShape).toEqual({ c: s.cout, h: hw, w: hw });
          }
        }
      }
    }
  });

  it('fbnetNetworkIR - expands (k, e, g) into expand, depthwise and project convs', () => {
    const arch = Array(22).fill(0);
    arch[9] = 7; // k5_e6 on layer 9 (stage 3 first layer: 32 -> 64, stride 2)
    arch[10] = 5; // k5_e1_g2 on layer 10 (64 -> 64, stride 1)
    const ir = build(arch, 'ImageNet');
    expect(blockLayers(ir, 'layer9').map((l) => l.name.slice('layer9.'.length))).toEqual([
      'expand.conv', 'expand.bn', 'expand.relu', 'dw.conv', 'dw.bn', 'dw.relu', 'project.conv', 'project.bn',
    ]);
    expect(byName(ir, 'layer9.expand.conv')).toMatchObject({ cin: 32, cout: 192, kernel: 1, groups: 1, outShape: { c: 192, h: 28, w: 28 } });
    expect(byName(ir, 'layer9.dw.conv')).toMatchObject({ cin: 192, cout: 192, kernel: 5, stride: 2, padding: 2, groups: 192, outShape: { c: 192, h: 14, w: 14 } });
    expect(byName(ir, 'layer9.project.conv')).toMatchObject({ cin: 192, cout: 64, kernel: 1, groups: 1 });
    expect(blockLayers(ir, 'layer10').map((l) => l.name.slice('layer10.'.length))).toEqual([
      'expand.conv', 'expand.bn', 'expand.relu', 'shuffle', 'dw.conv', 'dw.bn', 'dw.relu', 'project.conv', 'project.bn', 'add',
    ]);
    expect(byName(ir, 'layer10.expand.conv')).toMatchObject({ cin: 64, cout: 64, groups: 2 });
    expect(byName(ir, 'layer10.project.conv')).toMatchObject({ cin: 64, cout: 64, groups: 2 });
    expect(byName(ir, 'layer10.add').inputs).toEqual([byName(ir, 'layer10.project.bn').id, byName(ir, 'layer9.project.bn').id]);
  });

  it('fbnetNetworkIR - skip is the identity when shapes match, else a 1x1 conv-BN-ReLU with the layer stride', () => {
    for (const ds of DATASETS) {
      const ir = build(Array(22).fill(FBNET_SKIP), ds);
      for (const s of fbnetLayerSlots(ds)) {
        const ls = blockLayers(ir, `layer${s.layer}`);
        if (s.stride === 1 && s.cin === s.cout) {
          expect(ls).toHaveLength(0);
        } else {
          expect(ls.map((l) => l.type)).toEqual(['conv', 'bn', 'relu']);
          expect(ls[0]).toMatchObject({ cin: s.cin, cout: s.cout, kernel: 1, stride: s.stride, padding: 0, groups: 1 });
        }
      }
      // ImageNet layer 1 is the stride-2 16 -> 24 layer; on cifar100 it keeps stride 1 but widens.
      expect(byName(ir, 'layer1.skip.conv')).toMatchObject({ stride: ds === 'ImageNet' ? 2 : 1, cin: 16, cout: 24 });
      // The stride-2 first layers of stages 2, 3, 5 become convs on both datasets.
      for (const l of [5, 9, 17]) expect(byName(ir, `layer${l}.skip.conv`)).toMatchObject({ stride: 2 });
    }
  });

  it('fbnetNetworkIR - residual adds only where stride is 1 and cin equals cout', () => {
    for (const ds of DATASETS) {
      const slots = fbnetLayerSlots(ds);
      for (const arch of SAMPLES) {
        const ir = build(arch, ds);
        for (const s of slots) {
          const adds = blockLayers(ir, `layer${s.layer}`).filter((l) => l.type === 'add');
          const expected = arch[s.layer] !== FBNET_SKIP && s.stride === 1 && s.cin === s.cout ? 1 : 0;
          expect(adds).toHaveLength(expected);
        }
      }
    }
  });

  it('fbnetNetworkIR - channel shuffle only in g2 blocks, right after the expand ReLU', () => {
    for (const ds of DATASETS) {
      for (const arch of SAMPLES) {
        const ir = build(arch, ds);
        for (let i = 0; i < 22; i++) {
          const shuffles = blockLayers(ir, `layer${i}`).filter((l) => l.type === 'channel_shuffle');
          if (FBNET_MACRO.blocks[arch[i]].group === 2) {
            expect(shuffles).toHaveLength(1);
            expect(shuffles[0]).toMatchObject({ groups: 2, inputs: [byName(ir, `layer${i}.expand.relu`).id] });
          } else {
            expect(shuffles).toHaveLength(0);
          }
        }
      }
    }
  });
});
