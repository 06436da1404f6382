import * as path from 'node:path';
import { BenchmarkDataError, UnknownMetricError } from '../errors';
import { ACCURACY_METRICS, costMetricInfo, TRAIN_TIME_METRIC } from '../metrics';
import type { MetricInfo } from '../metrics';
import { Nb201IndexTable, NB201_SIZE, nb201Space } from '../space/nb201';
import type { Arch } from '../space/space';
import { datasetSpec } from '../space/space';
import { expectArray, expectObject, fileExists, readJson } from './files';
import { readTableCache, writeTableCache } from './table-cache';

/** Files of the NAS-Bench-201 part of a data directory, relative to it. */
export const NB201_FILES = {
  archs: 'hw-nas-bench/nb201-archs.json',
  costs: (dataset: string) => `hw-nas-bench/nb201-${dataset}.json`,
  accuracy200: 'nas-bench-201/nb201-accuracy-200ep.json',
  accuracy12: 'nas-bench-201/nb201-accuracy-12ep-minibench.json',
} as const;

/** One dataset's columns: metric name -> value per benchmark index (NaN where unknown). */
type Columns = Map<string, Float64Array>;

/**
 * The NAS-Bench-201 benchmark tables of a data directory, as dense columns indexed by the
 * official benchmark index: HW-NAS-Bench device costs (whatever metric columns each
 * `hw-nas-bench/nb201-<dataset>.json` holds), the 200- and 12-epoch accuracies where present.
 * FLOPs and params are not in these tables; see `Benchmark`, which adds them from the IR.
 *
 * Lookups are array reads; instances are immutable after loading and safe to share.
 */
export class Nb201Tables {
  private constructor(
    readonly dataDir: string,
    readonly index: Nb201IndexTable,
    /** The index table's own strings where one is not in canonical form; undefined when all are (then they are formatted on demand). */
    private readonly archStrings: readonly string[] | undefined,
    private readonly columns: ReadonlyMap<string, Columns>,
    private readonly infos: ReadonlyMap<string, readonly MetricInfo[]>,
    /** Files that were read, for provenance. */
    readonly files: readonly string[],
  ) {}

  /**
   * Loads every NAS-Bench-201 table found in `dataDir`. The index table is required; cost and
   * accuracy files are optional (their metrics are then simply absent). A present but malformed
   * file throws a {@link BenchmarkDataError} naming the file and what it should hold. Parsed
   * columns are kept in a binary cache (see table-cache.ts) keyed by the files' size and mtime.
   */
  static load(dataDir: string): Nb201Tables {
    const sources = [
      NB201_FILES.archs,
      ...nb201Space.datasets.map((d) => NB201_FILES.costs(d.name)),
      NB201_FILES.accuracy200,
      NB201_FILES.accuracy12,
    ].map((f) => path.join(dataDir, f));
    const cached = readTableCache('nb201', sources);
    if (cached) {
      const meta = cached.meta as { archStrings?: string[]; codes: number[]; infos: [string, MetricInfo[]][]; files: string[] };
      const columns = new Map<string, Columns>();
      for (const c of cached.columns) {
        if (!columns.has(c.group)) columns.set(c.group, new Map());
        columns.get(c.group)!.set(c.name, c.values);
      }
      const index = Nb201IndexTable.fromCodes(meta.codes);
      return new Nb201Tables(dataDir, index, meta.archStrings, columns, new Map(meta.infos), meta.files.map((f) => path.join(dataDir, f)));
    }
    const tables = Nb201Tables.parse(dataDir);
    writeTableCache(
      'nb201',
      sources,
      // Files relative to the data directory: an entry built with the data pack serves it anywhere.
      // The arch strings are derived from the codes unless the index table spells some differently.
      {
        ...(tables.archStrings ? { archStrings: tables.archStrings } : {}),
        codes: tables.index.codes(),
        infos: [...tables.infos],
        files: tables.files.map((f) => path.relative(dataDir, f)),
      },
      [...tables.columns].flatMap(([group, cols]) => [...cols].map(([name, values]) => ({ group, name, values }))),
    );
    return tables;
  }

  /** Parses the JSON files (no cache). */
  private static parse(dataDir: string): Nb201Tables {
    const files: string[] = [];
    const archFile = path.join(dataDir, NB201_FILES.archs);
    const archDoc = expectObject(
      readJson(archFile, `the NAS-Bench-201 index table: { arch_strings: [${NB201_SIZE} arch strings in benchmark index order] }`),
      archFile,
      'the index table',
    );
    const archStrings = expectArray(archDoc.arch_strings, archFile, '"arch_strings"') as string[];
    const opVectors = Array.isArray(archDoc.op_vectors) ? (archDoc.op_vectors as number[][]) : undefined;
    let index: Nb201IndexTable;
    try {
      index = new Nb201IndexTable(archStrings, opVectors);
    } catch (e) {
      throw new BenchmarkDataError(archFile, `"arch_strings" is not a valid index table: ${(e as Error).message}`, { cause: e });
    }
    files.push(archFile);

    const columns = new Map<string, Columns>();
    const infos = new Map<string, MetricInfo[]>();
    const col = (dataset: string, metric: string): Float64Array => {
      let cols = columns.get(dataset);
      if (!cols) columns.set(dataset, (cols = new Map()));
      let c = cols.get(metric);
      if (!c) cols.set(metric, (c = new Float64Array(NB201_SIZE).fill(NaN)));
      return c;
    };
    const addInfo = (dataset: string, info: MetricInfo) => {
      const list = infos.get(dataset) ?? [];
      if (!list.some((m) => m.name === info.name)) list.push(info);
      infos.set(dataset, list);
    };
    const indexOfEntry = (file: string, key: string, entry: Record<string, unknown>): number => {
      const i = entry.index;
      if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= NB201_SIZE) {
        throw new BenchmarkDataError(file, `entry "${key}" has no valid "index" (0..${NB201_SIZE - 1})`);
      }
      if (key !== archStrings[i] && index.indexOf(nb201Space.parse(key)) !== i) {
        throw new BenchmarkDataError(file, `entry "${key}" says index ${i}, but the index table has ${archStrings[i]} there`);
      }
      return i;
    };
    const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : NaN);

    // Device costs: one file per dataset, records with index, arch and any numeric metric columns.
    for (const ds of nb201Space.datasets) {
      const file = path.join(dataDir, NB201_FILES.costs(ds.name));
      if (!fileExists(file)) continue;
      const doc = expectObject(
        readJson(file, `HW-NAS-Bench NB201 ${ds.name} costs: { records: [{ index, arch, <metric>: number, ... }], units?: { <metric>: unit } }`),
        file,
        'the cost table',
      );
      const records = expectArray(doc.records, file, '"records"');
      const units = (doc.units && typeof doc.units === 'object' ? doc.units : {}) as Record<string, string>;
      const seen = new Set<string>();
      records.forEach((r, k) => {
        const rec = expectObject(r, file, `records[${k}]`);
        const i = indexOfEntry(file, typeof rec.arch === 'string' ? rec.arch : archStrings[rec.index as number] ?? String(k), rec);
        for (const metric in rec) {
          if (metric === 'index' || metric === 'arch') continue;
          const value = rec[metric];
          if (typeof value !== 'number') {
            throw new BenchmarkDataError(file, `records[${k}].${metric} must be a number, got ${JSON.stringify(value)}`);
          }
          col(ds.name, metric)[i] = value;
          if (!seen.has(metric)) {
            seen.add(metric);
            addInfo(ds.name, costMetricInfo(metric, units[metric]));
          }
        }
      });
      files.push(file);
    }

    // Accuracies, 200 and 12 epochs, in one layout:
    // archs[arch] = { index, <dataset>: { test_acc, valid_acc?, train_time_per_epoch_s? } }.
    const readAccuracies = (relative: string, epochs: number, suffix: string, extra?: (entry: Record<string, unknown>, i: number) => void) => {
      const file = path.join(dataDir, relative);
      if (!fileExists(file)) return;
      const archs = expectObject(
        expectObject(readJson(file, `NAS-Bench-201 ${epochs}-epoch accuracies: { archs: { <arch>: { index, cifar10: { test_acc }, ... } } }`), file, 'the accuracy table').archs,
        file,
        '"archs"',
      );
      const cols = nb201Space.datasets.map((ds) => ({
        name: ds.name,
        test: col(ds.name, `accuracy${suffix}`),
        valid: col(ds.name, `valid_accuracy${suffix}`),
        // The recorded training time is that of the full 200-epoch schedule only.
        time: epochs === 200 ? col(ds.name, 'train_time_s') : undefined,
      }));
      for (const key in archs) {
        const entry = expectObject(archs[key], file, `archs["${key}"]`);
        const i = indexOfEntry(file, key, entry);
        for (const c of cols) {
          const d = entry[c.name] as Record<string, unknown> | undefined;
          if (!d) continue;
          if (d.test_acc !== undefined) c.test[i] = num(d.test_acc);
          if (d.valid_acc !== undefined) c.valid[i] = num(d.valid_acc);
          if (c.time && d.train_time_per_epoch_s !== undefined) c.time[i] = epochs * num(d.train_time_per_epoch_s);
        }
        extra?.(entry, i);
      }
      files.push(file);
    };
    readAccuracies(NB201_FILES.accuracy200, 200, '');
    // The 12-epoch file stores CIFAR-10's validation split as its own dataset.
    const c10Valid12 = col('cifar10', 'valid_accuracy_12ep');
    readAccuracies(NB201_FILES.accuracy12, 12, '_12ep', (entry, i) => {
      const split = entry.cifar10_valid_split as Record<string, unknown> | undefined;
      if (split?.valid_acc !== undefined) c10Valid12[i] = num(split.valid_acc);
    });

    // Columns created up front but never filled (e.g. no 200-epoch CIFAR-10 validation) are dropped.
    for (const cols of columns.values()) {
      for (const [name, c] of cols) if (c.every((v) => Number.isNaN(v))) cols.delete(name);
    }
    // Metric descriptions: accuracies first (in a fixed order), then costs as found.
    for (const ds of nb201Space.datasets) {
      const cols = columns.get(ds.name);
      if (!cols) continue;
      infos.set(ds.name, [
        ...ACCURACY_METRICS.filter((m) => cols.has(m.name)),
        ...(cols.has(TRAIN_TIME_METRIC.name) ? [TRAIN_TIME_METRIC] : []),
        ...(infos.get(ds.name) ?? []),
      ]);
    }
    // Index tables in canonical spelling (the usual case) need not keep their strings: archString() formats them.
    const canonical = archStrings.every((text, i) => text === nb201Space.format(index.archAt(i)));
    return new Nb201Tables(dataDir, index, canonical ? undefined : archStrings, columns, infos, files);
  }

  private readonly rows = new Map<string, readonly (readonly [string, Float64Array])[]>();

  /**
   * Every (metric, column) pair of `dataset`, in {@link Nb201Tables.metrics} order: what a
   * whole-row lookup walks. Cached; do not modify.
   */
  row(dataset: string): readonly (readonly [string, Float64Array])[] {
    let r = this.rows.get(dataset);
    if (!r) {
      r = this.metrics(dataset).map((m) => [m.name, this.column(dataset, m.name)] as const);
      this.rows.set(dataset, r);
    }
    return r;
  }

  /** The metrics the tables hold for `dataset` (accuracies, training time, device costs). */
  metrics(dataset: string): readonly MetricInfo[] {
    datasetSpec(nb201Space, dataset);
    return this.infos.get(dataset) ?? [];
  }

  /** Whether the tables hold `metric` for `dataset`. */
  has(dataset: string, metric: string): boolean {
    return this.columns.get(dataset)?.has(metric) ?? false;
  }

  /**
   * The dense column of `metric` on `dataset`, indexed by benchmark index (NaN where a value is
   * missing). Throws {@link UnknownMetricError} listing what is available. The array is shared:
   * do not write to it.
   */
  column(dataset: string, metric: string): Float64Array {
    datasetSpec(nb201Space, dataset);
    const c = this.columns.get(dataset)?.get(metric);
    if (!c) {
      const known = (this.infos.get(dataset) ?? []).map((m) => m.name);
      throw new UnknownMetricError(metric, known, `in the nb201 ${dataset} tables of ${this.dataDir}`);
    }
    return c;
  }

  /** The official arch string of benchmark index `index`. */
  archString(index: number): string {
    const arch = this.index.archAt(index);
    return this.archStrings ? this.archStrings[index] : nb201Space.format(arch);
  }

  /** The benchmark index of `arch`. */
  indexOf(arch: Arch): number {
    return this.index.indexOf(arch);
  }
}
