import { deepStrictEqual } from 'node:assert';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BenchmarkDataError } from '../errors';
import { NB201_SIZE } from '../space/nb201';
import { describeWithData } from '../testing/data';
import { Benchmark } from './benchmark';
import { loadDeviceLatency } from './device-latency';
import { resolveDataDir } from './files';
import { DataPack, defaultDataPack, PACK_MANIFEST_PATH } from './data-pack';
import type { PackManifest } from './data-pack';
import { Nb201Tables } from './nb201-tables';
import { decodeDocument, encodeDocument } from './pack-codec';

const REPO = path.resolve(__dirname, '..', '..', '..', '..');
const MANIFEST = path.join(REPO, PACK_MANIFEST_PATH);

/** Runs `fn` with environment variables set (undefined = unset), then restores them. */
function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (v: Record<string, string | undefined>) => {
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) delete process.env[k];
      else process.env[k] = x;
    }
  };
  apply(vars);
  try {
    return fn();
  } finally {
    apply(saved);
  }
}

function jsonFiles(dir: string, prefix = ''): string[] {
  return readdirSync(path.join(dir, prefix), { withFileTypes: true }).flatMap((d) => {
    const rel = prefix ? `${prefix}/${d.name}` : d.name;
    if (d.isDirectory()) return jsonFiles(dir, rel);
    return d.name.endsWith('.json') ? [rel] : [];
  });
}

describe('pack codec', () => {
  const roundTrip = (doc: unknown) => decodeDocument(encodeDocument(doc));

  it('encodeDocument/decodeDocument - columns of every kind come back equal, number for number', () => {
    const n = 100;
    const doc = {
      ints: Array.from({ length: n }, (_, i) => i * 3 - 50),
      big: Array.from({ length: n }, (_, i) => i * 1e7),
      decimals: Array.from({ length: n }, (_, i) => Number((i * 1.37).toFixed(2))),
      doubles: Array.from({ length: n }, (_, i) => Math.sqrt(i + 2) / 3),
      negZero: [-0, ...Array.from({ length: n }, (_, i) => i)],
      strings: Array.from({ length: n }, (_, i) => `|op~${i}|`),
      matrix: Array.from({ length: n }, (_, i) => [i % 5, (i * 7) % 9, 0]),
      records: Array.from({ length: n }, (_, i) => ({ index: i, arch: `a${i}`, lat: i / 7, nested: { x: i, y: null } })),
      map: Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, { index: i, acc: 90 + i / 1000 }])),
      numericKeys: Object.fromEntries(Array.from({ length: n }, (_, i) => [String(i), i])),
      mixed: [1, 'a', null, true, { b: [2] }],
      small: [0.1, 0.2],
    };
    const back = roundTrip(doc) as typeof doc;
    expect(back).toEqual(doc);
    expect(Object.is(back.negZero[0], -0)).toBe(true);
    expect(Object.keys(back.map)).toEqual(Object.keys(doc.map));
  });

  it('encodeDocument - the reserved key is refused, not silently mangled', () => {
    expect(() => encodeDocument({ a: { $pack: 'nums' } })).toThrow(/reserves/);
  });
});

describe('data pack', () => {
  it('the repository ships a pack that hwnas reads by default', () => {
    const pack = withEnv({ HWNAS_PACK: undefined }, () => defaultDataPack());
    expect(pack?.manifestFile).toBe(MANIFEST);
    expect(pack?.manifest.sources.every((s) => s.license && s.citation && s.files.length > 0)).toBe(true);
    // Every data file has its source, license and citation.
    expect(pack!.jsonPaths.filter((f) => !pack!.manifest.sources.some((s) => s.files.includes(f)))).toEqual([]);
  });

  describe('damaged packs', () => {
    let tmp: string;
    beforeEach(() => {
      tmp = mkdtempSync(path.join(tmpdir(), 'hwnas-pack-'));
      for (const f of readdirSync(path.dirname(MANIFEST))) copyFileSync(path.join(path.dirname(MANIFEST), f), path.join(tmp, f));
    });
    afterEach(() => rmSync(tmp, { recursive: true, force: true }));
    const manifestOf = () => JSON.parse(readFileSync(path.join(tmp, 'manifest.json'), 'utf8')) as PackManifest;

    it('DataPack.read - a changed byte fails the entry checksum, naming the entry and what to do', () => {
      const m = manifestOf();
      const e = m.entries.find((x) => x.path === 'hw-nas-bench/fbnet-lut.json')!;
      const bin = readFileSync(path.join(tmp, m.file));
      bin[e.offset + 10] ^= 0xff;
      writeFileSync(path.join(tmp, m.file), bin);
      const pack = DataPack.open(path.join(tmp, 'manifest.json'));
      expect(() => pack.read('hw-nas-bench/fbnet-lut.json')).toThrow(BenchmarkDataError);
      expect(() => pack.read('hw-nas-bench/fbnet-lut.json')).toThrow(
        /hwnas-data-v1\.bin\/hw-nas-bench\/fbnet-lut\.json: data pack entry fails its checksum \(sha256 [0-9a-f]{64}, manifest says [0-9a-f]{64}\): the pack is damaged; restore data\/pack\/ from git or rebuild it with npm run data:pack/,
      );
      // Other entries are still readable.
      expect(pack.read('hw-nas-bench/fbnet-space.json')).toMatchObject({ num_layers: 22 });
    });

    it('DataPack.read - a truncated pack says the pack and manifest do not belong together', () => {
      const m = manifestOf();
      writeFileSync(path.join(tmp, m.file), readFileSync(path.join(tmp, m.file)).subarray(0, 1000));
      expect(() => DataPack.open(path.join(tmp, 'manifest.json')).read('hw-nas-bench/fbnet-space.json')).toThrow(/data pack is 1000 bytes, but its manifest .* says \d+/);
    });

    it('DataPack.open - another format version or no manifest is a clear error', () => {
      writeFileSync(path.join(tmp, 'manifest.json'), JSON.stringify({ ...manifestOf(), version: 2 }));
      expect(() => DataPack.open(path.join(tmp, 'manifest.json'))).toThrow(/data pack version 2 is not supported \(this hwnas reads version 1\)/);
      expect(() => DataPack.open(path.join(tmp, 'none.json'))).toThrow(/none\.json: cannot read the data pack manifest/);
      writeFileSync(path.join(tmp, 'manifest.json'), '{"hello": 1}');
      expect(() => DataPack.open(path.join(tmp, 'manifest.json'))).toThrow(/not a data pack manifest/);
    });

    it('Benchmark - a damaged pack entry surfaces when the tables load', () => {
      const m = manifestOf();
      const bin = readFileSync(path.join(tmp, m.file));
      for (const e of m.entries) bin[e.offset + Math.floor(e.bytes / 2)] ^= 0x55;
      writeFileSync(path.join(tmp, m.file), bin);
      withEnv({ HWNAS_PACK: path.join(tmp, 'manifest.json'), HWNAS_DATA: undefined, HWNAS_CACHE_DIR: path.join(tmp, 'cache') }, () => {
        expect(() => Benchmark.open().nb201).toThrow(/fails its checksum/);
      });
    });
  });

  it('resolveDataDir - the pack path it returns can be given back (a script passing it to Benchmark.open)', () => {
    withEnv({ HWNAS_PACK: undefined, HWNAS_DATA: undefined }, () => {
      const dir = resolveDataDir();
      expect(dir).toBe(defaultDataPack()!.file);
      expect(resolveDataDir(dir)).toBe(dir);
      expect(loadDeviceLatency(dir, 'nb201').devices.length).toBeGreaterThan(0);
      // Any other file is still refused as a data directory.
      expect(() => resolveDataDir(MANIFEST)).toThrow(/does not exist or is not a directory/);
    });
  });

  it('Benchmark.open - with the pack off and no directory, says how to give data', () => {
    withEnv({ HWNAS_PACK: 'off', HWNAS_DATA: undefined }, () => {
      expect(() => Benchmark.open()).toThrow(/no benchmark data: pass --data DIR or set HWNAS_DATA/);
    });
  });
});

describeWithData('data pack against the data directory', (dataDir) => {
  const pack = defaultDataPack()!;

  it('holds every JSON file of the data directory, each value equal to the file', () => {
    const files = jsonFiles(dataDir).sort();
    expect([...pack.jsonPaths].sort()).toEqual(files);
    for (const f of files) {
      const source = readFileSync(path.join(dataDir, f));
      const entry = pack.entry(f)!;
      expect({ f, sha256: createHash('sha256').update(source).digest('hex') }).toEqual({ f, sha256: entry.source_sha256 });
      // node:assert rather than expect: the same strict comparison, many times faster on 15625 records.
      deepStrictEqual(pack.read(f), JSON.parse(source.toString('utf8')), `${f}: the pack's value differs from the file's`);
    }
  });

  it('Nb201Tables - from the pack (its prebuilt tables) equal those parsed from the directory', () => {
    const fromDir = withEnv({ HWNAS_CACHE_DIR: 'off', HWNAS_PACK: 'off' }, () => Nb201Tables.load(dataDir));
    const cache = mkdtempSync(path.join(tmpdir(), 'hwnas-cache-'));
    try {
      const fromPack = withEnv({ HWNAS_CACHE_DIR: cache, HWNAS_DATA: undefined }, () => Benchmark.open().nb201);
      // Served from the pack's table-cache entry, not parsed: the cache holds that entry, inflated, and nothing else.
      const [entry] = pack.manifest.entries.filter((e) => e.kind === 'table-cache');
      expect(readdirSync(cache)).toEqual([path.basename(entry.path)]);
      expect(readFileSync(path.join(cache, path.basename(entry.path))).equals(pack.readBytes(entry.path))).toBe(true);
      // The next load reads that copy and gets the same tables.
      const again = withEnv({ HWNAS_CACHE_DIR: cache, HWNAS_DATA: undefined }, () => Nb201Tables.load(pack.file));
      expect(again.metrics('cifar10')).toEqual(fromPack.metrics('cifar10'));
      expect(again.column('cifar10', 'accuracy')).toEqual(fromPack.column('cifar10', 'accuracy'));
      for (const ds of ['cifar10', 'cifar100', 'ImageNet16-120']) {
        expect(fromPack.metrics(ds)).toEqual(fromDir.metrics(ds));
        // Bit for bit (NaN where a value is missing included).
        const bytes = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
        for (const m of fromDir.metrics(ds)) expect({ ds, m: m.name, equal: bytes(fromPack.column(ds, m.name)).equals(bytes(fromDir.column(ds, m.name))) }).toEqual({ ds, m: m.name, equal: true });
      }
      for (let i = 0; i < NB201_SIZE; i++) if (fromPack.archString(i) !== fromDir.archString(i)) throw new Error(`arch string ${i} differs`);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it('Benchmark - a directory given extends the pack: its own table adds metrics, the rest comes from the pack', () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'hwnas-data-'));
    try {
      mkdirSync(path.join(tmp, 'hw-nas-bench'));
      const records = Array.from({ length: NB201_SIZE }, (_, index) => ({ index, mydevice_latency: index / 10 }));
      writeFileSync(path.join(tmp, 'hw-nas-bench/nb201-cifar10.json'), JSON.stringify({ records }));
      const b = withEnv({ HWNAS_CACHE_DIR: 'off' }, () => {
        const bench = Benchmark.open({ dataDir: tmp });
        expect(bench.nb201.has('cifar10', 'mydevice_latency')).toBe(true);
        return bench;
      });
      const q = b.query('nb201', 'cifar10', 6111);
      // The directory's file replaces the pack's cifar10 costs; accuracies come from the pack.
      expect(q.costs).toEqual({ mydevice_latency: 611.1 });
      expect(q.accuracy.test).toBeCloseTo(94.3733, 4);
      expect(b.nb201.files).toContain(path.join(tmp, 'hw-nas-bench/nb201-cifar10.json'));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
