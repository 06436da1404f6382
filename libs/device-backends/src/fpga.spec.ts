import type { Arch, NetworkIR } from '@hwnas/bench-core';
import { InvalidArgumentError, buildNetworkIR, fbnetSpace, nb201Space, networkCost } from '@hwnas/bench-core';
import type { FpgaLayerBreakdown } from './fpga';
import { FPGA_ZC706_CONFIG, fpgaConfig, simulateFpga } from './fpga';
import { netBuilder, singleConv } from './testing/networks';

const nb201 = (arch: Arch, dataset = 'cifar10') => buildNetworkIR(nb201Space, arch, dataset);
const fbnet = (arch: Arch, dataset = 'cifar100') => buildNetworkIR(fbnetSpace, arch, dataset);
const cfg = FPGA_ZC706_CONFIG;
const ddrWordsPerCycle = (cfg.ddrBytesPerSec * cfg.ddrEfficiency) / cfg.wordBytes / cfg.clockHz;
const msPerCycle = 1e3 / cfg.clockHz;

function records(ir: NetworkIR, config = cfg): readonly FpgaLayerBreakdown[] {
  return simulateFpga(ir, config, { breakdown: true }).breakdown ?? [];
}

function sum(list: readonly FpgaLayerBreakdown[], pick: (l: FpgaLayerBreakdown) => number): number {
  return list.reduce((s, l) => s + pick(l), 0);
}

describe('simulateFpga', () => {
  it('simulateFpga - latency and energy rise with the channel count', () => {
    const narrow = simulateFpga(singleConv(16, 32, { cout: 16, kernel: 3 }));
    const wide = simulateFpga(singleConv(32, 32, { cout: 32, kernel: 3 }));
    expect(wide.latencyMs).toBeGreaterThan(narrow.latencyMs);
    expect(wide.energyMj).toBeGreaterThan(narrow.energyMj);
  });

  it('simulateFpga - latency and energy rise with the resolution', () => {
    const small = simulateFpga(singleConv(16, 16, { cout: 16, kernel: 3 }));
    const large = simulateFpga(singleConv(16, 32, { cout: 16, kernel: 3 }));
    expect(large.latencyMs).toBeGreaterThan(small.latencyMs);
    expect(large.energyMj).toBeGreaterThan(small.energyMj);
    for (const arch of [[3, 3, 3, 3, 3, 3], [2, 1, 4, 3, 0, 2], [0, 0, 0, 0, 0, 0]]) {
      const c10 = simulateFpga(nb201(arch, 'cifar10'));
      const in16 = simulateFpga(nb201(arch, 'ImageNet16-120'));
      expect(c10.latencyMs).toBeGreaterThan(in16.latencyMs);
      expect(c10.energyMj).toBeGreaterThan(in16.energyMj);
    }
  });

  it('simulateFpga - NB201 cost orders none < 1x1 < 3x3 cells', () => {
    const none = simulateFpga(nb201([0, 0, 0, 0, 0, 0]));
    const conv1 = simulateFpga(nb201([2, 2, 2, 2, 2, 2]));
    const conv3 = simulateFpga(nb201([3, 3, 3, 3, 3, 3]));
    expect(none.latencyMs).toBeLessThan(conv1.latencyMs);
    expect(conv1.latencyMs).toBeLessThan(conv3.latencyMs);
    expect(none.energyMj).toBeLessThan(conv1.energyMj);
    expect(conv1.energyMj).toBeLessThan(conv3.energyMj);
  });

  it('simulateFpga - a skip FBNet layer costs less than a k5_e6 block', () => {
    const base = new Array<number>(22).fill(0);
    const skip = base.slice();
    skip[2] = 8;
    const heavy = base.slice();
    heavy[2] = 7;
    const a = simulateFpga(fbnet(skip));
    const b = simulateFpga(fbnet(heavy));
    expect(a.latencyMs).toBeLessThan(b.latencyMs);
    expect(a.energyMj).toBeLessThan(b.energyMj);
    expect(sum(records(fbnet(skip)).filter((l) => l.block === 'layer2'), (l) => l.energyMj)).toBe(0);
  });

  it('simulateFpga - weights that exceed the BRAM stream from DDR and the latency follows the bandwidth', () => {
    // 512x512x3x3 = 2.36 M weight words against ~0.63 M words of weight BRAM.
    const ir = singleConv(512, 4, { cout: 512, kernel: 3 });
    const conv = records(ir).find((l) => l.type === 'conv');
    expect(conv?.weightsResident).toBe(false);
    expect(conv?.bound).toBe('ddr');
    // Ifmap in, ofmap out, and the weights once per output row (4 rows).
    const words = 512 * 16 + 512 * 16 + 512 * 512 * 9 * 4;
    expect(conv?.ddrWords).toBe(words);
    const r = simulateFpga(ir);
    expect(r.latencyMs).toBeCloseTo((words / ddrWordsPerCycle + cfg.chunkSwitchCycles) * msPerCycle, 9);
    // With 16 channels everything is on chip and the DSPs set the pace.
    const small = records(singleConv(16, 4, { cout: 16, kernel: 3 })).find((l) => l.type === 'conv');
    expect(small?.weightsResident).toBe(true);
    expect(small?.bound).toBe('compute');
  });

  it('simulateFpga - splits a chunk\'s DSPs among its layers in proportion to their MACs', () => {
    const b = netBuilder(16, 32);
    const c1 = b.conv(0, { cout: 16, kernel: 3 });
    b.conv(c1, { cout: 48, kernel: 3 });
    const convs = records(b.build()).filter((l) => l.type === 'conv');
    expect(convs.map((l) => l.chunk)).toEqual([0, 0]);
    expect(convs.map((l) => l.dsp)).toEqual([225, 675]); // MACs 1 : 3 of 900 DSPs
    // Balanced stages: the unrolled arrays give both layers about the same compute time.
    const [a, c] = convs.map((l) => l.computeCycles);
    expect(Math.max(a, c) / Math.min(a, c)).toBeLessThan(1.5);
    for (const l of convs) expect(l.unrollIn * l.unrollOut * l.unrollWindow).toBeLessThanOrEqual(l.dsp);
  });

  it('simulateFpga - unrolls the kernel window when the channels alone cannot fill the DSPs', () => {
    // 3 input channels x 16 filters: at most 48 lanes without the window, 432 with it.
    const [stem] = records(singleConv(3, 32, { cout: 16, kernel: 3 })).filter((l) => l.type === 'conv');
    expect(stem.dsp).toBe(900);
    expect(stem.unrollWindow).toBe(9);
    expect(stem.unrollIn * stem.unrollOut * stem.unrollWindow).toBe(3 * 16 * 9);
    expect(stem.computeCycles).toBe(32 * 32); // one output pixel per cycle
    // A 1x1 conv has no window to unroll.
    const [pw] = records(singleConv(16, 32, { cout: 16, kernel: 1 })).filter((l) => l.type === 'conv');
    expect(pw.unrollWindow).toBe(1);
  });

  it('simulateFpga - a depthwise conv leaves most DSPs idle: only channels x window taps hold work', () => {
    const dw = (c: number, k: number) => records(singleConv(c, 16, { cout: c, kernel: k, groups: c })).filter((l) => l.type === 'conv')[0];
    const dense = records(singleConv(32, 16, { cout: 32, kernel: 3 })).filter((l) => l.type === 'conv')[0];
    const small = dw(32, 3);
    expect(small.unrollIn).toBe(1);
    expect(small.unrollOut * small.unrollWindow).toBe(32 * 9); // 288 of 900 DSPs
    expect(small.computeCycles).toBe(16 * 16);
    const utilization = (l: FpgaLayerBreakdown) => l.macs / (l.computeCycles * l.dsp);
    expect(utilization(small)).toBeCloseTo(288 / 900, 9);
    expect(utilization(dense)).toBeGreaterThan(2 * utilization(small));
    // A 5x5 window fills more lanes than a 3x3 one: 2.8x the MACs for the same cycles.
    const wide = dw(32, 5);
    expect(wide.computeCycles).toBe(small.computeCycles);
    expect(wide.macs / small.macs).toBeCloseTo(25 / 9, 9);
  });

  it('simulateFpga - pipelines the stages of a chunk, and runs parallel branches side by side', () => {
    const chain = netBuilder(16, 32);
    chain.conv(chain.conv(0, { cout: 16, kernel: 3 }), { cout: 16, kernel: 3 });
    const fork = netBuilder(16, 32);
    fork.add([fork.conv(0, { cout: 16, kernel: 3 }), fork.conv(0, { cout: 16, kernel: 3 })]);
    for (const ir of [chain.build(), fork.build()]) {
      const r = simulateFpga(ir, cfg, { breakdown: true });
      const stages = (r.breakdown ?? []).filter((l) => l.mapping !== 'fused');
      const pipelineCycles = r.cycles - cfg.chunkSwitchCycles - (2 * 16 * 16 * 9) / ddrWordsPerCycle;
      expect(pipelineCycles).toBeLessThan(sum(stages, (l) => l.cycles));
      expect(pipelineCycles).toBeGreaterThanOrEqual(Math.max(...stages.map((l) => l.cycles)));
    }
    expect(simulateFpga(fork.build()).latencyMs).toBeLessThan(simulateFpga(chain.build()).latencyMs);
  });

  it('simulateFpga - a pipeline takes its slowest stage plus the row lags, not the sum of its stages', () => {
    // conv3x3 (padding 1) -> avg-pool 3x3 (padding 1), 32 rows: the pool starts once the conv has
    // produced 3 - 1 = 2 rows and ends one of its own rows after the conv's last row.
    for (const poolFirst of [false, true]) {
      const b = netBuilder(16, 32);
      if (poolFirst) b.conv(b.avgPool(0, 3, 1), { cout: 16, kernel: 3 });
      else b.avgPool(b.conv(0, { cout: 16, kernel: 3 }), 3, 1);
      const r = simulateFpga(b.build(), cfg, { breakdown: true });
      const [first, second] = (r.breakdown ?? []).filter((l) => l.mapping !== 'fused');
      const start = (first.cycles * 2) / 32;
      const pipeline = Math.max(start + second.cycles, first.cycles + second.cycles / 32);
      const weightLoad = (16 * 16 * 9) / ddrWordsPerCycle;
      expect(r.cycles).toBeCloseTo(pipeline + weightLoad + cfg.chunkSwitchCycles, 6);
      const slowest = Math.max(first.cycles, second.cycles);
      expect(pipeline).toBeLessThan(1.1 * slowest);
      expect(pipeline).toBeLessThan(first.cycles + second.cycles);
    }
  });

  it('simulateFpga - chunks are whole blocks with at most maxStagesPerChunk stages', () => {
    for (const max of [16, 4]) {
      const config = fpgaConfig({ maxStagesPerChunk: max });
      const recs = records(nb201([3, 3, 3, 3, 3, 3]), config);
      const stagesPerChunk = new Map<number, number>();
      const chunkOfBlock = new Map<string, number>();
      for (const l of recs) {
        if (l.mapping !== 'fused') stagesPerChunk.set(l.chunk, (stagesPerChunk.get(l.chunk) ?? 0) + 1);
        if (chunkOfBlock.has(l.block)) expect(chunkOfBlock.get(l.block)).toBe(l.chunk);
        chunkOfBlock.set(l.block, l.chunk);
      }
      // A block larger than the bound (a 3x3 cell has 8 stages) must still form a chunk of its own.
      for (const [chunk, n] of stagesPerChunk) {
        const blocks = [...chunkOfBlock].filter(([, c]) => c === chunk).length;
        if (blocks > 1) expect(n).toBeLessThanOrEqual(max);
      }
      expect(simulateFpga(nb201([3, 3, 3, 3, 3, 3]), config).chunks).toBe(stagesPerChunk.size);
    }
    expect(simulateFpga(nb201([3, 3, 3, 3, 3, 3]), fpgaConfig({ maxStagesPerChunk: 4 })).chunks).toBeGreaterThan(simulateFpga(nb201([3, 3, 3, 3, 3, 3])).chunks);
  });

  it('simulateFpga - the per-layer breakdown sums to the totals', () => {
    const nets = [nb201([3, 3, 3, 3, 3, 3]), nb201([1, 4, 0, 2, 3, 1]), nb201([0, 0, 0, 0, 0, 0], 'cifar100'), fbnet(new Array<number>(22).fill(5)), fbnet([0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2, 3], 'ImageNet'), singleConv(512, 4, { cout: 512, kernel: 3 })];
    for (const ir of nets) {
      const r = simulateFpga(ir, cfg, { breakdown: true });
      const b = r.breakdown ?? [];
      expect(b).toHaveLength(ir.layers.length);
      expect(b.map((l) => l.layerId)).toEqual(ir.layers.map((l) => l.id));
      expect(sum(b, (l) => l.latencyMs)).toBeCloseTo(r.latencyMs, 9);
      expect(sum(b, (l) => l.energyMj)).toBeCloseTo(r.energyMj, 9);
      expect(sum(b, (l) => l.macs)).toBe(networkCost(ir).macs);
      expect(r.macs).toBe(networkCost(ir).macs);
      const s = r.energySplitMj;
      expect(s.static + s.dsp + s.clock + s.bram + s.ddr + s.fabric).toBeCloseTo(r.energyMj, 12);
      expect(s.static).toBeCloseTo(cfg.power.staticW * r.latencyMs, 12);
      const bare = simulateFpga(ir);
      expect(bare.breakdown).toBeUndefined();
      expect(bare.latencyMs).toBe(r.latencyMs);
      expect(bare.energyMj).toBe(r.energyMj);
    }
  });

  it('simulateFpga - folds BN and ReLU into the stream; adds and pools are fabric stages', () => {
    const b = records(nb201([3, 4, 3, 1, 3, 3]));
    const get = (name: string) => b.find((l) => l.name === name);
    expect(get('stem.bn')?.mapping).toBe('fused');
    expect(get('stage0.cell1.edge0->1.relu')?.mapping).toBe('fused');
    expect(get('head.bn')?.mapping).toBe('fabric');
    expect(get('stage0.cell0.edge0->2.pool')?.mapping).toBe('fabric');
    expect(get('stage0.cell0.node2.add')?.mapping).toBe('fabric');
    expect(get('stem.conv')?.mapping).toBe('dsp');
  });

  it('simulateFpga - is deterministic', () => {
    const arch = [7, 6, 5, 4, 3, 2, 1, 0, 8, 7, 6, 5, 4, 3, 2, 1, 0, 8, 7, 6, 5, 4];
    expect(simulateFpga(fbnet(arch), cfg, { breakdown: true })).toEqual(simulateFpga(fbnet(arch), cfg, { breakdown: true }));
  });

  it('fpgaConfig - merges overrides and rejects invalid values', () => {
    expect(fpgaConfig()).toEqual(FPGA_ZC706_CONFIG);
    const c = fpgaConfig({ dspCount: 2520, power: { staticW: 1 } });
    expect(c.dspCount).toBe(2520);
    expect(c.power).toEqual({ ...FPGA_ZC706_CONFIG.power, staticW: 1 });
    // More DSPs never slow a compute-bound network down.
    const ir = nb201([3, 3, 3, 3, 3, 3]);
    expect(simulateFpga(ir, c).latencyMs).toBeLessThan(simulateFpga(ir).latencyMs);
    expect(() => fpgaConfig({ dspCount: 0 })).toThrow(InvalidArgumentError);
    expect(() => fpgaConfig({ ddrEfficiency: 1.5 })).toThrow(/ddrEfficiency/);
    expect(() => fpgaConfig({ maxStagesPerChunk: 2.5 })).toThrow(/maxStagesPerChunk/);
    expect(() => fpgaConfig({ power: { ddrPjPerBit: -1 } })).toThrow(/power\.ddrPjPerBit/);
  });
});
