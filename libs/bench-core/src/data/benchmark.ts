import { UnknownMetricError } from '../errors';
import { buildNetworkIR } from '../ir/build';
import { networkCost } from '../ir/cost';
import { nb201ModelCost } from '../ir/nb201-cost';
import { MODEL_METRICS } from '../metrics';
import type { MetricInfo, Metrics } from '../metrics';
import { fbnetSpace } from '../space/fbnet';
import { nb201Space } from '../space/nb201';
import { getSpace } from '../space/registry';
import type { Arch, SearchSpace, SpaceId } from '../space/space';
import { checkArch, datasetSpec } from '../space/space';
import * as path from 'node:path';
import { BenchmarkDataError } from '../errors';
import { fileExists, findDataDir, resolveDataDir } from './files';
import { FBNET_FILES, FbnetLut } from './fbnet-lut';
import { NB201_FILES, Nb201Tables } from './nb201-tables';

/** What `hwnas query` prints for one architecture. */
export interface QueryResult {
  readonly space: SpaceId;
  readonly dataset: string;
  /** NAS-Bench-201 benchmark index (nb201 only). */
  readonly index?: number;
  /** Canonical arch string. */
  readonly arch: string;
  /** Accuracies in %, as the tables hold them: `test`, `valid`, `test_12ep`, `valid_12ep`. */
  readonly accuracy: Readonly<Record<string, number>>;
  /** Device costs keyed by HW-NAS-Bench metric name (ms, mJ). */
  readonly costs: Readonly<Record<string, number>>;
  /** Multiply-accumulates of one forward pass, millions. */
  readonly flops: number;
  /** Parameters, millions. */
  readonly params: number;
  /** Simulated 200-epoch training time in seconds, where the tables record it. */
  readonly train_time_s?: number;
}

/** Accuracy metric name -> key in {@link QueryResult.accuracy}. */
const ACCURACY_KEYS: Readonly<Record<string, string>> = {
  accuracy: 'test',
  valid_accuracy: 'valid',
  accuracy_12ep: 'test_12ep',
  valid_accuracy_12ep: 'valid_12ep',
};

/** Options of {@link Benchmark.open}. */
export interface BenchmarkOptions {
  /** Data directory; defaults to `$HWNAS_DATA`, else the data pack. */
  readonly dataDir?: string;
  /**
   * With no data at all (no directory, no pack), open a benchmark without tables instead of
   * failing: it knows FLOPs and params only, and no benchmark indices. For searches whose accuracy
   * and costs come from elsewhere (the training-free proxy, simulated devices).
   */
  readonly allowNoData?: boolean;
}

/**
 * The benchmark of a data directory: the NAS-Bench-201 tables and the FBNet lookup tables, plus
 * FLOPs/params from the network IR, behind one query. Tables load lazily on first use, so an
 * FBNet query never reads the NB201 files. One instance can serve any number of callers.
 */
export class Benchmark {
  private nb201Tables?: Nb201Tables;
  private fbnetLut?: FbnetLut;
  /** nb201 FLOPs/params per dataset, by benchmark index, computed on first use (NaN = not yet). */

  /**
   * `dataDir`: the data directory (or the data pack's path); undefined for a benchmark without
   * data. `tablesOptional`: a space whose tables are missing has none (instead of an error).
   */
  private constructor(
    readonly dataDir: string | undefined,
    private readonly tablesOptional = false,
  ) {}

  /**
   * Opens the data directory (`opts.dataDir` or `$HWNAS_DATA`, else the data pack); throws if it
   * does not exist, or if there is no data at all unless `opts.allowNoData`.
   */
  static open(opts: BenchmarkOptions = {}): Benchmark {
    return opts.allowNoData ? new Benchmark(findDataDir(opts.dataDir), true) : new Benchmark(resolveDataDir(opts.dataDir));
  }

  private readonly tablesPresent = new Map<SpaceId, boolean>();

  /**
   * Whether the data holds `space`'s tables (its index table for nb201, its lookup tables for
   * fbnet), on disk or in the data pack.
   */
  hasTables(space: SpaceId | SearchSpace): boolean {
    const id = typeof space === 'string' ? space : space.id;
    let has = this.tablesPresent.get(id);
    if (has === undefined) {
      has = this.dataDir !== undefined && fileExists(path.join(this.dataDir, id === 'nb201' ? NB201_FILES.archs : FBNET_FILES.lut));
      this.tablesPresent.set(id, has);
    }
    return has;
  }

  /** True when `space` is served without tables (no data, or tables optional and missing). */
  private withoutTables(space: SearchSpace): boolean {
    return this.dataDir === undefined || (this.tablesOptional && !this.hasTables(space));
  }

  /** The NAS-Bench-201 tables (loaded on first access). */
  get nb201(): Nb201Tables {
    return (this.nb201Tables ??= Nb201Tables.load(this.requireData('the NAS-Bench-201 tables')));
  }

  /** The FBNet lookup tables (loaded on first access). */
  get fbnet(): FbnetLut {
    return (this.fbnetLut ??= FbnetLut.load(this.requireData('the FBNet lookup tables')));
  }

  private requireData(what: string): string {
    if (this.dataDir === undefined) throw new BenchmarkDataError('', `${what} are not available: hwnas runs without benchmark data here (no --data DIR, no $HWNAS_DATA, no data pack)`);
    return this.dataDir;
  }

  private readonly metricLists = new Map<string, readonly MetricInfo[]>();

  /** Every metric available for `space` on `dataset`: table metrics, then `flops` and `params`. */
  metrics(space: SpaceId | SearchSpace, dataset: string): readonly MetricInfo[] {
    const s = typeof space === 'string' ? getSpace(space) : space;
    const key = `${s.id}/${dataset}`;
    let list = this.metricLists.get(key);
    if (!list) {
      datasetSpec(s, dataset);
      const table = this.withoutTables(s) ? [] : s.id === 'nb201' ? this.nb201.metrics(dataset) : this.fbnet.metrics();
      list = Object.freeze([...table, ...MODEL_METRICS]);
      this.metricLists.set(key, list);
    }
    return list;
  }

  /** FLOPs and params (millions) of `arch` on `dataset`, from the network IR. */
  modelCost(space: SpaceId | SearchSpace, dataset: string, arch: Arch): { flops: number; params: number } {
    const s = typeof space === 'string' ? getSpace(space) : space;
    const c = s.id === 'nb201' ? nb201ModelCost(arch, datasetSpec(s, dataset)) : networkCost(buildNetworkIR(s, arch, dataset));
    return { flops: c.macs / 1e6, params: c.params / 1e6 };
  }

  /**
   * Every metric of `arch` as one flat record (accuracies, training time, device costs, flops,
   * params). This is what a tabular evaluation returns; missing table values are left out. A
   * fresh record per call, which the caller owns.
   */
  metricsOf(space: SpaceId | SearchSpace, dataset: string, arch: Arch): Metrics {
    const s = typeof space === 'string' ? getSpace(space) : space;
    const out: Record<string, number> = {};
    if (this.withoutTables(s)) {
      Object.assign(out, this.modelCost(s, dataset, checkArch(s, arch)));
      return out;
    }
    if (s.id === 'nb201') {
      const i = this.nb201.indexOf(arch);
      for (const [name, column] of this.nb201.row(dataset)) {
        const v = column[i];
        if (!Number.isNaN(v)) out[name] = v;
      }
      const model = this.modelCost(s, dataset, arch);
      out.flops = model.flops;
      out.params = model.params;
      return out;
    }
    const a = checkArch(s, arch);
    Object.assign(out, this.fbnet.costs(dataset, a));
    const model = this.modelCost(s, dataset, a);
    out.flops = model.flops;
    out.params = model.params;
    return out;
  }

  /** One metric of `arch`; throws {@link UnknownMetricError} when the data has no such metric. */
  metric(space: SpaceId | SearchSpace, dataset: string, metric: string, arch: Arch): number {
    const s = typeof space === 'string' ? getSpace(space) : space;
    if (metric === 'flops' || metric === 'params') return this.modelCost(s, dataset, arch)[metric];
    if (this.withoutTables(s)) throw new UnknownMetricError(metric, MODEL_METRICS.map((m) => m.name), `(no ${s.id} benchmark tables here)`);
    if (s.id === 'fbnet') return this.fbnet.cost(dataset, metric, arch);
    return this.nb201.column(dataset, metric)[this.nb201.indexOf(arch)];
  }

  /** What `hwnas query` prints for `arch` (an Arch, or an nb201 benchmark index). */
  query(space: SpaceId | SearchSpace, dataset: string, arch: Arch | number): QueryResult {
    const s = typeof space === 'string' ? getSpace(space) : space;
    datasetSpec(s, dataset);
    if (typeof arch === 'number') {
      if (s.id !== 'nb201') throw new UnknownMetricError('index', [], '(only nb201 architectures have a benchmark index)');
      arch = this.nb201.index.archAt(arch);
    }
    const flat = this.metricsOf(s, dataset, arch);
    const accuracy: Record<string, number> = {};
    const costs: Record<string, number> = {};
    for (const m of this.metrics(s, dataset)) {
      const v = flat[m.name];
      if (v === undefined) continue;
      if (m.kind === 'accuracy') accuracy[ACCURACY_KEYS[m.name] ?? m.name] = v;
      else if (m.kind === 'cost') costs[m.name] = v;
    }
    return {
      space: s.id,
      dataset,
      // Indices exist only where the index table is.
      ...(s.id === 'nb201' && !this.withoutTables(s) ? { index: this.nb201.indexOf(arch) } : {}),
      arch: s.format(arch),
      accuracy,
      costs,
      flops: flat.flops,
      params: flat.params,
      ...(flat.train_time_s !== undefined ? { train_time_s: flat.train_time_s } : {}),
    };
  }
}

/** Spaces whose tables the benchmark serves. */
export const BENCHMARK_SPACES: readonly SearchSpace[] = [nb201Space, fbnetSpace];
