import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { defaultDataPack } from './data-pack';
import { dataFileIdentity } from './files';

/**
 * A binary cache of parsed tables. Parsing the NAS-Bench-201 JSON files (about 17 MB) costs a few
 * hundred milliseconds; the same columns as raw float64 arrays load in a few. An entry is keyed by
 * the source files' paths, sizes and modification times (or pack entry checksums), so an edited or
 * replaced file is parsed again. The cache is an optimisation only: any failure to read or write it falls back to parsing.
 *
 * Location: `$HWNAS_CACHE_DIR`, else `<os tmpdir>/hwnas-cache`. `HWNAS_CACHE_DIR=off` disables it.
 * The data pack carries the entries for its own files (`table-cache/<kind>-<key>.bin`, written by
 * `npm run data:pack`), so loading from the pack alone is fast from the first run on; the first
 * run copies the entry it used, inflated, to the cache directory.
 */

// Format 2: columns are views of the entry's bytes, and NB201 entries hold no arch strings where
// they are derived from the codes.
const MAGIC = 'hwnas-table-cache/2';

/** A named float64 column of a cached table set. */
export interface CachedColumn {
  readonly group: string;
  readonly name: string;
  readonly values: Float64Array;
}

/** Everything a table set needs besides its columns, as JSON. */
export type CacheMeta = Record<string, unknown>;

function cacheDir(): string | undefined {
  const env = process.env.HWNAS_CACHE_DIR;
  if (env === 'off') return undefined;
  return env || path.join(tmpdir(), 'hwnas-cache');
}

/** Identity of the source files: path, size and mtime of each, pack checksum, or absent. */
function fingerprint(kind: string, files: readonly string[]): string {
  return digest128(`${MAGIC}\n${kind}\n${files.map(dataFileIdentity).join('\n')}`);
}

/**
 * A 128-bit digest of `text` as 32 hex digits: four FNV-1a lanes with different multipliers, each
 * finished with MurmurHash3's avalanche and mixed with the others. Not cryptographic: it names
 * cache entries, whose sources nobody chooses to collide, and it spares a search loading
 * node:crypto (about 3 ms of a start) for one hash.
 */
export function digest128(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x9e3779b9;
  let c = 0x85ebca6b;
  let d = 0xc2b2ae35;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    a = Math.imul(a ^ ch, 0x01000193);
    b = Math.imul(b ^ ch, 0x5bd1e995);
    c = Math.imul(c ^ ch, 0x27d4eb2d);
    d = Math.imul(d ^ ch, 0x165667b1);
  }
  a = fmix32(a ^ text.length);
  b = fmix32(b + a);
  c = fmix32(c + b);
  d = fmix32(d + c);
  a = fmix32(a + d);
  return [a, b, c, d].map((h) => (h >>> 0).toString(16).padStart(8, '0')).join('');
}

function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** The name of the cache entry of `files`: `<kind>-<key>.bin`. */
export function tableCacheName(kind: string, files: readonly string[]): string {
  return `${kind}-${fingerprint(kind, files)}.bin`;
}

/** The pack's entry path for a cache entry named `name`. */
export const packTableCachePath = (name: string): string => `table-cache/${name}`;

/**
 * The bytes of the cache entry `name`: from the cache directory, else from the data pack. An entry
 * taken from the pack is also written to the cache directory: reading the pack's copy means
 * reading the whole pack, checking the entry's sha256 and inflating it (about a third of the
 * CPU time of loading the tables), and the next process then reads the inflated bytes directly.
 * The name holds the pack entry's checksum (see {@link fingerprint}), so another pack never
 * finds this copy.
 */
function readEntry(name: string): Buffer | undefined {
  const dir = cacheDir();
  if (!dir) return undefined;
  try {
    return readFileSync(path.join(dir, name));
  } catch {
    const pack = defaultDataPack();
    if (!pack?.entry(packTableCachePath(name))) return undefined;
    const bytes = pack.readBytes(packTableCachePath(name));
    writeEntry(dir, name, bytes);
    return bytes;
  }
}

/** Writes `bytes` as the cache entry `name` of `dir`; errors (read-only disk, no space) are ignored. */
function writeEntry(dir: string, name: string, bytes: Uint8Array): void {
  const file = path.join(dir, name);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dir, { recursive: true });
    // Write then rename, so a concurrent reader never sees a half-written entry.
    writeFileSync(tmp, bytes);
    renameSync(tmp, file);
  } catch {
    rmSync(tmp, { force: true });
  }
}

/** Reads a cache entry for `files`, or undefined when there is none or it does not match. */
export function readTableCache(kind: string, files: readonly string[]): { meta: CacheMeta; columns: CachedColumn[] } | undefined {
  const key = fingerprint(kind, files);
  try {
    const buf = readEntry(`${kind}-${key}.bin`);
    if (!buf) return undefined;
    const headerLen = buf.readUInt32LE(0);
    const header = JSON.parse(buf.subarray(4, 4 + headerLen).toString('utf8')) as {
      magic: string;
      key: string;
      meta: CacheMeta;
      columns: { group: string; name: string; length: number }[];
    };
    if (header.magic !== MAGIC || header.key !== key) return undefined;
    // Float64 data starts at the next multiple of 8 after the header.
    let offset = Math.ceil((4 + headerLen) / 8) * 8;
    let size = offset;
    for (const c of header.columns) size += c.length * 8;
    if (size !== buf.length) return undefined;
    // Views of the entry's bytes where they are 8-byte aligned (a file read or inflated on its own
    // buffer is), copies otherwise. Little-endian, as written (every platform Node runs on).
    const aligned = buf.byteOffset % 8 === 0;
    const columns = header.columns.map((c) => {
      const values = aligned ? new Float64Array(buf.buffer, buf.byteOffset + offset, c.length) : new Float64Array(c.length);
      if (!aligned) new Uint8Array(values.buffer).set(buf.subarray(offset, offset + c.length * 8));
      offset += c.length * 8;
      return { group: c.group, name: c.name, values };
    });
    return { meta: header.meta, columns };
  } catch {
    return undefined;
  }
}

/** Writes a cache entry for `files`; errors (read-only disk, no space) are ignored. */
export function writeTableCache(kind: string, files: readonly string[], meta: CacheMeta, columns: readonly CachedColumn[]): void {
  const dir = cacheDir();
  if (!dir) return;
  try {
    const key = fingerprint(kind, files);
    const header = Buffer.from(
      JSON.stringify({ magic: MAGIC, key, meta, columns: columns.map((c) => ({ group: c.group, name: c.name, length: c.values.length })) }),
      'utf8',
    );
    const dataStart = Math.ceil((4 + header.length) / 8) * 8;
    const total = dataStart + columns.reduce((n, c) => n + c.values.byteLength, 0);
    const out = Buffer.alloc(total);
    out.writeUInt32LE(header.length, 0);
    header.copy(out, 4);
    let offset = dataStart;
    for (const c of columns) {
      out.set(new Uint8Array(c.values.buffer, c.values.byteOffset, c.values.byteLength), offset);
      offset += c.values.byteLength;
    }
    writeEntry(dir, `${kind}-${key}.bin`, out);
  } catch {
    // The cache is only an optimisation.
  }
}
