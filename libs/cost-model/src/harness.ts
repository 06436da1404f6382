import { BenchmarkDataError, buildNetworkIR, fbnetSpace, InvalidArgumentError, knownDevices, loadDeviceLatency, Nb201Tables, nb201Space, networkCost, readDeviceLatencyFile } from '@hwnas/bench-core';
import type { Arch, DeviceLatencyColumn, DeviceLatencyTable, SearchSpace, SpaceId } from '@hwnas/bench-core';
import { EYERISS_DEVICE_ID, FPGA_DEVICE_ID, simulateEyeriss, simulateFpga } from '@hwnas/device-backends';
import { metaLearnNoise, sampleRows } from './meta';
import { DEFAULT_PRIOR_VARIANCE, FittedCostModel } from './model';
import type { ReferenceCosts } from './references';
import { referenceCosts } from './references';
import { kendallTau, mape, median, spearman } from './stats';
import { LayerTable } from './layer-tables';

/** Name of the MACs reference column. */
export const MACS_REFERENCE = 'macs';

/**
 * Cells cheaper than this fraction of the device's median cost are left out of `mapeAboveFloor`:
 * NB201's disconnected cells (0.003 ms on pixel3 against a median of 11 ms) turn an error of a
 * tenth of a millisecond into thousands of percent, and dominate the plain MAPE.
 */
export const MAPE_FLOOR_OF_MEDIAN = 0.1;

/** The K values and seeds the harness uses by default (HELP's setting and around it). */
export const DEFAULT_SAMPLE_COUNTS: readonly number[] = [5, 10, 20, 50];
export const DEFAULT_SEEDS: readonly number[] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

/** A space's known devices plus the costs hwnas computes for the same architectures. */
export interface EvalSpaceData {
  readonly space: SpaceId;
  /** The dataset the device latencies were measured on (the network the IR is built for). */
  readonly dataset: string;
  readonly table: DeviceLatencyTable;
  /** MACs and each simulator's latency, one value per row of `table`. */
  readonly computed: readonly { readonly name: string; readonly values: Float64Array }[];
  /** Seconds spent building the IR and running the simulators over every row. */
  readonly computeSeconds: number;
  /** The architecture of each row. */
  readonly archs: readonly Arch[];
}

/** The dataset each device-latency table was measured on (its README). */
const TABLE_DATASET: Readonly<Record<SpaceId, string>> = { nb201: 'cifar10', fbnet: 'cifar100' };

/** Spaces already loaded in this process, by data directory and space: the data is immutable. */
const LOADED = new Map<string, EvalSpaceData>();

/** Milliseconds of computation between two turns of the event loop in {@link loadEvalSpaceAsync}. */
const SLICE_MS = 20;

/** The cached data of `space` when it fits `table` (no table: any). */
function cachedEvalSpace(dataDir: string, space: SpaceId, table?: DeviceLatencyTable): EvalSpaceData | undefined {
  const data = LOADED.get(`${dataDir}\0${space}`);
  return data && (!table || table.file === data.table.file) ? data : undefined;
}

/**
 * Loads a space's device latencies and computes MACs and the simulators' latencies for each row
 * (seconds for NB201's 15,625 cells, so the result is kept for the process's later calls).
 */
export function loadEvalSpace(dataDir: string, space: SpaceId, table?: DeviceLatencyTable): EvalSpaceData {
  const cached = cachedEvalSpace(dataDir, space, table);
  if (cached) return cached;
  const steps = evalSpaceSteps(dataDir, space, table);
  let step = steps.next();
  while (!step.done) step = steps.next();
  LOADED.set(`${dataDir}\0${space}`, step.value);
  return step.value;
}

/**
 * {@link loadEvalSpace} for a server: the same data (and the same cache), computed in slices of
 * about {@link SLICE_MS} ms with a turn of the event loop between them, so that requests are
 * served meanwhile instead of waiting for the whole computation.
 */
export async function loadEvalSpaceAsync(dataDir: string, space: SpaceId): Promise<EvalSpaceData> {
  const cached = cachedEvalSpace(dataDir, space);
  if (cached) return cached;
  const steps = evalSpaceSteps(dataDir, space);
  let step = steps.next();
  while (!step.done) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    step = steps.next();
  }
  // A synchronous load may have finished first while this one waited: keep one copy.
  const data = cachedEvalSpace(dataDir, space) ?? step.value;
  LOADED.set(`${dataDir}\0${space}`, data);
  return data;
}

/** The computation behind both loads: yields after each part of about {@link SLICE_MS} ms, returns the data. */
function* evalSpaceSteps(dataDir: string, space: SpaceId, given?: DeviceLatencyTable): Generator<void, EvalSpaceData> {
  const table = given ?? loadDeviceLatency(dataDir, space);
  yield;
  const dataset = TABLE_DATASET[space];
  let archs: readonly Arch[];
  let searchSpace: SearchSpace;
  if (space === 'nb201') {
    const index = Nb201Tables.load(dataDir).index;
    archs = Array.from({ length: table.size }, (_, i) => index.archAt(i));
    searchSpace = nb201Space;
  } else {
    archs = table.archs!;
    searchSpace = fbnetSpace;
  }
  const macs = new Float64Array(table.size);
  const eyeriss = new Float64Array(table.size);
  const fpga = new Float64Array(table.size);
  // CPU time only: an asynchronous load's waits between slices are not the computation's.
  let busyMs = 0;
  let t0 = performance.now();
  for (let i = 0; i < archs.length; i++) {
    [macs[i], eyeriss[i], fpga[i]] = computedCostsOf(searchSpace, dataset, archs[i]);
    if ((i & 15) === 15 && performance.now() - t0 > SLICE_MS) {
      busyMs += performance.now() - t0;
      yield;
      t0 = performance.now();
    }
  }
  busyMs += performance.now() - t0;
  return {
    space,
    dataset,
    table,
    computed: [macs, eyeriss, fpga].map((values, k) => ({ name: COMPUTED_NAMES[k], values })),
    computeSeconds: busyMs / 1000,
    archs,
  };
}

/** The names of {@link EvalSpaceData.computed}, in order: what {@link computedCostsOf} returns. */
const COMPUTED_NAMES = [MACS_REFERENCE, EYERISS_DEVICE_ID, FPGA_DEVICE_ID] as const;

/** MACs and both simulators' latency of one architecture, in the order of {@link COMPUTED_NAMES}. */
function computedCostsOf(space: SearchSpace, dataset: string, arch: Arch): [number, number, number] {
  const ir = buildNetworkIR(space, arch, dataset);
  return [networkCost(ir).macs, simulateEyeriss(ir).latencyMs, simulateFpga(ir).latencyMs];
}

/** What the harness runs. */
export interface EvalOptions {
  readonly sampleCounts?: readonly number[];
  readonly seeds?: readonly number[];
  /** Evaluate only these held-out known devices (default: all of them, leave-one-device-out). */
  readonly devices?: readonly string[];
  /** A device the user brings: evaluated with every known device as a reference (no leave-out). */
  readonly newDevice?: DeviceLatencyColumn;
  /** Skip meta-learning and use this noise variance (tests). */
  readonly noiseVariance?: number;
  /** With `noiseVariance`: the prior variance to use (default DEFAULT_PRIOR_VARIANCE). */
  readonly priorVariance?: number;
}

/** One fit: how the prediction over the whole space agrees with the device's real latency. */
export interface EvalRun {
  readonly samples: number;
  /** The seed of a random draw, or 'probe' for the table's probe indices. */
  readonly draw: number | 'probe';
  readonly spearman: number;
  readonly kendall: number;
  readonly mape: number;
  /** MAPE over the architectures whose real latency is at least {@link MAPE_FLOOR_OF_MEDIAN} x the device's median. */
  readonly mapeAboveFloor: number;
  /** Share of architectures whose real latency lies within predicted mean +- 2 std. */
  readonly coverage2Std: number;
  readonly fitMs: number;
  readonly predictMs: number;
}

/** Everything about one evaluated device. */
export interface EvalFold {
  readonly device: string;
  readonly noiseVariance: number;
  readonly priorVariance: number;
  readonly metaSeconds: number;
  /** Rank agreement of each computed cost alone (MACs, simulators) with the device. */
  readonly baselines: readonly { readonly name: string; readonly spearman: number; readonly kendall: number }[];
  readonly runs: readonly EvalRun[];
}

/** Means over folds and draws for one K (or the probe set). */
export interface EvalSummaryRow {
  readonly samples: number;
  readonly draws: 'probe' | 'random';
  readonly spearman: number;
  readonly kendall: number;
  readonly mape: number;
  /** Median over devices of each device's mean MAPE (one device with near-zero latencies can dominate the mean). */
  readonly mapeMedianDevice: number;
  /** Mean of the runs' {@link EvalRun.mapeAboveFloor}. */
  readonly mapeAboveFloor: number;
  readonly coverage2Std: number;
  /** Mean Spearman per device, for the per-device table. */
  readonly spearmanByDevice: Readonly<Record<string, number>>;
}

export interface EvalReport {
  readonly space: SpaceId;
  readonly dataset: string;
  readonly architectures: number;
  readonly sampleCounts: readonly number[];
  readonly seeds: readonly number[];
  readonly folds: readonly EvalFold[];
  readonly summary: readonly EvalSummaryRow[];
  readonly baselines: readonly { readonly name: string; readonly spearman: number; readonly kendall: number }[];
  readonly computeSeconds: number;
}

/** Per-layer tables of the known devices of an FBNet table, by data and device name (fitted once per process). */
const LAYER_TABLES = new WeakMap<EvalSpaceData, Map<string, { readonly table: LayerTable; readonly values: Float64Array }>>();

/** The per-layer table of FBNet known device `device` of `data` and its predictions for the table's rows (fitted once per process). */
function layerTableOf(data: EvalSpaceData, device: DeviceLatencyColumn): { readonly table: LayerTable; readonly values: Float64Array } {
  let tables = LAYER_TABLES.get(data);
  if (!tables) LAYER_TABLES.set(data, (tables = new Map()));
  let entry = tables.get(device.name);
  if (!entry) {
    const table = new LayerTable(fbnetSpace, data.archs, device.latencyMs);
    entry = { table, values: Float64Array.from(data.archs, (a) => table.predict(a)) };
    tables.set(device.name, entry);
  }
  return entry;
}

/**
 * Whether {@link referenceValuesOf} can give references for architectures outside the space's
 * device table: FBNet's per-layer tables and computed costs cover its whole space; NB201's table
 * holds every cell already.
 */
export function hasReferencesForAnyArch(data: EvalSpaceData): boolean {
  return data.space === 'fbnet';
}

/**
 * The reference costs named `names` (of {@link knownDeviceReferences} over every known device) of
 * an architecture outside the table: the known devices' per-layer tables and the computed costs.
 * Only where {@link hasReferencesForAnyArch}.
 */
export function referenceValuesOf(data: EvalSpaceData, names: readonly string[], arch: Arch): number[] {
  if (!hasReferencesForAnyArch(data)) throw new InvalidArgumentError(`references: ${data.space} has reference costs for the architectures of its table only`);
  const computed = computedCostsOf(fbnetSpace, data.dataset, arch);
  return names.map((name) => {
    const k = COMPUTED_NAMES.indexOf(name as (typeof COMPUTED_NAMES)[number]);
    if (k >= 0) return computed[k];
    const device = data.table.devices.find((d) => d.name === name);
    if (!device) throw new InvalidArgumentError(`references: "${name}" is neither a known ${data.space} device nor a computed cost`);
    return layerTableOf(data, device).table.predict(arch);
  });
}

/**
 * The references a device's model is fitted against: the latencies of `devices` (known devices of
 * `data`'s table) and the computed costs (MACs, simulators). FBNet's known devices enter as their
 * per-layer tables' predictions ({@link LayerTable}) rather than as measured: FBNet latency is close
 * to additive over its layers, and the table's predictions carry each reference's ranking without
 * its measurement noise.
 */
export function knownDeviceReferences(data: EvalSpaceData, devices: readonly DeviceLatencyColumn[]): ReferenceCosts {
  if (data.space !== 'fbnet') return referenceCosts([...devices.map((d) => ({ name: d.name, values: d.latencyMs })), ...data.computed]);
  return referenceCosts([...devices.map((d) => ({ name: d.name, values: layerTableOf(data, d).values })), ...data.computed]);
}

/**
 * Leave-one-device-out evaluation: each known device in turn is the new device; the others,
 * MACs and the simulators are the references; the noise variance is meta-learned on the other
 * known devices only; then for every K the model is fitted on K random architectures of the
 * held-out device (each seed) and, where the table has them, on its probe indices, and scored over
 * every architecture. With `newDevice`, that device is evaluated against all known devices.
 */
export function evaluateCostModels(data: EvalSpaceData, options: EvalOptions = {}): EvalReport {
  const ks = options.sampleCounts ?? DEFAULT_SAMPLE_COUNTS;
  const seeds = options.seeds ?? DEFAULT_SEEDS;
  const known = data.table.devices;
  for (const k of ks) {
    if (!Number.isInteger(k) || k < 2 || k > data.table.size) throw new InvalidArgumentError(`sample count ${k} must be an integer in 2..${data.table.size}`);
  }
  let targets: readonly DeviceLatencyColumn[];
  if (options.newDevice) {
    if (options.newDevice.latencyMs.length !== data.table.size) {
      throw new InvalidArgumentError(`device "${options.newDevice.name}" has ${options.newDevice.latencyMs.length} latencies, the ${data.space} table has ${data.table.size} architectures`);
    }
    targets = [options.newDevice];
  } else {
    targets = knownDevices(data.table, options.devices ?? known.map((d) => d.name));
  }

  const folds = targets.map((target): EvalFold => {
    const refDevices = known.filter((d) => d.name !== target.name);
    const refs = knownDeviceReferences(data, refDevices);
    const truth = target.latencyMs;
    const mapeFloor = MAPE_FLOOR_OF_MEDIAN * median(Array.from(truth));
    const m0 = performance.now();
    const { noiseVariance, priorVariance } =
      options.noiseVariance !== undefined
        ? { noiseVariance: options.noiseVariance, priorVariance: options.priorVariance ?? DEFAULT_PRIOR_VARIANCE }
        : metaLearnNoise(refs, { devices: refDevices.map((d) => d.name) });
    const metaSeconds = (performance.now() - m0) / 1000;
    const baselines = data.computed.map((c) => ({ name: c.name, spearman: spearman(c.values, truth), kendall: kendallTau(c.values, truth) }));
    const runs: EvalRun[] = [];
    const runOne = (samples: number, draw: number | 'probe', rows: readonly number[]) => {
      const f0 = performance.now();
      const model = FittedCostModel.fit(target.name, refs, rows.map((row) => ({ row, value: truth[row] })), { noiseVariance, priorVariance });
      const f1 = performance.now();
      const p = model.predictRows(refs);
      const f2 = performance.now();
      let inside = 0;
      for (let i = 0; i < truth.length; i++) if (Math.abs(truth[i] - p.mean[i]) <= 2 * p.std[i]) inside++;
      runs.push({
        samples,
        draw,
        spearman: spearman(p.mean, truth),
        kendall: kendallTau(p.mean, truth),
        mape: mape(p.mean, truth),
        mapeAboveFloor: mape(p.mean, truth, mapeFloor),
        coverage2Std: inside / truth.length,
        fitMs: f1 - f0,
        predictMs: f2 - f1,
      });
    };
    if (data.table.probeIndex) runOne(data.table.probeIndex.length, 'probe', data.table.probeIndex);
    for (const k of ks) for (const seed of seeds) runOne(k, seed, sampleRows(data.table.size, k, seed));
    return { device: target.name, noiseVariance, priorVariance, metaSeconds, baselines, runs };
  });

  const summary: EvalSummaryRow[] = [];
  const summarise = (samples: number, draws: 'probe' | 'random', pick: (r: EvalRun) => boolean) => {
    const all = folds.flatMap((f) => f.runs.filter(pick));
    if (all.length === 0) return;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    summary.push({
      samples,
      draws,
      spearman: mean(all.map((r) => r.spearman)),
      kendall: mean(all.map((r) => r.kendall)),
      mape: mean(all.map((r) => r.mape)),
      mapeMedianDevice: median(folds.map((f) => mean(f.runs.filter(pick).map((r) => r.mape)))),
      mapeAboveFloor: mean(all.map((r) => r.mapeAboveFloor)),
      coverage2Std: mean(all.map((r) => r.coverage2Std)),
      spearmanByDevice: Object.fromEntries(folds.map((f) => [f.device, mean(f.runs.filter(pick).map((r) => r.spearman))])),
    });
  };
  if (data.table.probeIndex) summarise(data.table.probeIndex.length, 'probe', (r) => r.draw === 'probe');
  for (const k of ks) summarise(k, 'random', (r) => r.draw !== 'probe' && r.samples === k);
  const baselines = data.computed.map((c) => {
    const rows = folds.map((f) => f.baselines.find((b) => b.name === c.name)!);
    return { name: c.name, spearman: rows.reduce((a, b) => a + b.spearman, 0) / rows.length, kendall: rows.reduce((a, b) => a + b.kendall, 0) / rows.length };
  });
  return { space: data.space, dataset: data.dataset, architectures: data.table.size, sampleCounts: ks, seeds, folds, summary, baselines, computeSeconds: data.computeSeconds };
}

/**
 * The devices of a user's latency file (the data directory's format), checked against the known
 * table of the same space: an fbnet file must list the same architectures in the same order.
 */
export function newDevicesFromFile(known: DeviceLatencyTable, file: string): readonly DeviceLatencyColumn[] {
  let user: DeviceLatencyTable;
  try {
    user = readDeviceLatencyFile(file, known.space);
  } catch (e) {
    // The file is the caller's argument, not the data directory: a bad one is bad input.
    if (e instanceof BenchmarkDataError) throw new InvalidArgumentError(`latency file ${e.message}`, { cause: e });
    throw e;
  }
  if (user.size !== known.size) {
    throw new InvalidArgumentError(`${file}: has ${user.size} architectures, the known ${known.space} table has ${known.size}`);
  }
  if (known.space === 'fbnet') {
    const archs = known.archs!;
    const k = user.archs!.findIndex((a, i) => a.some((v, j) => v !== archs[i][j]));
    if (k >= 0) throw new InvalidArgumentError(`${file}: archs[${k}] differs from the known fbnet table's archs[${k}]; list the same architectures in the same order`);
  }
  return user.devices;
}

