import type { Layer, NetworkIR } from '@hwnas/bench-core';
import { InvalidArgumentError } from '@hwnas/bench-core';
import type { LayerBreakdown } from './backend';
import type { SimulateOptions } from './eyeriss';
import { invalidConfigEntries, isFoldedBn, layerMacs, outElems, weightWords } from './layer-roles';

/**
 * Power constants of the FPGA model. Xilinx Power Estimator (XPE)-class ballpark figures for a
 * Zynq-7045 at 200 MHz and typical toggle rates, and Micron DDR3 power-calculator-class figures for
 * the memory: they are not measurements of any design, and no per-architecture number was fitted.
 */
export interface FpgaPowerModel {
  /** Always-on power: PL static (~0.25 W) plus DDR3 background/refresh (~0.25 W), watts. */
  readonly staticW: number;
  /** Dynamic energy of one 16-bit MAC in a DSP48E1 with its operand routing, pJ (~1 mW per busy DSP at 200 MHz). */
  readonly dspMacPj: number;
  /** Clock-tree and control power of each DSP allocated to the running chunk, busy or not, watts. */
  readonly dspClockW: number;
  /** Power of each BRAM36 holding data of the running chunk (clocked, ~50% port enable), watts. */
  readonly bramW: number;
  /** DDR3 access energy (array, I/O and the controller PHY), pJ per bit moved. */
  readonly ddrPjPerBit: number;
  /** Energy of one element-wise operation in LUT fabric (adders, comparators), pJ. */
  readonly fabricOpPj: number;
}

/** Constants of the FPGA model; see {@link FPGA_ZC706_CONFIG}. */
export interface FpgaConfig {
  /** DSP slices available to the accelerator. */
  readonly dspCount: number;
  /** 36 Kb block RAMs available. */
  readonly bram36Count: number;
  /** Bits per BRAM36. */
  readonly bram36Bits: number;
  /** Accelerator clock, Hz. */
  readonly clockHz: number;
  /** Bytes per data word (16-bit fixed point: one MAC per DSP per cycle). */
  readonly wordBytes: number;
  /** Peak DDR bandwidth of the PL memory interface, bytes per second. */
  readonly ddrBytesPerSec: number;
  /** Sustained fraction of the DDR peak for long bursts. */
  readonly ddrEfficiency: number;
  /** Share of the BRAM reserved for weights; the rest holds feature-map line buffers. */
  readonly weightBramFraction: number;
  /** Most pipeline stages (non-fused layers) one chunk may hold. */
  readonly maxStagesPerChunk: number;
  /** Elements per cycle of each element-wise stage (pooling, add, stand-alone BN) built from LUTs. */
  readonly elementwiseLanes: number;
  /** Cycles to switch chunks (drain the pipeline, reprogram the stage controllers and DMA). */
  readonly chunkSwitchCycles: number;
  readonly power: FpgaPowerModel;
}

/**
 * A Xilinx ZC706 board (Zynq-7000 XC7Z045): 900 DSP48E1, 545 BRAM36 (19.1 Mb), 64-bit DDR3-1600
 * SODIMM on the PL side (12.8 GB/s peak), from the Zynq-7000 product table and the ZC706 user
 * guide. Assumptions [R]: 200 MHz accelerator clock, 16-bit fixed point, 80% sustained DDR
 * efficiency (typical of the MIG controller on long bursts), half the BRAM for weights, 16 stages
 * per chunk, 32-lane element-wise stages, 2000 cycles (10 us) per chunk switch. Power: see
 * {@link FpgaPowerModel}.
 */
export const FPGA_ZC706_CONFIG: FpgaConfig = Object.freeze({
  dspCount: 900,
  bram36Count: 545,
  bram36Bits: 36 * 1024,
  clockHz: 200e6,
  wordBytes: 2,
  ddrBytesPerSec: 12.8e9,
  ddrEfficiency: 0.8,
  weightBramFraction: 0.5,
  maxStagesPerChunk: 16,
  elementwiseLanes: 32,
  chunkSwitchCycles: 2000,
  power: Object.freeze({ staticW: 0.5, dspMacPj: 5, dspClockW: 0.0002, bramW: 0.0005, ddrPjPerBit: 40, fabricOpPj: 1 }),
});

/** Energy split by where it is spent, millijoules. */
export interface FpgaEnergySplit {
  readonly static: number;
  readonly dsp: number;
  readonly clock: number;
  readonly bram: number;
  readonly ddr: number;
  readonly fabric: number;
}

/** What limits a pipeline stage: its DSP/LUT compute, its DDR traffic, or nothing (fused). */
export type FpgaBound = 'compute' | 'ddr' | 'none';

/** One layer of an FPGA simulation. */
export interface FpgaLayerBreakdown extends LayerBreakdown {
  /** Index of the chunk (group of consecutive blocks sharing the device) the layer runs in. */
  readonly chunk: number;
  /** `dsp`: conv/linear on DSPs; `fabric`: element-wise stage in LUTs; `fused`: no stage of its own. */
  readonly mapping: 'dsp' | 'fabric' | 'fused';
  /** DSPs allocated to the layer (0 unless `dsp`). */
  readonly dsp: number;
  /** Input-channel and output-channel unrolling of the layer's DSP array. */
  readonly unrollIn: number;
  readonly unrollOut: number;
  /** Kernel-window taps unrolled (1: the window is iterated; k*k: all taps at once; 0 unless `dsp`). */
  readonly unrollWindow: number;
  /** Cycles of compute alone; `cycles` is max(compute, DDR) for the stage. */
  readonly computeCycles: number;
  /** DDR words the stage moves while it runs (ifmaps from, ofmaps to, streamed weights). */
  readonly ddrWords: number;
  /** Whether the layer's weights sit in BRAM (loaded when its chunk starts) or stream from DDR. */
  readonly weightsResident: boolean;
  readonly bound: FpgaBound;
}

/** Totals of one FPGA simulation. Returned objects are fresh; treat them as frozen. */
export interface FpgaResult {
  readonly latencyMs: number;
  readonly energyMj: number;
  readonly cycles: number;
  readonly macs: number;
  readonly chunks: number;
  /** DDR words moved, weight loading included. */
  readonly ddrWords: number;
  readonly energySplitMj: FpgaEnergySplit;
  /** Per-layer records in IR order (fused layers with zero cost); only when asked. */
  readonly breakdown?: readonly FpgaLayerBreakdown[];
}

type FpgaOverrides = Partial<Omit<FpgaConfig, 'power'>> & { power?: Partial<FpgaPowerModel> };

/**
 * {@link FPGA_ZC706_CONFIG} with `overrides` applied (the power model is merged key by key).
 * Throws InvalidArgumentError when a value is not a finite non-negative number, a resource count
 * or bandwidth is 0, or a fraction lies outside (0, 1].
 */
export function fpgaConfig(overrides: FpgaOverrides = {}): FpgaConfig {
  const cfg: FpgaConfig = { ...FPGA_ZC706_CONFIG, ...overrides, power: { ...FPGA_ZC706_CONFIG.power, ...overrides.power } };
  const bad = invalidConfigEntries(cfg);
  for (const k of ['dspCount', 'bram36Count', 'bram36Bits', 'clockHz', 'wordBytes', 'ddrBytesPerSec', 'ddrEfficiency', 'weightBramFraction', 'maxStagesPerChunk', 'elementwiseLanes'] as const) {
    if (!(cfg[k] > 0) && !bad.includes(k)) bad.push(k);
  }
  for (const k of ['dspCount', 'bram36Count', 'maxStagesPerChunk', 'elementwiseLanes'] as const) {
    if (!Number.isInteger(cfg[k]) && !bad.includes(k)) bad.push(k);
  }
  for (const k of ['ddrEfficiency', 'weightBramFraction'] as const) if (cfg[k] > 1 && !bad.includes(k)) bad.push(k);
  if (bad.length > 0) throw new InvalidArgumentError(`invalid FPGA config: ${bad.join(', ')} out of range (finite, non-negative; counts positive integers; fractions in (0, 1])`);
  return Object.freeze(cfg);
}

// Layer kinds on the FPGA.
const FUSED = 0;
const DSP = 1;
const FABRIC = 2;

/**
 * FUSED layers get no stage: BN after conv/linear is folded into it, ReLU is a comparator on the
 * stream of whatever consumes it, a channel shuffle is wiring, zeros are constants. A concat is a
 * (cheap) fabric stage that merges its input streams, so fused layers always have one input.
 */
function kindOf(ir: NetworkIR, layer: Layer): number {
  switch (layer.type) {
    case 'conv':
    case 'linear':
      return DSP;
    case 'avg_pool':
    case 'max_pool':
    case 'add':
    case 'concat':
    case 'global_avg_pool':
      return FABRIC;
    case 'bn':
      return isFoldedBn(ir, layer) ? FUSED : FABRIC;
    case 'relu':
    case 'channel_shuffle':
    case 'zero':
    case 'input':
      return FUSED;
  }
}

/** Words of input rows a stage must buffer on chip to produce output rows (its line buffer). */
function lineBufferWords(ir: NetworkIR, layer: Layer): number {
  switch (layer.type) {
    case 'conv':
    case 'avg_pool':
    case 'max_pool': {
      const s = ir.layers[layer.inputs[0]].outShape;
      return layer.kernel * s.w * s.c;
    }
    case 'linear':
      return layer.inFeatures;
    case 'global_avg_pool':
      return layer.outShape.c;
    case 'add':
    case 'bn':
      return layer.inputs.length * layer.outShape.w * layer.outShape.c;
    case 'concat':
      return layer.outShape.w * layer.outShape.c;
    default:
      return 0;
  }
}

/**
 * Compute cycles of a conv/linear layer on `dsp` DSPs. The DSP array unrolls `tn` input channels
 * (of one group) x `tm` output channels x `tk` taps of the kernel window (`tk` is 1 or the whole
 * window: an HLS line-buffer conv either iterates the window or unrolls it completely), each DSP
 * doing one MAC per cycle; the output pixels (and the window taps not unrolled) are iterated.
 * Unrolling factors that do not divide the loop bounds waste lanes (ceil losses). A depthwise conv
 * has one input channel per group, so only `tm` x `tk` lanes can hold work: with few channels
 * and a small window most of the stage's DSPs idle. Tries balanced `tn` for power-of-two input
 * blocks, with and without the window unrolled: a handful of candidates. Writes the chosen
 * unrolling into `out`.
 */
function dspCycles(cin: number, cout: number, pixels: number, window: number, dsp: number, out: { tn: number; tm: number; tk: number }): number {
  let best = Infinity;
  out.tn = 1;
  out.tm = 1;
  out.tk = 1;
  for (let unrollWindow = 0; unrollWindow < 2; unrollWindow++) {
    const tk = unrollWindow === 1 ? window : 1;
    if (unrollWindow === 1 && (window === 1 || tk > dsp)) break;
    for (let b = 1; ; b *= 2) {
      const tn = Math.ceil(cin / b);
      if (tn * tk <= dsp) {
        const tm = Math.min(cout, Math.floor(dsp / (tn * tk)));
        const cycles = Math.ceil(cin / tn) * Math.ceil(cout / tm) * Math.ceil(window / tk) * pixels;
        if (cycles < best) {
          best = cycles;
          out.tn = tn;
          out.tm = tm;
          out.tk = tk;
        }
      }
      if (tn === 1) break;
    }
  }
  return best;
}

/**
 * Rows of each input a stage must have before it can produce its first output row: k - p for a
 * k x k conv or pool with padding p (the window's first row position reaches p rows into the
 * padding), every row for a linear layer (it reads the whole tensor), one for element-wise stages.
 */
function firstRowInputs(layer: Layer): number {
  switch (layer.type) {
    case 'conv':
    case 'avg_pool':
    case 'max_pool':
      return Math.max(1, layer.kernel - layer.padding);
    case 'linear':
      return Infinity;
    default:
      return 1;
  }
}

/** Operations of an element-wise (fabric) stage: one per element read or window tap. */
function fabricOps(ir: NetworkIR, layer: Layer): number {
  switch (layer.type) {
    case 'avg_pool':
    case 'max_pool':
      return outElems(layer) * layer.kernel * layer.kernel;
    case 'global_avg_pool':
      return outElems(ir.layers[layer.inputs[0]]);
    case 'add':
      return outElems(layer) * layer.inputs.length;
    default:
      return outElems(layer);
  }
}

/**
 * Simulates `ir` at batch size 1 on a chunk-based pipelined FPGA accelerator (in the spirit of
 * multi-CLP / DNNBuilder, as HW-NAS-Bench describes its ZC706 design):
 *
 * - Chunks: consecutive IR blocks are packed greedily into chunks of at most `maxStagesPerChunk`
 *   stages whose weights fit the weight share of the BRAM and whose line buffers fit the rest. A
 *   block too big on its own forms a chunk by itself and streams what does not fit.
 * - Inside a chunk every non-fused layer is a pipeline stage with dedicated hardware: the chunk's
 *   DSPs are split among its conv/linear layers in proportion to their MACs (balanced stages);
 *   element-wise layers get `elementwiseLanes`-wide LUT datapaths. Stages pass rows on chip
 *   through line buffers of k input rows; the extra rows an `add` must hold while its longer
 *   branch catches up are not counted against the BRAM.
 * - Stage cycles = max(compute with its DSP share and unrolling ceil losses, DDR time of what it
 *   moves off-chip: chunk inputs, outputs used by later chunks, weights that are not resident -
 *   re-streamed once per output row, since a row-pipelined stage keeps no copy).
 * - Pipeline timing over the chunk's stage graph (branches run side by side): a stage starts once
 *   each in-chunk producer has produced the input rows its first output row needs (producer start
 *   + those rows x the producer's time per row; a k x k conv or pool with padding p needs k - p
 *   rows, an element-wise stage one), and finishes at the later of start + its cycles and its last
 *   producer's finish + one row of its own (the last output row waits for the last input row).
 *   So a chunk's latency follows its slowest stage plus the row lags along its deepest path, not
 *   the sum of its stages. The chunk's pipeline time is the latest finish, at least its total DDR time (the
 *   stages share one DDR interface). Chunk cycles = that + loading its resident weights + a chunk
 *   switch; network latency = sum over chunks.
 * - Energy = static power x latency + per-MAC DSP energy + per-op fabric energy + per-bit DDR
 *   energy + (clock power of allocated DSPs + power of used BRAM36) x chunk time.
 *
 * The breakdown attributes each chunk's cycles to its layers so they sum to the total: the
 * pipeline time to the stages on its critical path (see `attributeCriticalPath`), any DDR excess to
 * the stage moving most data, the switch to the chunk's first stage, and each layer its own weight
 * loading. Stages off the critical path are charged only their weight loading.
 * Pure and deterministic; `config` should come from {@link fpgaConfig} (not re-validated here).
 */
export function simulateFpga(ir: NetworkIR, config: FpgaConfig = FPGA_ZC706_CONFIG, options: SimulateOptions = {}): FpgaResult {
  const cfg = config;
  const pw = cfg.power;
  const layers = ir.layers;
  const n = layers.length;
  const bramWords = (cfg.bram36Count * cfg.bram36Bits) / (8 * cfg.wordBytes);
  const weightBudget = bramWords * cfg.weightBramFraction;
  const lineBudget = bramWords - weightBudget;
  const wordsPerBram = cfg.bram36Bits / (8 * cfg.wordBytes);
  const ddrWordsPerCycle = (cfg.ddrBytesPerSec * cfg.ddrEfficiency) / cfg.wordBytes / cfg.clockHz;
  const secPerCycle = 1 / cfg.clockHz;
  const ddrMjPerWord = pw.ddrPjPerBit * 8 * cfg.wordBytes * 1e-9;
  const macMj = pw.dspMacPj * 1e-9;
  const fabricMj = pw.fabricOpPj * 1e-9;
  const mjPerWattCycle = secPerCycle * 1e3;

  // Per-layer facts. `src` resolves fused layers to the stage whose data they carry (-1: a zero,
  // generated on chip); `lastUse` is the last stage reading a stage's output.
  const kind = new Uint8Array(n);
  const src = new Int32Array(n);
  const lastUse = new Int32Array(n).fill(-1);
  const chunkOf = new Int32Array(n);
  const readStamp = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const layer = layers[i];
    const k = kindOf(ir, layer);
    kind[i] = k;
    if (k !== FUSED || layer.type === 'input') src[i] = i;
    else if (layer.type === 'zero') src[i] = -1;
    else src[i] = src[layer.inputs[0]];
    if (k !== FUSED) {
      for (let j = 0; j < layer.inputs.length; j++) {
        const s = src[layer.inputs[j]];
        if (s >= 0) lastUse[s] = i;
      }
    }
  }
  const out = src[ir.output];
  if (out >= 0) lastUse[out] = n; // the logits leave the chip

  const breakdown: FpgaLayerBreakdown[] | undefined = options.breakdown ? new Array(n) : undefined;
  // Per-stage timing of the current chunk: cycles, time per output row, the lag charged to the
  // producer that sets its start, start and finish times, and the predecessors that set them (for
  // the critical-path attribution of the breakdown).
  const stageCycles = new Float64Array(n);
  const rowCycles = new Float64Array(n);
  const startLag = new Float64Array(n);
  const startAt = new Float64Array(n);
  const finishAt = new Float64Array(n);
  const startPred = new Int32Array(n);
  const finishPred = new Int32Array(n);
  const ddrWords = breakdown ? new Float64Array(n) : undefined;
  const dspOf = breakdown ? new Int32Array(n) : undefined;
  const resident = breakdown ? new Uint8Array(n) : undefined;
  const attributed = breakdown ? new Float64Array(n) : undefined;
  const unroll = { tn: 1, tm: 1, tk: 1 };

  let totalCycles = 0;
  let macs = 0;
  let ddrTotal = 0;
  let eStatic = 0;
  let eDsp = 0;
  let eClock = 0;
  let eBram = 0;
  let eDdr = 0;
  let eFabric = 0;
  let chunk = -1;

  let start = 0;
  while (start < n) {
    // Grow a chunk block by block.
    let end = start;
    let stages = 0;
    let weights = 0;
    let lines = 0;
    while (end < n) {
      const block = layers[end].block;
      let j = end;
      let bs = 0;
      let bw = 0;
      let bl = 0;
      while (j < n && layers[j].block === block) {
        if (kind[j] !== FUSED) {
          bs++;
          bw += weightWords(layers[j]);
          bl += lineBufferWords(ir, layers[j]);
        }
        j++;
      }
      if (end > start && stages > 0 && (stages + bs > cfg.maxStagesPerChunk || weights + bw > weightBudget || lines + bl > lineBudget)) break;
      stages += bs;
      weights += bw;
      lines += bl;
      end = j;
    }
    if (stages === 0) {
      // Only fused layers are left: nothing runs.
      if (breakdown) for (let i = start; i < end; i++) breakdown[i] = fusedRecord(layers[i], Math.max(chunk, 0));
      start = end;
      continue;
    }
    chunk++;
    for (let i = start; i < end; i++) chunkOf[i] = chunk;
    // Line buffers that do not fit (one huge block) send the chunk's internal tensors through DDR,
    // and a stage then waits for its producers to finish instead of streaming behind them.
    const spill = lines > lineBudget;

    let chunkMacs = 0;
    for (let i = start; i < end; i++) if (kind[i] === DSP) chunkMacs += layerMacs(layers[i]);

    let weightLeft = weightBudget;
    let pipe = 0;
    let last = -1;
    let chunkDdr = 0;
    let ddrMax = -1;
    let ddrAt = -1;
    let first = -1;
    let residentWeights = 0;
    let dspAllocated = 0;
    let bramBlocks = 0;
    for (let i = start; i < end; i++) {
      const layer = layers[i];
      const k = kind[i];
      if (k === FUSED) continue;
      if (first < 0) first = i;
      const lm = layerMacs(layer);
      macs += lm;
      // DDR traffic of this stage: inputs from outside the chunk (each read once per chunk) ...
      let words = 0;
      // ... and the in-chunk stages it waits for: the latest (start + lag) to begin, the latest
      // finish to end (it cannot finish before its last input rows arrive).
      const rowsNeeded = firstRowInputs(layer);
      let st = 0;
      let lag = 0;
      let sp = -1;
      let fin = 0;
      let fp = -1;
      for (let j = 0; j < layer.inputs.length; j++) {
        const s = src[layer.inputs[j]];
        if (s < 0) continue;
        const inChunk = s > 0 && chunkOf[s] === chunk;
        if ((!inChunk || spill) && readStamp[s] !== chunk) {
          readStamp[s] = chunk;
          words += outElems(layers[s]);
        }
        if (inChunk) {
          const lead = spill ? 0 : rowCycles[s] * Math.min(rowsNeeded, layers[s].outShape.h);
          const ready = spill ? finishAt[s] : startAt[s] + lead;
          if (ready > st || sp < 0) {
            st = ready;
            sp = s;
            lag = lead;
          }
          if (finishAt[s] > fin || fp < 0) {
            fin = finishAt[s];
            fp = s;
          }
        }
      }
      // ... and its output if a later chunk (or the host) reads it.
      if (lastUse[i] >= end || (spill && lastUse[i] > i)) words += outElems(layer);
      let compute: number;
      let dsp = 0;
      let isResident = true;
      if (layer.type === 'conv' || layer.type === 'linear') {
        const w = weightWords(layer);
        dsp = Math.max(1, Math.floor((cfg.dspCount * lm) / chunkMacs));
        compute =
          layer.type === 'conv'
            ? dspCycles(layer.cin / layer.groups, layer.cout, layer.outShape.h * layer.outShape.w, layer.kernel * layer.kernel, dsp, unroll)
            : dspCycles(layer.inFeatures, layer.outFeatures, 1, 1, dsp, unroll);
        if (w <= weightLeft) {
          weightLeft -= w;
          residentWeights += w;
          bramBlocks += Math.ceil(w / wordsPerBram);
        } else {
          isResident = false;
          words += w * layer.outShape.h;
        }
        eDsp += lm * macMj;
      } else {
        const ops = fabricOps(ir, layer);
        compute = Math.ceil(ops / cfg.elementwiseLanes);
        eFabric += ops * fabricMj;
        unroll.tn = unroll.tm = unroll.tk = 0;
      }
      bramBlocks += Math.ceil(lineBufferWords(ir, layer) / wordsPerBram);
      dspAllocated += dsp;
      const ddrCycles = words / ddrWordsPerCycle;
      const cycles = Math.max(compute, ddrCycles);
      const rowTime = cycles / layer.outShape.h;
      const a = st + cycles;
      const b = fp >= 0 ? fin + rowTime : 0;
      stageCycles[i] = cycles;
      rowCycles[i] = rowTime;
      startLag[i] = lag;
      startAt[i] = st;
      startPred[i] = sp;
      finishAt[i] = Math.max(a, b);
      finishPred[i] = a >= b ? -1 : fp; // -1: finish set by its own start + cycles
      if (finishAt[i] > pipe || last < 0) {
        pipe = finishAt[i];
        last = i;
      }
      chunkDdr += words;
      if (words > ddrMax) {
        ddrMax = words;
        ddrAt = i;
      }
      if (breakdown && ddrWords && dspOf && resident) {
        ddrWords[i] = words;
        dspOf[i] = dsp;
        resident[i] = isResident ? 1 : 0;
        breakdown[i] = {
          layerId: layer.id,
          name: layer.name,
          block: layer.block,
          type: layer.type,
          macs: lm,
          cycles,
          latencyMs: 0,
          energyMj: 0,
          chunk,
          mapping: k === DSP ? 'dsp' : 'fabric',
          dsp,
          unrollIn: unroll.tn,
          unrollOut: unroll.tm,
          unrollWindow: unroll.tk,
          computeCycles: compute,
          ddrWords: words,
          weightsResident: isResident,
          bound: ddrCycles > compute ? 'ddr' : 'compute',
        };
      }
    }
    // The stages share one DDR interface: the chunk cannot beat its total traffic time.
    const ddrExcess = Math.max(0, chunkDdr / ddrWordsPerCycle - pipe);
    const weightLoad = residentWeights / ddrWordsPerCycle;
    const chunkCycles = pipe + ddrExcess + weightLoad + cfg.chunkSwitchCycles;
    totalCycles += chunkCycles;
    ddrTotal += chunkDdr + residentWeights;
    eDdr += (chunkDdr + residentWeights) * ddrMjPerWord;
    eStatic += pw.staticW * chunkCycles * mjPerWattCycle;
    eClock += dspAllocated * pw.dspClockW * chunkCycles * mjPerWattCycle;
    eBram += bramBlocks * pw.bramW * chunkCycles * mjPerWattCycle;

    if (breakdown && attributed && ddrWords && dspOf && resident) {
      for (let i = start; i < end; i++) attributed[i] = 0;
      attributeCriticalPath(last, spill, stageCycles, rowCycles, startLag, startPred, finishPred, attributed);
      if (ddrAt >= 0) attributed[ddrAt] += ddrExcess;
      attributed[first] += cfg.chunkSwitchCycles;
      for (let i = start; i < end; i++) {
        const layer = layers[i];
        if (kind[i] === FUSED) {
          breakdown[i] = fusedRecord(layer, chunk);
          continue;
        }
        const ownWeights = resident[i] ? weightWords(layer) : 0;
        const cyc = attributed[i] + ownWeights / ddrWordsPerCycle;
        const blocks = Math.ceil(ownWeights / wordsPerBram) + Math.ceil(lineBufferWords(ir, layer) / wordsPerBram);
        const energy =
          (kind[i] === DSP ? layerMacs(layer) * macMj : fabricOps(ir, layer) * fabricMj) +
          (ddrWords[i] + ownWeights) * ddrMjPerWord +
          pw.staticW * cyc * mjPerWattCycle +
          (dspOf[i] * pw.dspClockW + blocks * pw.bramW) * chunkCycles * mjPerWattCycle;
        breakdown[i] = { ...breakdown[i], latencyMs: cyc * secPerCycle * 1e3, energyMj: energy };
      }
    }
    start = end;
  }

  const split: FpgaEnergySplit = { static: eStatic, dsp: eDsp, clock: eClock, bram: eBram, ddr: eDdr, fabric: eFabric };
  return {
    latencyMs: totalCycles * secPerCycle * 1e3,
    energyMj: eStatic + eDsp + eClock + eBram + eDdr + eFabric,
    cycles: totalCycles,
    macs,
    chunks: chunk + 1,
    ddrWords: ddrTotal,
    energySplitMj: split,
    breakdown,
  };
}

/**
 * Splits a chunk's pipeline time (the finish time of stage `last`) among the stages on its critical
 * path, adding to `out`. A stage finishing at start + cycles is charged its cycles, and its start
 * goes to the predecessor's rows it waited for (or, with spilled tensors, the predecessor's whole
 * finish); a stage finishing right behind its last producer is charged one row of its own and the
 * producer's finish recurses.
 * The charges sum to the finish time of `last`.
 */
function attributeCriticalPath(
  last: number,
  spill: boolean,
  cycles: Float64Array,
  rowCycles: Float64Array,
  startLag: Float64Array,
  startPred: Int32Array,
  finishPred: Int32Array,
  out: Float64Array,
): void {
  let i = last;
  let finishMode = true;
  while (i >= 0) {
    if (finishMode && finishPred[i] >= 0) {
      out[i] += rowCycles[i];
      i = finishPred[i];
      continue;
    }
    if (finishMode) out[i] += cycles[i];
    // Resolve the start time of i.
    const p = startPred[i];
    if (p < 0) return;
    if (spill) {
      finishMode = true;
    } else {
      out[p] += startLag[i];
      finishMode = false;
    }
    i = p;
  }
}

function fusedRecord(layer: Layer, chunk: number): FpgaLayerBreakdown {
  return {
    layerId: layer.id,
    name: layer.name,
    block: layer.block,
    type: layer.type,
    macs: 0,
    cycles: 0,
    latencyMs: 0,
    energyMj: 0,
    chunk,
    mapping: 'fused',
    dsp: 0,
    unrollIn: 0,
    unrollOut: 0,
    unrollWindow: 0,
    computeCycles: 0,
    ddrWords: 0,
    weightsResident: true,
    bound: 'none',
  };
}
