import * as path from 'node:path';
import { BenchmarkDataError, UnknownMetricError } from '../errors';
import { costMetricInfo } from '../metrics';
import type { MetricInfo } from '../metrics';
import { FBNET_MACRO, fbnetLayerSlots, fbnetSpace } from '../space/fbnet';
import type { FbnetMacro } from '../space/fbnet';
import type { Arch } from '../space/space';
import { checkArch, datasetSpec } from '../space/space';
import { expectObject, readJson } from './files';

/** Files of the FBNet part of a data directory, relative to it. */
export const FBNET_FILES = {
  lut: 'hw-nas-bench/fbnet-lut.json',
  space: 'hw-nas-bench/fbnet-space.json',
} as const;

/**
 * The lookup-table keys whose entries sum to an FBNet network's cost on `dataset`, in HW-NAS-Bench's
 * key format: the stem, one key per layer and block option (`perLayer[layer][block]`), the head
 * 1x1 conv, the average pool and the classifier. H/W in a key are the layer's input size.
 */
export function fbnetLutKeys(dataset: string, macro: FbnetMacro = FBNET_MACRO) {
  const ds = macro.datasets[dataset];
  datasetSpec(fbnetSpace, dataset);
  const stem = `ConvNorm_H${ds.inputHw}_W${ds.inputHw}_Cin3_Cout${macro.stemChannels}_kernel3_stride${ds.stemStride}_group1`;
  const slots = fbnetLayerSlots(dataset, macro);
  const perLayer = slots.map((s) =>
    macro.blocks.map((b) =>
      b.kernel === null
        ? `Skip_H${s.inHw}_W${s.inHw}_Cin${s.cin}_Cout${s.cout}_stride${s.stride}`
        : `ConvBlock_H${s.inHw}_W${s.inHw}_Cin${s.cin}_Cout${s.cout}_exp${b.expansion}_kernel${b.kernel}_stride${s.stride}_group${b.group}`,
    ),
  );
  const last = slots[slots.length - 1];
  const f = Math.ceil(last.inHw / last.stride);
  const lastC = macro.stageOutChannels[macro.stageOutChannels.length - 1];
  const head = `ConvNorm_H${f}_W${f}_Cin${lastC}_Cout${ds.headChannels}_kernel1_stride1_group1`;
  const pool = `AvgP_H${f}_W${f}_Cin${ds.headChannels}_Cout${ds.headChannels}_kernel${f}_stride1`;
  const fc = `FC_Cin${ds.headChannels}_Cout${ds.numClasses}`;
  return { stem, perLayer, fixed: [stem, head, pool, fc] };
}

/** One (dataset, metric) table, flattened: stem entry, per-layer per-block entries, head entries. */
interface CompiledTable {
  readonly stem: number;
  /** `perLayer[layer * blocks + block]`. */
  readonly perLayer: Float64Array;
  /** Head 1x1 conv, average pool, classifier. */
  readonly tail: readonly number[];
}

/**
 * The HW-NAS-Bench FBNet lookup tables. A network's cost on a metric is the sum of its stem,
 * 22 block, head, pool and classifier entries (HW-NAS-Bench's composition); the sums are compiled
 * per dataset at load time so that a query is 22 additions per metric.
 */
export class FbnetLut {
  private constructor(
    readonly file: string,
    private readonly metricNames: readonly string[],
    private readonly units: Readonly<Record<string, string>>,
    private readonly compiled: ReadonlyMap<string, ReadonlyMap<string, CompiledTable>>,
  ) {}

  /**
   * Loads `hw-nas-bench/fbnet-lut.json` (`{ metrics: { <metric>: { <key>: number } }, units? }`)
   * from `dataDir`. Every key the two datasets need must be present for each metric; a missing
   * key is an error that names it.
   */
  static load(dataDir: string): FbnetLut {
    const file = path.join(dataDir, FBNET_FILES.lut);
    const doc = expectObject(
      readJson(file, 'HW-NAS-Bench FBNet lookup tables: { metrics: { <metric>: { <lut key>: number } } }'),
      file,
      'the lookup table file',
    );
    const metrics = expectObject(doc.metrics, file, '"metrics"');
    const units = (doc.units && typeof doc.units === 'object' ? doc.units : {}) as Record<string, string>;
    const compiled = new Map<string, Map<string, CompiledTable>>();
    for (const ds of fbnetSpace.datasets) {
      const keys = fbnetLutKeys(ds.name);
      const perMetric = new Map<string, CompiledTable>();
      for (const [metric, tableValue] of Object.entries(metrics)) {
        const table = expectObject(tableValue, file, `metrics.${metric}`);
        const get = (key: string): number => {
          const v = table[key];
          if (typeof v !== 'number' || !Number.isFinite(v)) {
            throw new BenchmarkDataError(file, `metrics.${metric} has no numeric entry for key ${key} (needed for ${ds.name})`);
          }
          return v;
        };
        // Entries are only looked up here; `sum` adds them in HW-NAS-Bench's order (stem, blocks,
        // head, pool, fc) so that the floating-point result is bit-identical to the reference.
        const perLayer = new Float64Array(keys.perLayer.length * FBNET_MACRO.blocks.length);
        keys.perLayer.forEach((opts, l) => opts.forEach((k, b) => (perLayer[l * FBNET_MACRO.blocks.length + b] = get(k))));
        const [stem, head, pool, fc] = keys.fixed.map(get);
        perMetric.set(metric, { stem, perLayer, tail: [head, pool, fc] });
      }
      compiled.set(ds.name, perMetric);
    }
    return new FbnetLut(file, Object.keys(metrics), units, compiled);
  }

  /** The cost metrics the lookup tables hold. */
  metrics(): readonly MetricInfo[] {
    return this.metricNames.map((m) => costMetricInfo(m, this.units[m]));
  }

  /**
   * Cost of `arch` on `dataset` for every metric (or only `metric`), summed from the tables in
   * HW-NAS-Bench's order so that results match the reference values exactly.
   */
  costs(dataset: string, arch: Arch): Record<string, number> {
    datasetSpec(fbnetSpace, dataset);
    const a = checkArch(fbnetSpace, arch);
    const out: Record<string, number> = {};
    for (const [metric, table] of this.compiled.get(dataset)!) out[metric] = sum(table, a);
    return out;
  }

  /** Cost of `arch` on one metric; throws {@link UnknownMetricError}. */
  cost(dataset: string, metric: string, arch: Arch): number {
    datasetSpec(fbnetSpace, dataset);
    const table = this.compiled.get(dataset)!.get(metric);
    if (!table) throw new UnknownMetricError(metric, this.metricNames, `in ${this.file}`);
    return sum(table, checkArch(fbnetSpace, arch));
  }
}

function sum(t: CompiledTable, arch: Arch): number {
  const nb = FBNET_MACRO.blocks.length;
  let s = t.stem;
  for (let l = 0; l < arch.length; l++) s += t.perLayer[l * nb + arch[l]];
  for (const v of t.tail) s += v;
  return s;
}

/**
 * Reads `hw-nas-bench/fbnet-space.json` and checks that it describes the same macro-architecture
 * as the built-in {@link FBNET_MACRO}; returns the parsed macro.
 */
export function loadFbnetMacro(dataDir: string): FbnetMacro {
  const file = path.join(dataDir, FBNET_FILES.space);
  const doc = expectObject(readJson(file, 'the FBNet macro-architecture (candidate_ops, stage_num_layers, stage_out_channels, datasets)'), file, 'the FBNet space');
  const datasets = expectObject(doc.datasets, file, '"datasets"');
  const macro: FbnetMacro = {
    numLayers: doc.num_layers as number,
    blocks: (doc.candidate_ops as Record<string, unknown>[]).map((o) => ({
      index: o.index as number,
      name: o.name as string,
      kernel: o.kernel as number | null,
      expansion: o.expansion as number | null,
      group: o.group as number | null,
    })),
    stemChannels: doc.stem_channels as number,
    stageNumLayers: doc.stage_num_layers as number[],
    stageOutChannels: doc.stage_out_channels as number[],
    datasets: Object.fromEntries(
      Object.entries(datasets).map(([name, v]) => {
        const d = expectObject(v, file, `datasets.${name}`);
        return [
          name,
          {
            inputHw: d.input_hw as number,
            stemStride: d.stem_stride as number,
            stageFirstLayerStride: d.stage_first_layer_stride as number[],
            headChannels: d.head_channels as number,
            numClasses: d.num_classes as number,
          },
        ];
      }),
    ),
  };
  if (JSON.stringify(macro) !== JSON.stringify(FBNET_MACRO)) {
    throw new BenchmarkDataError(file, 'describes a different FBNet macro-architecture than the one hwnas implements (22 layers, stages [1,4,4,4,4,4,1], channels [16..352])');
  }
  return macro;
}
