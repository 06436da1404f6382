import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BenchmarkDataError, UnknownDatasetError, UnknownMetricError } from '../errors';
import { fbnetSpace } from '../space/fbnet';
import { nb201Space } from '../space/nb201';
import { describeWithData } from '../testing/data';
import { Benchmark } from './benchmark';
import { loadFbnetMacro } from './fbnet-lut';
import { FBNET_MACRO } from '../space/fbnet';

interface Reference {
  nasbench201: { indices: number[]; arch_strings: string[]; values: Record<string, Record<string, number>[]> };
  fbnet: ({ arch: number[] } & Record<string, Record<string, number>>)[];
}

describeWithData('Benchmark (HW-NAS-Bench and NAS-Bench-201 tables)', (dataDir) => {
  const bench = Benchmark.open({ dataDir });
  const ref = JSON.parse(readFileSync(path.join(dataDir, 'hw-nas-bench/reference-values.json'), 'utf8')) as Reference;

  it('Benchmark - reproduces every FBNet reference value exactly', () => {
    let checked = 0;
    for (const entry of ref.fbnet) {
      for (const dataset of ['cifar100', 'ImageNet']) {
        const costs = bench.fbnet.costs(dataset, entry.arch);
        for (const [metric, expected] of Object.entries(entry[dataset])) {
          expect({ metric, dataset, value: costs[metric] }).toEqual({ metric, dataset, value: expected });
          checked++;
        }
      }
    }
    expect(checked).toBe(24);
  });

  it('Benchmark - reproduces the NB201 reference values the tables hold', () => {
    const { indices, arch_strings, values } = ref.nasbench201;
    let checked = 0;
    indices.forEach((index, k) => {
      const q = bench.query('nb201', 'cifar10', index);
      expect(q.arch).toBe(arch_strings[k]);
      for (const [metric, expected] of Object.entries(values.cifar10[k])) {
        if (metric in q.costs) {
          expect(q.costs[metric]).toBe(expected);
          checked++;
        }
      }
    });
    expect(checked).toBe(6);
  });

  it.each([
    ['cifar10', 94.37, 6111],
    ['cifar100', 73.51, 9930],
    ['ImageNet16-120', 47.31, 857],
  ])('Benchmark - the %s test optimum is %s at index %s', (dataset, optimum, index) => {
    const acc = bench.nb201.column(dataset, 'accuracy');
    let best = 0;
    for (let i = 1; i < acc.length; i++) if (acc[i] > acc[best]) best = i;
    expect(best).toBe(index);
    expect(acc[best]).toBeCloseTo(optimum, 2);
    expect(bench.query('nb201', dataset, index).accuracy.test).toBeCloseTo(optimum, 2);
  });

  it('Benchmark - query returns accuracy, costs, flops and params', () => {
    const q = bench.query('nb201', 'cifar10', nb201Space.parse(ref.nasbench201.arch_strings[0]));
    expect(q.index).toBe(0);
    expect(Object.keys(q.accuracy).sort()).toEqual(['test', 'test_12ep', 'valid_12ep']);
    expect(Object.keys(q.costs).sort()).toEqual(['pixel3_latency', 'raspi4_latency']);
    expect(q.flops).toBeGreaterThan(7.78);
    expect(q.params).toBeGreaterThan(0.07);
    const c100 = bench.query('nb201', 'cifar100', 0);
    expect(Object.keys(c100.accuracy).sort()).toEqual(['test', 'test_12ep', 'valid', 'valid_12ep']);
    expect(c100.costs).toEqual({});
    const fb = bench.query('fbnet', 'cifar100', new Array(22).fill(0));
    expect(fb.index).toBeUndefined();
    expect(fb.costs.edgegpu_latency).toBe(ref.fbnet[0].cifar100.edgegpu_latency);
    expect(fb.arch).toBe(new Array(22).fill('k3_e1').join(','));
  });

  it('Benchmark - names metrics as HW-NAS-Bench does, with units', () => {
    const names = bench.metrics('nb201', 'cifar10').map((m) => `${m.name}[${m.unit}]`);
    expect(names).toEqual(['accuracy[%]', 'accuracy_12ep[%]', 'valid_accuracy_12ep[%]', 'train_time_s[s]', 'raspi4_latency[ms]', 'pixel3_latency[ms]', 'flops[M]', 'params[M]']);
    expect(bench.metrics(fbnetSpace, 'ImageNet').map((m) => m.name)).toEqual(['edgegpu_latency', 'edgegpu_energy', 'raspi4_latency', 'pixel3_latency', 'flops', 'params']);
  });

  it('Benchmark - unknown metric and dataset get errors that list what exists', () => {
    expect(() => bench.nb201.column('cifar10', 'edgegpu_latency')).toThrow(UnknownMetricError);
    expect(() => bench.nb201.column('cifar10', 'edgegpu_latency')).toThrow(/available metrics: accuracy, .*raspi4_latency/);
    expect(() => bench.query('nb201', 'imagenet', 0)).toThrow(UnknownDatasetError);
    expect(() => bench.query('nb201', 'imagenet', 0)).toThrow(/known datasets: cifar10, cifar100, ImageNet16-120/);
    expect(() => bench.query('fbnet', 'cifar10', new Array(22).fill(0))).toThrow(/known datasets: cifar100, ImageNet/);
  });

  it('loadFbnetMacro - the data file describes the built-in macro', () => {
    expect(loadFbnetMacro(dataDir)).toEqual(FBNET_MACRO);
  });

  // A directory alone, without the data pack behind it (data-pack.spec.ts tests the two together).
  describe('bad data directories', () => {
    let tmp: string;
    const savedPack = process.env.HWNAS_PACK;
    beforeEach(() => {
      tmp = mkdtempSync(path.join(tmpdir(), 'hwnas-data-'));
      process.env.HWNAS_PACK = 'off';
    });
    afterEach(() => {
      rmSync(tmp, { recursive: true, force: true });
      if (savedPack === undefined) delete process.env.HWNAS_PACK;
      else process.env.HWNAS_PACK = savedPack;
    });

    it('Benchmark.open - a missing directory names it', () => {
      expect(() => Benchmark.open({ dataDir: path.join(tmp, 'nope') })).toThrow(BenchmarkDataError);
      expect(() => Benchmark.open({ dataDir: path.join(tmp, 'nope') })).toThrow(/nope: benchmark data directory does not exist/);
    });

    it('Benchmark.open - no directory at all says how to give one', () => {
      const saved = process.env.HWNAS_DATA;
      delete process.env.HWNAS_DATA;
      try {
        expect(() => Benchmark.open()).toThrow(/pass --data DIR or set HWNAS_DATA/);
      } finally {
        process.env.HWNAS_DATA = saved;
      }
    });

    it('Benchmark - a missing index file names the file and what it should hold', () => {
      const b = Benchmark.open({ dataDir: tmp });
      expect(() => b.nb201).toThrow(/hw-nas-bench\/nb201-archs.json: file not found; it should hold the NAS-Bench-201 index table/);
    });

    it('Benchmark - malformed JSON names the file', () => {
      mkdirSync(path.join(tmp, 'hw-nas-bench'));
      writeFileSync(path.join(tmp, 'hw-nas-bench/fbnet-lut.json'), '{"metrics": ');
      expect(() => Benchmark.open({ dataDir: tmp }).fbnet).toThrow(/fbnet-lut.json: not valid JSON/);
    });

    it('Benchmark - a lookup table missing a key names the key', () => {
      mkdirSync(path.join(tmp, 'hw-nas-bench'));
      writeFileSync(path.join(tmp, 'hw-nas-bench/fbnet-lut.json'), JSON.stringify({ metrics: { raspi4_latency: { FC_Cin1504_Cout100: 1 } } }));
      expect(() => Benchmark.open({ dataDir: tmp }).fbnet).toThrow(/metrics.raspi4_latency has no numeric entry for key ConvBlock_H32_W32_Cin16_Cout16_exp1_kernel3_stride1_group1/);
    });

    it('Benchmark - a cost record with a non-numeric value names the record', () => {
      mkdirSync(path.join(tmp, 'hw-nas-bench'));
      symlinkSync(path.join(dataDir, 'hw-nas-bench/nb201-archs.json'), path.join(tmp, 'hw-nas-bench/nb201-archs.json'));
      writeFileSync(path.join(tmp, 'hw-nas-bench/nb201-cifar10.json'), JSON.stringify({ records: [{ index: 0, raspi4_latency: 'fast' }] }));
      expect(() => Benchmark.open({ dataDir: tmp }).nb201).toThrow(/records\[0\].raspi4_latency must be a number, got "fast"/);
    });

    it('Benchmark - the table cache keeps an index table\'s own spelling, and derives canonical strings', () => {
      const savedCache = process.env.HWNAS_CACHE_DIR;
      process.env.HWNAS_CACHE_DIR = path.join(tmp, 'cache');
      try {
        mkdirSync(path.join(tmp, 'hw-nas-bench'));
        const doc = JSON.parse(readFileSync(path.join(dataDir, 'hw-nas-bench/nb201-archs.json'), 'utf8')) as { arch_strings: string[] };
        const canonical = doc.arch_strings.slice();
        const archFile = path.join(tmp, 'hw-nas-bench/nb201-archs.json');
        writeFileSync(archFile, JSON.stringify({ arch_strings: canonical }));
        const parsed = Benchmark.open({ dataDir: tmp }).nb201;
        const cached = Benchmark.open({ dataDir: tmp }).nb201;
        expect(readdirSync(path.join(tmp, 'cache')).filter((f) => f.startsWith('nb201-'))).toHaveLength(1);
        for (const t of [parsed, cached]) for (let i = 0; i < canonical.length; i++) if (t.archString(i) !== canonical[i]) throw new Error(`archString(${i}) is ${t.archString(i)}`);

        // The same table spelled with spaces around one string: a new cache entry, which keeps the spelling.
        const spelled = canonical.slice();
        spelled[7] = ` ${spelled[7]} `;
        writeFileSync(archFile, JSON.stringify({ arch_strings: spelled }));
        utimesSync(archFile, new Date(), new Date(Date.now() + 5000));
        expect(Benchmark.open({ dataDir: tmp }).nb201.archString(7)).toBe(spelled[7]);
        const again = Benchmark.open({ dataDir: tmp }).nb201;
        expect(readdirSync(path.join(tmp, 'cache')).filter((f) => f.startsWith('nb201-'))).toHaveLength(2);
        expect([again.archString(7), again.archString(8)]).toEqual([spelled[7], canonical[8]]);
        // Only the second entry holds the 15625 strings (about 1.4 MB).
        const sizes = readdirSync(path.join(tmp, 'cache')).map((f) => statSync(path.join(tmp, 'cache', f)).size).sort((a, b) => a - b);
        expect(sizes[1] - sizes[0]).toBeGreaterThan(15625 * 60);
      } finally {
        if (savedCache === undefined) delete process.env.HWNAS_CACHE_DIR;
        else process.env.HWNAS_CACHE_DIR = savedCache;
      }
    });

    it('Benchmark - reads whatever metric columns a user table holds', () => {
      mkdirSync(path.join(tmp, 'hw-nas-bench'));
      symlinkSync(path.join(dataDir, 'hw-nas-bench/nb201-archs.json'), path.join(tmp, 'hw-nas-bench/nb201-archs.json'));
      const records = Array.from({ length: 15625 }, (_, index) => ({ index, mydevice_latency: index / 10, mydevice_energy: 1 }));
      writeFileSync(path.join(tmp, 'hw-nas-bench/nb201-cifar100.json'), JSON.stringify({ records }));
      const b = Benchmark.open({ dataDir: tmp });
      expect(b.metrics('nb201', 'cifar100').map((m) => `${m.name}[${m.unit}]`)).toEqual(['mydevice_latency[ms]', 'mydevice_energy[mJ]', 'flops[M]', 'params[M]']);
      expect(b.query('nb201', 'cifar100', 42).costs).toEqual({ mydevice_latency: 4.2, mydevice_energy: 1 });
      expect(b.query('nb201', 'cifar100', 42).accuracy).toEqual({});
    });
  });
});
