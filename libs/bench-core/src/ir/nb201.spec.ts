import { nb201Space } from '../space/nb201';
import { buildNetworkIR } from './build';
import type { Layer, LayerType, NetworkIR } from './types';

const build = (arch: number[], dataset = 'cifar10') => buildNetworkIR(nb201Space, arch, dataset);
const count = (ir: NetworkIR, type: LayerType, block?: string) =>
  ir.layers.filter((l) => l.type === type && (block === undefined || l.block === block)).length;
const byName = (ir: NetworkIR, name: string): Layer => {
  const l = ir.layers.find((x) => x.name === name);
  if (!l) throw new Error(`no layer ${name}`);
  return l;
};

const CELLS = [0, 1, 2].flatMap((s) => [0, 1, 2, 3, 4].map((i) => `stage${s}.cell${i}`));

describe('nb201NetworkIR', () => {
  it('nb201NetworkIR - all nor_conv_3x3: 6 convs per cell x 15 cells + stem + 2 x 3 reduction convs', () => {
    const ir = build([3, 3, 3, 3, 3, 3]);
    expect(count(ir, 'conv')).toBe(6 * 15 + 1 + 2 * 3);
    for (const cell of CELLS) {
      expect(count(ir, 'conv', cell)).toBe(6);
      expect(count(ir, 'relu', cell)).toBe(6);
      expect(count(ir, 'bn', cell)).toBe(6);
      // node 2 sums 2 edges, node 3 sums 3.
      expect(ir.layers.filter((l) => l.block === cell && l.type === 'add').map((l) => l.inputs.length)).toEqual([2, 3]);
    }
    for (const l of ir.layers) if (l.type === 'conv' && l.block.startsWith('stage')) expect([l.kernel, l.stride, l.padding, l.groups, l.bias]).toEqual([3, 1, 1, 1, false]);
  });

  it('nb201NetworkIR - builds the TinyNetwork skeleton (stem, reductions, head)', () => {
    const ir = build([0, 0, 0, 0, 0, 0]);
    const stem = byName(ir, 'stem.conv');
    expect(stem).toMatchObject({ type: 'conv', cin: 3, cout: 16, kernel: 3, stride: 1, padding: 1, bias: false, outShape: { c: 16, h: 32, w: 32 } });
    expect(byName(ir, 'stem.bn')).toMatchObject({ type: 'bn', channels: 16 });
    for (const [r, cin, hw] of [[0, 16, 16], [1, 32, 8]] as const) {
      const b = `reduction${r}`;
      expect(ir.layers.filter((l) => l.block === b).map((l) => l.name.slice(b.length + 1))).toEqual([
        'conv_a.relu', 'conv_a.conv', 'conv_a.bn', 'conv_b.relu', 'conv_b.conv', 'conv_b.bn', 'shortcut.pool', 'shortcut.conv', 'add',
      ]);
      expect(byName(ir, `${b}.conv_a.conv`)).toMatchObject({ cin, cout: 2 * cin, kernel: 3, stride: 2, padding: 1 });
      expect(byName(ir, `${b}.conv_b.conv`)).toMatchObject({ cin: 2 * cin, cout: 2 * cin, kernel: 3, stride: 1 });
      expect(byName(ir, `${b}.shortcut.pool`)).toMatchObject({ type: 'avg_pool', kernel: 2, stride: 2, padding: 0, outShape: { c: cin, h: hw, w: hw } });
      expect(byName(ir, `${b}.shortcut.conv`)).toMatchObject({ cin, cout: 2 * cin, kernel: 1, stride: 1, outShape: { c: 2 * cin, h: hw, w: hw } });
      const add = byName(ir, `${b}.add`);
      expect(add.inputs).toEqual([byName(ir, `${b}.conv_b.bn`).id, byName(ir, `${b}.shortcut.conv`).id]);
    }
    expect(ir.layers.filter((l) => l.block === 'head').map((l) => l.type)).toEqual(['bn', 'relu', 'global_avg_pool', 'linear']);
    expect(byName(ir, 'head.fc')).toMatchObject({ inFeatures: 64, outFeatures: 10, bias: true });
    expect(new Set(ir.layers.map((l) => l.block))).toEqual(new Set(['stem', ...CELLS.slice(0, 5), 'reduction0', ...CELLS.slice(5, 10), 'reduction1', ...CELLS.slice(10), 'head']));
  });

  it('nb201NetworkIR - an all-none cell is three zero layers fed from the cell input', () => {
    const ir = build([0, 0, 0, 0, 0, 0]);
    expect(count(ir, 'zero')).toBe(45);
    expect(count(ir, 'add')).toBe(2); // the two reduction blocks only
    const cellIn = byName(ir, 'stem.bn').id;
    for (const j of [1, 2, 3]) expect(byName(ir, `stage0.cell0.node${j}.zero`).inputs).toEqual([cellIn]);
    // The next cell reads the zero output of node 3.
    expect(byName(ir, 'stage0.cell1.node1.zero').inputs).toEqual([byName(ir, 'stage0.cell0.node3.zero').id]);
  });

  it('nb201NetworkIR - a node with one non-none edge is that edge (no add); skip_connect adds no layer', () => {
    // node1 = conv3x3(in); node2 = skip(node1); node3 = skip(node2)
    const ir = build([3, 0, 1, 0, 0, 1]);
    expect(count(ir, 'add', 'stage0.cell0')).toBe(0);
    expect(ir.layers.filter((l) => l.block === 'stage0.cell0').map((l) => l.name)).toEqual([
      'stage0.cell0.edge0->1.relu', 'stage0.cell0.edge0->1.conv', 'stage0.cell0.edge0->1.bn',
    ]);
    expect(byName(ir, 'stage0.cell1.edge0->1.relu').inputs).toEqual([byName(ir, 'stage0.cell0.edge0->1.bn').id]);
  });

  it('nb201NetworkIR - all skip_connect sums duplicates of the cell input', () => {
    const ir = build([1, 1, 1, 1, 1, 1]);
    const cellIn = byName(ir, 'stem.bn').id;
    const n2 = byName(ir, 'stage0.cell0.node2.add');
    expect(n2.inputs).toEqual([cellIn, cellIn]);
    expect(byName(ir, 'stage0.cell0.node3.add').inputs).toEqual([cellIn, cellIn, n2.id]);
    expect(count(ir, 'conv')).toBe(7);
  });

  it('nb201NetworkIR - keeps edges out of a zero node (NAS-Bench-201 runs them)', () => {
    // node1 = zero; node2 = conv(in) + conv(node1); node3 = pool(node2)
    const ir = build([0, 3, 3, 0, 0, 4]);
    const zero = byName(ir, 'stage1.cell2.node1.zero');
    expect(byName(ir, 'stage1.cell2.edge1->2.relu').inputs).toEqual([zero.id]);
    expect(byName(ir, 'stage1.cell2.edge2->3.pool')).toMatchObject({ type: 'avg_pool', kernel: 3, stride: 1, padding: 1, countIncludePad: false, outShape: { c: 32, h: 16, w: 16 } });
    expect(count(ir, 'conv', 'stage1.cell2')).toBe(2);
  });

  it('nb201NetworkIR - nor_conv_1x1 is a 1x1 conv without padding', () => {
    const ir = build([2, 0, 0, 0, 0, 0], 'ImageNet16-120');
    expect(byName(ir, 'stage2.cell4.edge0->1.conv')).toMatchObject({ kernel: 1, padding: 0, cin: 64, cout: 64, outShape: { c: 64, h: 4, w: 4 } });
    expect(ir.layers[ir.output].outShape).toEqual({ c: 120, h: 1, w: 1 });
  });
});
