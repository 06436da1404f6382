import type { Layer, NetworkIR } from '@hwnas/bench-core';
import { InvalidArgumentError } from '@hwnas/bench-core';
import type { LayerBreakdown } from './backend';
import { invalidConfigEntries, isFoldedBn, layerMacs, outElems, weightWords } from './layer-roles';

/** Energy per 16-bit access of each level, in units of one MAC (the ISCA'16 normalization). */
export interface EyerissEnergyTable {
  readonly mac: number;
  readonly rf: number;
  readonly noc: number;
  readonly glb: number;
  readonly dram: number;
}

/**
 * Constants of the Eyeriss model. Every default in {@link EYERISS_CONFIG} is a published
 * architecture constant, except the three GLB<->array bus widths (a stated assumption) and the
 * DRAM bandwidth (from a secondary source); see there.
 */
export interface EyerissConfig {
  /** PE array rows (filter rows map onto them). */
  readonly peRows: number;
  /** PE array columns (output rows map onto them). */
  readonly peCols: number;
  /** Global buffer capacity in bytes (ifmaps, psums and streaming weights). */
  readonly glbBytes: number;
  /** Bytes per data word (16-bit fixed point). */
  readonly wordBytes: number;
  /** Per-PE filter scratchpad, words. */
  readonly filterSpadWords: number;
  /** Per-PE ifmap scratchpad, words. */
  readonly ifmapSpadWords: number;
  /** Per-PE partial-sum scratchpad, words. */
  readonly psumSpadWords: number;
  /** Core clock, Hz. */
  readonly clockHz: number;
  /** Words per cycle the GLB can deliver to the array for ifmaps (multicast counts once). */
  readonly ifmapBusWordsPerCycle: number;
  /** Words per cycle the GLB can deliver to the array for filters. */
  readonly filterBusWordsPerCycle: number;
  /** Words per cycle of psums between the array and the GLB (reads and writes together). */
  readonly psumBusWordsPerCycle: number;
  /** Off-chip (DRAM) bandwidth, bytes per second. */
  readonly dramBytesPerSec: number;
  /** Normalized energy per access (MAC = 1). */
  readonly normalizedEnergy: EyerissEnergyTable;
  /** Picojoules of one normalized energy unit (the energy of one 16-bit MAC). */
  readonly energyUnitPj: number;
  /** Static/idle power drawn for the whole latency, watts. */
  readonly idlePowerW: number;
}

/**
 * The Eyeriss v1 chip (Chen et al., ISSCC'16 / JSSC'17; constants as in METHODS §0.3):
 * - 12 x 14 = 168 PEs, 16-bit fixed point, 200 MHz core clock;
 * - 108 kB global buffer; per-PE scratchpads of 224 filter, 12 ifmap and 24 psum words;
 * - off-chip link: 64-bit data bus on a 90 MHz link clock = 720 MB/s (JSSC'17 block diagram, via
 *   third-party summaries: treat it as [S]);
 * - energy: the ISCA'16 normalized costs MAC 1, RF 1, NoC 2, GLB 6, DRAM 200, with one unit = the
 *   chip's 2 pJ 16-bit MAC. That gives RF 2 / NoC 4 / GLB 12 / DRAM 400 pJ against the chip's own
 *   1 / 4 / 15 / 460 pJ: within 25% except the RF (2 vs 1 pJ), which the normalized model prices
 *   like a MAC. We convert through the MAC because the normalization is defined relative to it.
 * - idle power 30 mW (METHODS §0.3).
 * - [R] assumption, not published in what we have: the GLB feeds the array over 64-bit (4-word)
 *   buses for ifmaps, filters and psums, the same width as the chip's data path to DRAM.
 */
export const EYERISS_CONFIG: EyerissConfig = Object.freeze({
  peRows: 12,
  peCols: 14,
  glbBytes: 108 * 1024,
  wordBytes: 2,
  filterSpadWords: 224,
  ifmapSpadWords: 12,
  psumSpadWords: 24,
  clockHz: 200e6,
  ifmapBusWordsPerCycle: 4,
  filterBusWordsPerCycle: 4,
  psumBusWordsPerCycle: 4,
  dramBytesPerSec: 64 / 8 * 90e6,
  normalizedEnergy: Object.freeze({ mac: 1, rf: 1, noc: 2, glb: 6, dram: 200 }),
  energyUnitPj: 2,
  idlePowerW: 0.03,
});

/** Accesses (16-bit words) per level of the memory hierarchy. */
export interface MemoryAccesses {
  readonly dram: number;
  readonly glb: number;
  readonly noc: number;
  readonly rf: number;
}

/** Energy split by where it is spent, millijoules. */
export interface EyerissEnergySplit {
  readonly mac: number;
  readonly rf: number;
  readonly noc: number;
  readonly glb: number;
  readonly dram: number;
  readonly idle: number;
}

/**
 * What limits a layer: `compute` (PE-array cycles at the achieved mapping), `noc` (GLB<->array
 * delivery of ifmaps, filters or psums), `dram` (off-chip transfers), `none` (a fused layer).
 */
export type EyerissBound = 'compute' | 'noc' | 'dram' | 'none';

/** One layer of an Eyeriss simulation. */
export interface EyerissLayerBreakdown extends LayerBreakdown {
  /**
   * `row_stationary`: conv, linear and pooling mapped onto the PE array; `elementwise`: add,
   * stand-alone BN/ReLU and global pooling streamed through the array; `fused`: costs nothing by
   * itself (BN folded into its conv, ReLU on the ofmap write path, shuffles and concats in addressing).
   */
  readonly mapping: 'row_stationary' | 'elementwise' | 'fused';
  /** ALU operations executed: MACs, adds, compares. */
  readonly ops: number;
  readonly accesses: MemoryAccesses;
  /** Fraction of PEs holding work in a processing pass (mapping only, before any stall). */
  readonly spatialUtilization: number;
  /** ops / (PE-array cycles x PEs): the array's efficiency ignoring DRAM stalls. */
  readonly arrayUtilization: number;
  /** ops / (layer cycles x PEs): achieved, DRAM stalls included. */
  readonly utilization: number;
  readonly bound: EyerissBound;
}

/** Totals of one Eyeriss simulation. Returned objects are fresh; treat them as frozen. */
export interface EyerissResult {
  readonly latencyMs: number;
  readonly energyMj: number;
  readonly cycles: number;
  readonly macs: number;
  readonly accesses: MemoryAccesses;
  readonly energySplitMj: EyerissEnergySplit;
  /** Per-layer records in IR order (every layer, fused ones with zero cost); only when asked. */
  readonly breakdown?: readonly EyerissLayerBreakdown[];
}

/** Options of a simulation run. */
export interface SimulateOptions {
  /** Build the per-layer breakdown (default false: the bulk path allocates nothing per layer). */
  readonly breakdown?: boolean;
}

/**
 * {@link EYERISS_CONFIG} with `overrides` applied (the energy table is merged key by key).
 * Throws InvalidArgumentError when a value is not a finite non-negative number or a size is 0.
 */
export function eyerissConfig(overrides: Partial<Omit<EyerissConfig, 'normalizedEnergy'>> & { normalizedEnergy?: Partial<EyerissEnergyTable> } = {}): EyerissConfig {
  const cfg: EyerissConfig = {
    ...EYERISS_CONFIG,
    ...overrides,
    normalizedEnergy: { ...EYERISS_CONFIG.normalizedEnergy, ...overrides.normalizedEnergy },
  };
  const bad = invalidConfigEntries(cfg);
  for (const k of ['peRows', 'peCols', 'glbBytes', 'wordBytes', 'filterSpadWords', 'ifmapSpadWords', 'psumSpadWords', 'clockHz', 'ifmapBusWordsPerCycle', 'filterBusWordsPerCycle', 'psumBusWordsPerCycle', 'dramBytesPerSec'] as const) {
    if (!(cfg[k] > 0) && !bad.includes(k)) bad.push(k);
  }
  for (const k of ['peRows', 'peCols', 'filterSpadWords', 'ifmapSpadWords', 'psumSpadWords'] as const) {
    if (!Number.isInteger(cfg[k]) && !bad.includes(k)) bad.push(k);
  }
  if (bad.length > 0) throw new InvalidArgumentError(`invalid Eyeriss config: ${bad.join(', ')} must be finite, non-negative numbers (sizes positive integers)`);
  return Object.freeze(cfg);
}

/** Per-layer counters, reused across the layers of one run so the bulk path does not allocate. */
interface Counts {
  ops: number;
  arrayCycles: number;
  dram: number;
  glb: number;
  noc: number;
  rf: number;
  spatial: number;
  nocBound: boolean;
}

/**
 * Maps one conv-like layer onto the array with the row-stationary dataflow (Chen et al.,
 * ISCA'16) and fills `c` with its array cycles and GLB/NoC/RF accesses (no DRAM).
 *
 * - A logical PE set is R filter rows x E output rows; each PE runs a 1-D convolution of one
 *   filter row over one ifmap row. Sets taller than the array are folded (R > rows), wider ones
 *   are cut into strips of at most `peCols` output rows; small sets are replicated, `r` stacked
 *   sets accumulating different input channels into the same psums (vertical psum chain) and
 *   `t` sets working on different filters, strips or groups. The mapper picks the (r, t) with
 *   the fewest cycles.
 * - Each PE interleaves q input channels and p filters in its scratchpads:
 *   q*S <= ifmap spad, p*q*S <= filter spad, p <= psum spad (balanced blocks, so no empty tail).
 * - A pass runs p*q*S*F MACs per PE and needs its ifmap rows, filter rows and psums moved over
 *   the GLB buses; a pass takes the longer of the two (delivery overlaps compute).
 *
 * Depthwise convs and pooling (one channel per group) get no input-channel accumulation and no
 * ifmap sharing between filters, so they end up NoC-bound at low utilization; 1x1 convs and FC
 * layers (R = 1, E small) leave PEs idle because there are too few sets' worth of work.
 */
function rowStationary(
  cfg: EyerissConfig,
  c: Counts,
  groups: number,
  m: number,
  ch: number,
  k: number,
  stride: number,
  e0: number,
  f: number,
  hasFilters: boolean,
  ops: number,
): void {
  const rows = cfg.peRows;
  const cols = cfg.peCols;
  const numPe = rows * cols;
  // Scratchpad blocking (balanced, so the last block is not nearly empty).
  const qMax = Math.max(1, Math.floor(cfg.ifmapSpadWords / k));
  const nC = Math.ceil(ch / qMax);
  const q = Math.ceil(ch / nC);
  const pMax = hasFilters ? Math.max(1, Math.min(cfg.psumSpadWords, Math.floor(cfg.filterSpadWords / (q * k)))) : 1;
  const nM = Math.ceil(m / pMax);
  const p = Math.ceil(m / nM);
  // Logical PE set (rr rows x e columns) after folding.
  const folds = Math.ceil(k / rows);
  const rr = Math.ceil(k / folds);
  const strips = Math.ceil(e0 / cols);
  const e = Math.ceil(e0 / strips);
  const sv = Math.floor(rows / rr);
  const sh = Math.floor(cols / e);
  const chain = nC * folds; // blocks that accumulate into the same psums
  const outBlocks = groups * nM * strips; // independent psum blocks
  const wIn = (f - 1) * stride + k; // ifmap row span a PE reads (padding included)
  const rowsIn = (e - 1) * stride + rr; // ifmap rows a set reads: diagonal reuse across its PEs
  const passCompute = p * q * k * f;
  const filterPerSet = hasFilters ? rr * p * q * k : 0;
  const outPerSet = e * p * f;

  let bestCycles = Infinity;
  let bestR = 1;
  let bestT = 1;
  let bestIf = 0;
  let bestF = 0;
  let bestTraffic = Infinity;
  let bestNocBound = false;
  const rMax = Math.min(sv, chain);
  for (let r = 1; r <= rMax; r++) {
    const t = Math.min(Math.floor(sv / r) * sh, outBlocks);
    const passesIn = Math.ceil(chain / r);
    const passes = passesIn * Math.ceil(outBlocks / t);
    // Sets on different filters of the same group and strip share (multicast) the ifmap rows;
    // sets on different strips of the same filters share the filter rows.
    const ifShare = Math.min(t, nM);
    const fShare = t > nM ? Math.min(strips, Math.floor(t / nM)) : 1;
    const ifWords = r * (t / ifShare) * rowsIn * q * wIn;
    const fWords = r * (t / fShare) * filterPerSet;
    // Psums leave once per pass and, except after the first pass of a chain, come back.
    const psumWords = t * outPerSet * (passesIn > 1 ? 2 - 1 / passesIn : 1);
    const delivery = Math.max(ifWords / cfg.ifmapBusWordsPerCycle, fWords / cfg.filterBusWordsPerCycle, psumWords / cfg.psumBusWordsPerCycle);
    const cycles = passes * Math.max(passCompute, delivery);
    const traffic = (ifWords + fWords) * (chain / r) * (outBlocks / t);
    if (cycles < bestCycles || (cycles === bestCycles && traffic < bestTraffic)) {
      bestCycles = cycles;
      bestTraffic = traffic;
      bestR = r;
      bestT = t;
      bestIf = ifWords;
      bestF = fWords;
      bestNocBound = delivery > passCompute;
    }
  }

  const r = bestR;
  const t = bestT;
  const passesIn = Math.ceil(chain / r);
  const fracPasses = (chain / r) * (outBlocks / t); // traffic follows real work, not ceil'd passes
  const activePes = r * t * rr * e;
  const ifGlb = bestIf * fracPasses;
  const fGlb = bestF * fracPasses;
  const psumOut = outBlocks * outPerSet * passesIn;
  const psumIn = outBlocks * outPerSet * (passesIn - 1);
  const ifDeliver = activePes * q * wIn * fracPasses;
  const fDeliver = hasFilters ? activePes * p * q * k * fracPasses : 0;
  const psumHops = Math.max(0, r * rr - 1) * t * e * p * f * fracPasses;

  c.ops = ops;
  c.arrayCycles = bestCycles;
  c.glb = ifGlb + fGlb + psumOut + psumIn;
  c.noc = ifDeliver + fDeliver + psumHops + psumOut + psumIn;
  // Per MAC: filter, ifmap and psum reads plus the psum write; plus writing what arrives.
  c.rf = 4 * ops + ifDeliver + fDeliver + psumHops + psumIn;
  c.spatial = activePes / numPe;
  c.nocBound = bestNocBound;
}

/**
 * DRAM words a conv-like layer moves, given what fits the GLB.
 * - The ifmap of one group plus one output plane fits: the ifmap stays resident while filters and
 *   output channels stream through, so every word crosses the chip boundary once.
 * - Otherwise the cheaper of: output-row tiles (weights re-read per tile, halo rows ignored) or
 *   output-channel tiles (psum planes resident, the ifmap re-read per tile).
 */
function convDram(glbWords: number, ifmapPerGroup: number, ifmap: number, ofmap: number, weights: number, plane: number, cout: number): number {
  if (ifmapPerGroup + plane <= glbWords) return ifmap + weights + ofmap;
  const rowTiles = Math.ceil((ifmapPerGroup + plane) / glbWords);
  const byRows = ifmap + ofmap + weights * rowTiles;
  const planes = Math.floor(glbWords / plane);
  const byChannels = planes >= 1 ? ifmap * Math.ceil(cout / planes) + weights + ofmap : Infinity;
  return Math.min(byRows, byChannels);
}

/**
 * Streams an element-wise layer (add, stand-alone BN or ReLU, global pooling) through the array:
 * inputs come from DRAM via the GLB over the ifmap bus, results return over the psum bus. There
 * is no data reuse, so the buses (and DRAM) set the pace, not the 168 ALUs.
 */
function elementwise(cfg: EyerissConfig, c: Counts, ins: number, out: number, ops: number): void {
  const numPe = cfg.peRows * cfg.peCols;
  const bus = Math.max(ins / cfg.ifmapBusWordsPerCycle, out / cfg.psumBusWordsPerCycle);
  const alu = ops / numPe;
  c.ops = ops;
  c.arrayCycles = Math.max(bus, alu);
  c.dram = ins + out;
  c.glb = ins + out; // GLB -> array and array -> GLB (the DRAM side is added by the caller)
  c.noc = ins + out;
  c.rf = ins + out + ops;
  c.spatial = c.arrayCycles > 0 ? ops / (c.arrayCycles * numPe) : 0;
  c.nocBound = bus > alu;
}

/** True when a ReLU runs on the ofmap write path of the conv/linear (or folded BN) feeding it. */
function isFusedRelu(ir: NetworkIR, layer: Layer): boolean {
  const src = ir.layers[layer.inputs[0]];
  return src.type === 'conv' || src.type === 'linear' || isFoldedBn(ir, src);
}

/**
 * Fills `c` for one layer; returns false when the layer costs nothing by itself.
 * Every layer that runs reads its inputs from DRAM and writes its output back: Eyeriss processes
 * a network layer by layer and its 108 kB GLB is scratch space for the current layer only.
 */
function layerCounts(cfg: EyerissConfig, ir: NetworkIR, layer: Layer, c: Counts, glbWords: number): boolean {
  c.ops = c.arrayCycles = c.dram = c.glb = c.noc = c.rf = c.spatial = 0;
  c.nocBound = false;
  switch (layer.type) {
    case 'conv': {
      const inShape = ir.layers[layer.inputs[0]].outShape;
      const g = layer.groups;
      const ch = layer.cin / g;
      const o = layer.outShape;
      const macs = layerMacs(layer);
      rowStationary(cfg, c, g, layer.cout / g, ch, layer.kernel, layer.stride, o.h, o.w, true, macs);
      const ifmapPerGroup = ch * inShape.h * inShape.w;
      c.dram = convDram(glbWords, ifmapPerGroup, layer.cin * inShape.h * inShape.w, outElems(layer), weightWords(layer), o.h * o.w, layer.cout);
      return true;
    }
    case 'linear': {
      // An FC layer is a 1x1 conv on a 1x1 map: every weight is used once, so it is DRAM-bound.
      rowStationary(cfg, c, 1, layer.outFeatures, layer.inFeatures, 1, 1, 1, 1, true, layerMacs(layer));
      c.dram = convDram(glbWords, layer.inFeatures, layer.inFeatures, layer.outFeatures, weightWords(layer), 1, layer.outFeatures);
      return true;
    }
    case 'avg_pool':
    case 'max_pool': {
      // Pooling is a depthwise conv with fixed (avg) or no (max) weights: one channel per group,
      // nothing to accumulate across channels, so psum traffic and ifmap delivery dominate.
      const inShape = ir.layers[layer.inputs[0]].outShape;
      const o = layer.outShape;
      const ops = o.c * o.h * o.w * layer.kernel * layer.kernel;
      rowStationary(cfg, c, o.c, 1, 1, layer.kernel, layer.stride, o.h, o.w, false, ops);
      c.dram = convDram(glbWords, inShape.h * inShape.w, inShape.c * inShape.h * inShape.w, outElems(layer), 0, o.h * o.w, o.c);
      return true;
    }
    case 'add': {
      const out = outElems(layer);
      elementwise(cfg, c, out * layer.inputs.length, out, out * (layer.inputs.length - 1));
      return true;
    }
    case 'bn': {
      if (isFoldedBn(ir, layer)) return false;
      const out = outElems(layer);
      elementwise(cfg, c, out + 2 * layer.channels, out, out);
      return true;
    }
    case 'relu': {
      if (isFusedRelu(ir, layer)) return false;
      const out = outElems(layer);
      elementwise(cfg, c, out, out, out);
      return true;
    }
    case 'global_avg_pool': {
      const ins = outElems(ir.layers[layer.inputs[0]]);
      elementwise(cfg, c, ins, outElems(layer), ins);
      return true;
    }
    // Shuffles and concats are address patterns of the ofmap write; zeros and the input cost
    // nothing by themselves (their consumers pay for reading them).
    case 'channel_shuffle':
    case 'concat':
    case 'zero':
    case 'input':
      return false;
  }
}

/**
 * Simulates `ir` on the Eyeriss row-stationary accelerator at batch size 1 and returns latency,
 * energy and accesses per memory level, plus the per-layer breakdown when asked.
 *
 * Model (all constants from `config`, nothing fitted to per-architecture numbers):
 * - conv, depthwise/group conv, 1x1, FC and pooling: row-stationary mapping (see `rowStationary`);
 *   array cycles = passes x max(compute, GLB<->array delivery).
 * - add, stand-alone BN and ReLU, global pooling: streamed through the array, bus-bound.
 * - BN after a conv/FC is folded into it; ReLU after a conv/FC runs on the ofmap write path; both
 *   are then free. A pre-activation ReLU (NAS-Bench-201's ReLU->conv) is a layer of its own.
 *   Simplification: a fused ReLU's producer writes one copy, even when another consumer needs the
 *   un-rectified value too (NB201's stem output also feeding skip edges); that extra write is not
 *   counted.
 * - DRAM: every layer that runs reads its inputs and writes its output off-chip; conv-like layers
 *   re-read weights or ifmaps when the working set exceeds the GLB (see `convDram`).
 * - layer cycles = max(array cycles, DRAM words / DRAM bandwidth): DRAM transfers overlap compute.
 * - energy = sum over levels of accesses x normalized cost x energyUnitPj, + MACs/ALU ops x MAC
 *   cost, + idle power x latency. Activation sparsity (RLC compression, zero gating) is not
 *   modelled: it is data-dependent.
 *
 * Pure and deterministic. `config` should come from {@link eyerissConfig} (it is not re-validated
 * here, to keep bulk runs cheap). Per-layer records sum to the totals up to float rounding.
 */
export function simulateEyeriss(ir: NetworkIR, config: EyerissConfig = EYERISS_CONFIG, options: SimulateOptions = {}): EyerissResult {
  const cfg = config;
  const numPe = cfg.peRows * cfg.peCols;
  const glbWords = cfg.glbBytes / cfg.wordBytes;
  const dramWordsPerCycle = cfg.dramBytesPerSec / cfg.wordBytes / cfg.clockHz;
  const en = cfg.normalizedEnergy;
  const unit = cfg.energyUnitPj * 1e-9; // pJ -> mJ
  const eMac = en.mac * unit;
  const eRf = en.rf * unit;
  const eNoc = en.noc * unit;
  const eGlb = en.glb * unit;
  const eDram = en.dram * unit;
  const idleMjPerCycle = (cfg.idlePowerW / cfg.clockHz) * 1e3;
  const msPerCycle = 1e3 / cfg.clockHz;
  const breakdown: EyerissLayerBreakdown[] | undefined = options.breakdown ? [] : undefined;

  const c: Counts = { ops: 0, arrayCycles: 0, dram: 0, glb: 0, noc: 0, rf: 0, spatial: 0, nocBound: false };
  let cycles = 0;
  let macs = 0;
  let dram = 0;
  let glb = 0;
  let noc = 0;
  let rf = 0;
  let eOps = 0;
  const layers = ir.layers;
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i];
    const lm = layerMacs(layer);
    macs += lm;
    if (!layerCounts(cfg, ir, layer, c, glbWords)) {
      if (breakdown) breakdown.push(fusedRecord(layer));
      continue;
    }
    // Every DRAM word passes through the GLB once (filled from or drained to DRAM).
    const lglb = c.glb + c.dram;
    const dramCycles = c.dram / dramWordsPerCycle;
    const lcycles = Math.max(c.arrayCycles, dramCycles);
    cycles += lcycles;
    dram += c.dram;
    glb += lglb;
    noc += c.noc;
    rf += c.rf;
    eOps += c.ops;
    if (breakdown) {
      const energyMj = c.ops * eMac + c.rf * eRf + c.noc * eNoc + lglb * eGlb + c.dram * eDram + lcycles * idleMjPerCycle;
      breakdown.push({
        layerId: layer.id,
        name: layer.name,
        block: layer.block,
        type: layer.type,
        macs: lm,
        cycles: lcycles,
        latencyMs: lcycles * msPerCycle,
        energyMj,
        mapping: layer.type === 'conv' || layer.type === 'linear' || layer.type === 'avg_pool' || layer.type === 'max_pool' ? 'row_stationary' : 'elementwise',
        ops: c.ops,
        accesses: { dram: c.dram, glb: lglb, noc: c.noc, rf: c.rf },
        spatialUtilization: c.spatial,
        arrayUtilization: c.arrayCycles > 0 ? c.ops / (c.arrayCycles * numPe) : 0,
        utilization: lcycles > 0 ? c.ops / (lcycles * numPe) : 0,
        bound: dramCycles > c.arrayCycles ? 'dram' : c.nocBound ? 'noc' : 'compute',
      });
    }
  }
  const split: EyerissEnergySplit = {
    mac: eOps * eMac,
    rf: rf * eRf,
    noc: noc * eNoc,
    glb: glb * eGlb,
    dram: dram * eDram,
    idle: cycles * idleMjPerCycle,
  };
  return {
    latencyMs: cycles * msPerCycle,
    energyMj: split.mac + split.rf + split.noc + split.glb + split.dram + split.idle,
    cycles,
    macs,
    accesses: { dram, glb, noc, rf },
    energySplitMj: split,
    breakdown,
  };
}

function fusedRecord(layer: Layer): EyerissLayerBreakdown {
  return {
    layerId: layer.id,
    name: layer.name,
    block: layer.block,
    type: layer.type,
    macs: 0,
    cycles: 0,
    latencyMs: 0,
    energyMj: 0,
    mapping: 'fused',
    ops: 0,
    accesses: { dram: 0, glb: 0, noc: 0, rf: 0 },
    spatialUtilization: 0,
    arrayUtilization: 0,
    utilization: 0,
    bound: 'none',
  };
}
