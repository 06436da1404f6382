import type { Arch, NetworkIR } from '@hwnas/bench-core';
import { InvalidArgumentError, buildNetworkIR, fbnetSpace, nb201Space, networkCost } from '@hwnas/bench-core';
import type { EyerissLayerBreakdown } from './eyeriss';
import { EYERISS_CONFIG, eyerissConfig, simulateEyeriss } from './eyeriss';
import { netBuilder, singleConv } from './testing/networks';

const nb201 = (arch: Arch, dataset = 'cifar10') => buildNetworkIR(nb201Space, arch, dataset);
const fbnet = (arch: Arch, dataset = 'cifar100') => buildNetworkIR(fbnetSpace, arch, dataset);

function layerNamed(ir: NetworkIR, name: string): EyerissLayerBreakdown {
  const rec = simulateEyeriss(ir, EYERISS_CONFIG, { breakdown: true }).breakdown?.find((l) => l.name === name);
  if (!rec) throw new Error(`no layer ${name}`);
  return rec;
}

function sum(records: readonly EyerissLayerBreakdown[], pick: (l: EyerissLayerBreakdown) => number): number {
  return records.reduce((s, l) => s + pick(l), 0);
}

describe('simulateEyeriss', () => {
  it('simulateEyeriss - latency and energy rise with the channel count', () => {
    const narrow = simulateEyeriss(singleConv(16, 32, { cout: 16, kernel: 3 }));
    const wide = simulateEyeriss(singleConv(32, 32, { cout: 32, kernel: 3 }));
    expect(wide.latencyMs).toBeGreaterThan(narrow.latencyMs);
    expect(wide.energyMj).toBeGreaterThan(narrow.energyMj);
  });

  it('simulateEyeriss - latency and energy rise with the resolution', () => {
    const small = simulateEyeriss(singleConv(16, 16, { cout: 16, kernel: 3 }));
    const large = simulateEyeriss(singleConv(16, 32, { cout: 16, kernel: 3 }));
    expect(large.latencyMs).toBeGreaterThan(small.latencyMs);
    expect(large.energyMj).toBeGreaterThan(small.energyMj);
    // The same NB201 cell on 32x32 CIFAR-10 and on 16x16 ImageNet16-120.
    for (const arch of [[3, 3, 3, 3, 3, 3], [2, 1, 4, 3, 0, 2], [0, 0, 0, 0, 0, 0]]) {
      const c10 = simulateEyeriss(nb201(arch, 'cifar10'));
      const in16 = simulateEyeriss(nb201(arch, 'ImageNet16-120'));
      expect(c10.latencyMs).toBeGreaterThan(in16.latencyMs);
      expect(c10.energyMj).toBeGreaterThan(in16.energyMj);
    }
  });

  it('simulateEyeriss - NB201 cost orders none < 1x1 < 3x3 cells', () => {
    const none = simulateEyeriss(nb201([0, 0, 0, 0, 0, 0]));
    const conv1 = simulateEyeriss(nb201([2, 2, 2, 2, 2, 2]));
    const conv3 = simulateEyeriss(nb201([3, 3, 3, 3, 3, 3]));
    expect(none.latencyMs).toBeLessThan(conv1.latencyMs);
    expect(conv1.latencyMs).toBeLessThan(conv3.latencyMs);
    expect(none.energyMj).toBeLessThan(conv1.energyMj);
    expect(conv1.energyMj).toBeLessThan(conv3.energyMj);
  });

  it('simulateEyeriss - a skip FBNet layer costs less than a k5_e6 block', () => {
    // Layer 2 is a stride-1, 24->24 layer: `skip` is the identity there.
    const base = new Array<number>(22).fill(0);
    const skip = base.slice();
    skip[2] = 8;
    const heavy = base.slice();
    heavy[2] = 7;
    const a = simulateEyeriss(fbnet(skip), EYERISS_CONFIG, { breakdown: true });
    const b = simulateEyeriss(fbnet(heavy), EYERISS_CONFIG, { breakdown: true });
    expect(a.latencyMs).toBeLessThan(b.latencyMs);
    expect(a.energyMj).toBeLessThan(b.energyMj);
    const blockEnergy = (r: typeof a) => sum(r.breakdown?.filter((l) => l.block === 'layer2') ?? [], (l) => l.energyMj);
    expect(blockEnergy(a)).toBe(0);
    expect(blockEnergy(b)).toBeGreaterThan(0);
  });

  it('simulateEyeriss - 1x1 and depthwise convs use the PE array worse than a 3x3 dense conv', () => {
    const dense3 = layerNamed(singleConv(16, 32, { cout: 16, kernel: 3 }), 'conv1');
    const point = layerNamed(singleConv(16, 32, { cout: 16, kernel: 1 }), 'conv1');
    const depthwise = layerNamed(singleConv(96, 32, { cout: 96, kernel: 3, groups: 96 }), 'conv1');
    expect(dense3.mapping).toBe('row_stationary');
    for (const poor of [point, depthwise]) {
      expect(poor.arrayUtilization).toBeLessThan(dense3.arrayUtilization);
      expect(poor.utilization).toBeLessThan(dense3.utilization);
    }
    // The same ordering inside real networks: NB201's 1x1 edge and FBNet's depthwise stage.
    const cell = layerNamed(nb201([2, 3, 3, 3, 3, 3]), 'stage0.cell0.edge0->1.conv');
    const cell3 = layerNamed(nb201([2, 3, 3, 3, 3, 3]), 'stage0.cell0.edge0->2.conv');
    expect(cell.arrayUtilization).toBeLessThan(cell3.arrayUtilization);
    const dw = layerNamed(fbnet(new Array<number>(22).fill(3)), 'layer2.dw.conv');
    expect(dw.arrayUtilization).toBeLessThan(0.3);
    expect(dw.bound).not.toBe('compute');
  });

  it('simulateEyeriss - a layer whose weights exceed the GLB is DRAM-bound, its latency set by bandwidth', () => {
    // 512x512x3x3 weights = 4.7 MB of 16-bit words against a 108 kB global buffer.
    const ir = singleConv(512, 4, { cout: 512, kernel: 3 });
    const conv = layerNamed(ir, 'conv1');
    expect(conv.bound).toBe('dram');
    const dramWords = 512 * 512 * 9 + 2 * 512 * 4 * 4;
    expect(conv.accesses.dram).toBe(dramWords);
    const bandwidthMs = ((dramWords * EYERISS_CONFIG.wordBytes) / EYERISS_CONFIG.dramBytesPerSec) * 1e3;
    expect(conv.latencyMs).toBeCloseTo(bandwidthMs, 9);
    expect(simulateEyeriss(ir).latencyMs).toBeCloseTo(bandwidthMs, 9);
    // The same layer with 16 channels moves a tiny fraction of that.
    expect(layerNamed(singleConv(16, 4, { cout: 16, kernel: 3 }), 'conv1').accesses.dram).toBeLessThan(dramWords / 100);
  });

  it('simulateEyeriss - a working set beyond the GLB costs extra DRAM traffic', () => {
    // 96 x 32 x 32 ifmap = 192 kB > 108 kB: weights or ifmap must be fetched more than once.
    const ir = singleConv(96, 32, { cout: 96, kernel: 1 });
    const conv = layerNamed(ir, 'conv1');
    const once = 96 * 32 * 32 * 2 + 96 * 96;
    expect(conv.accesses.dram).toBeGreaterThan(once);
    // Depthwise needs only one channel at a time: it fits.
    const dw = layerNamed(singleConv(96, 32, { cout: 96, kernel: 3, groups: 96 }), 'conv1');
    expect(dw.accesses.dram).toBe(96 * 32 * 32 * 2 + 96 * 9);
  });

  it('simulateEyeriss - the per-layer breakdown sums to the totals', () => {
    const nets = [nb201([3, 3, 3, 3, 3, 3]), nb201([1, 4, 0, 2, 3, 1]), nb201([0, 0, 0, 0, 0, 0], 'cifar100'), fbnet(new Array<number>(22).fill(5)), fbnet([0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2, 3], 'ImageNet')];
    for (const ir of nets) {
      const r = simulateEyeriss(ir, EYERISS_CONFIG, { breakdown: true });
      const b = r.breakdown ?? [];
      expect(b).toHaveLength(ir.layers.length);
      expect(b.map((l) => l.layerId)).toEqual(ir.layers.map((l) => l.id));
      expect(sum(b, (l) => l.latencyMs)).toBeCloseTo(r.latencyMs, 9);
      expect(sum(b, (l) => l.energyMj)).toBeCloseTo(r.energyMj, 9);
      expect(sum(b, (l) => l.cycles)).toBeCloseTo(r.cycles, 3);
      expect(sum(b, (l) => l.accesses.dram)).toBeCloseTo(r.accesses.dram, 3);
      expect(sum(b, (l) => l.macs)).toBe(networkCost(ir).macs);
      expect(r.macs).toBe(networkCost(ir).macs);
      const split = r.energySplitMj;
      expect(split.mac + split.rf + split.noc + split.glb + split.dram + split.idle).toBeCloseTo(r.energyMj, 12);
      // Without the breakdown flag nothing per layer is returned, and the totals are the same.
      const bare = simulateEyeriss(ir);
      expect(bare.breakdown).toBeUndefined();
      expect(bare.latencyMs).toBe(r.latencyMs);
      expect(bare.energyMj).toBe(r.energyMj);
    }
  });

  it('simulateEyeriss - folds BN into its conv and fuses ReLU after a conv, but runs a stand-alone BN and pre-activation ReLU', () => {
    const b = simulateEyeriss(nb201([3, 3, 3, 3, 3, 3]), EYERISS_CONFIG, { breakdown: true }).breakdown ?? [];
    const get = (name: string) => b.find((l) => l.name === name);
    expect(get('stem.bn')?.mapping).toBe('fused');
    expect(get('stage0.cell0.edge0->1.bn')?.mapping).toBe('fused');
    expect(get('head.bn')?.mapping).toBe('elementwise');
    expect(get('stage0.cell1.edge0->1.relu')?.mapping).toBe('elementwise'); // after the previous cell's add
    expect(get('stage0.cell0.node2.add')?.mapping).toBe('elementwise');
    expect(get('stage0.cell0.node2.add')?.energyMj).toBeGreaterThan(0);
    expect(get('input')?.energyMj).toBe(0);
  });

  it('simulateEyeriss - element-wise layers and FC layers are not compute-bound', () => {
    const b = netBuilder(64, 8);
    const c1 = b.conv(0, { cout: 64, kernel: 3 });
    const s = b.add([0, c1]);
    const g = b.globalAvgPool(s);
    b.linear(g, 1000);
    const r = simulateEyeriss(b.build(), EYERISS_CONFIG, { breakdown: true }).breakdown ?? [];
    for (const l of r.filter((x) => x.type === 'add' || x.type === 'global_avg_pool' || x.type === 'linear')) {
      expect(l.bound).not.toBe('compute');
      expect(l.utilization).toBeLessThan(0.1);
    }
  });

  it('simulateEyeriss - is deterministic', () => {
    const ir = fbnet([7, 6, 5, 4, 3, 2, 1, 0, 8, 7, 6, 5, 4, 3, 2, 1, 0, 8, 7, 6, 5, 4]);
    const a = simulateEyeriss(ir, EYERISS_CONFIG, { breakdown: true });
    const b = simulateEyeriss(fbnet([7, 6, 5, 4, 3, 2, 1, 0, 8, 7, 6, 5, 4, 3, 2, 1, 0, 8, 7, 6, 5, 4]), EYERISS_CONFIG, { breakdown: true });
    expect(b).toEqual(a);
  });

  it('simulateEyeriss - idle power adds 30 mW x latency', () => {
    const ir = nb201([1, 2, 3, 4, 0, 1]);
    const r = simulateEyeriss(ir);
    expect(r.energySplitMj.idle).toBeCloseTo(0.03 * r.latencyMs, 12);
    const noIdle = simulateEyeriss(ir, eyerissConfig({ idlePowerW: 0 }));
    expect(noIdle.energyMj).toBeCloseTo(r.energyMj - r.energySplitMj.idle, 12);
  });

  it('eyerissConfig - merges overrides and rejects invalid values', () => {
    expect(eyerissConfig()).toEqual(EYERISS_CONFIG);
    const cfg = eyerissConfig({ clockHz: 100e6, normalizedEnergy: { dram: 100 } });
    expect(cfg.clockHz).toBe(100e6);
    expect(cfg.normalizedEnergy).toEqual({ mac: 1, rf: 1, noc: 2, glb: 6, dram: 100 });
    // Half the clock: compute-bound layers take twice as long.
    const ir = singleConv(16, 32, { cout: 16, kernel: 3 });
    const slow = simulateEyeriss(ir, eyerissConfig({ clockHz: 100e6, dramBytesPerSec: 1e12 }));
    const fast = simulateEyeriss(ir, eyerissConfig({ dramBytesPerSec: 1e12 }));
    expect(slow.latencyMs).toBeCloseTo(2 * fast.latencyMs, 9);
    expect(() => eyerissConfig({ peRows: 0 })).toThrow(InvalidArgumentError);
    expect(() => eyerissConfig({ peCols: 1.5 })).toThrow(/peCols/);
    expect(() => eyerissConfig({ dramBytesPerSec: Number.NaN })).toThrow(InvalidArgumentError);
    expect(() => eyerissConfig({ normalizedEnergy: { glb: -1 } })).toThrow(/normalizedEnergy\.glb/);
  });
});
