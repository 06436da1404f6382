import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { brotliDecompressSync, inflateSync } from 'node:zlib';
import { BenchmarkDataError } from '../errors';
import { decodeDocument } from './pack-codec';

/**
 * The benchmark data pack shipped in the repository (`data/pack/`): every JSON file of a data
 * directory in the reference format, each entry encoded by pack-codec.ts, brotli-compressed and
 * checksummed. `manifest.json` beside the pack lists the entries (offset, size, sha256 of the
 * stored bytes, size and sha256 of the source file), the format version and every source's
 * license and citation. `npm run data:pack` builds both from a data directory.
 *
 * `$HWNAS_PACK` selects another manifest (a path) or disables the pack (`off`).
 */

/** Environment variable: the pack's manifest path, or `off`. */
export const PACK_ENV = 'HWNAS_PACK';
/** Format name and version this code reads. */
export const PACK_FORMAT = 'hwnas-data-pack';
export const PACK_VERSION = 1;
/** Where the pack lives, relative to the repository root. */
export const PACK_MANIFEST_PATH = 'data/pack/manifest.json';

/** One packed file. `path` is relative to a data directory, with '/' separators. */
export interface PackEntry {
  readonly path: string;
  /**
   * `json`: a JSON data file (pack-codec.ts encoding); `table-cache`: parsed tables in the binary
   * form of table-cache.ts, built from the JSON entries so that a cold start needs no parsing.
   */
  readonly kind: 'json' | 'table-cache';
  /** brotli (smallest) for data files; deflate (about twice as fast to inflate) for table caches. */
  readonly compression: 'brotli' | 'deflate';
  readonly offset: number;
  readonly bytes: number;
  /** sha256 of the stored (compressed) bytes: checked before an entry is decoded. */
  readonly sha256: string;
  /** Size and sha256 of the JSON file the entry was built from, for provenance. */
  readonly source_bytes?: number;
  readonly source_sha256?: string;
}

/** Where a part of the data comes from, and under which terms. */
export interface PackSource {
  readonly files: readonly string[];
  readonly origin: string;
  readonly license: string;
  readonly citation: string;
}

export interface PackManifest {
  readonly format: typeof PACK_FORMAT;
  readonly version: number;
  /** The pack file, relative to the manifest. */
  readonly file: string;
  readonly bytes: number;
  readonly entries: readonly PackEntry[];
  readonly sources: readonly PackSource[];
}

/** A data pack opened from its manifest; entries are read, verified and decoded on first use. */
export class DataPack {
  private readonly byPath: ReadonlyMap<string, PackEntry>;
  private bytes?: Buffer;
  private readonly decoded = new Map<string, unknown>();

  private constructor(
    readonly manifestFile: string,
    readonly manifest: PackManifest,
    /** Absolute path of the pack file; also the virtual directory its entries appear under. */
    readonly file: string,
  ) {
    this.byPath = new Map(manifest.entries.map((e) => [e.path, e]));
    this.jsonPaths = manifest.entries.filter((e) => e.kind === 'json').map((e) => e.path);
  }

  /** Opens the pack described by `manifestFile`. Throws {@link BenchmarkDataError} when it is unusable. */
  static open(manifestFile: string): DataPack {
    const abs = path.resolve(manifestFile);
    let manifest: PackManifest;
    try {
      manifest = JSON.parse(readFileSync(abs, 'utf8')) as PackManifest;
    } catch (e) {
      throw new BenchmarkDataError(abs, `cannot read the data pack manifest (${(e as Error).message})`, { cause: e });
    }
    if (manifest?.format !== PACK_FORMAT || !Array.isArray(manifest.entries) || typeof manifest.file !== 'string') {
      throw new BenchmarkDataError(abs, `not a data pack manifest: "format" must be "${PACK_FORMAT}" with "file" and "entries"`);
    }
    if (manifest.version !== PACK_VERSION) {
      throw new BenchmarkDataError(abs, `data pack version ${manifest.version} is not supported (this hwnas reads version ${PACK_VERSION}); rebuild it with npm run data:pack`);
    }
    return new DataPack(abs, manifest, path.resolve(path.dirname(abs), manifest.file));
  }

  /** Whether the pack holds `relative` (a data-directory path such as `hw-nas-bench/nb201-archs.json`). */
  has(relative: string): boolean {
    return this.byPath.has(relative);
  }

  /** The entry of `relative`, if the pack holds it. */
  entry(relative: string): PackEntry | undefined {
    return this.byPath.get(relative);
  }

  /** Every data file (JSON entry) the pack holds, by data-directory path. */
  readonly jsonPaths: readonly string[];

  /** The stored bytes of `entry`, after checking their size and sha256. */
  private stored(entry: PackEntry): Buffer {
    if (!this.bytes) {
      try {
        this.bytes = readFileSync(this.file);
      } catch (e) {
        throw new BenchmarkDataError(this.file, `cannot read the data pack (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); rebuild it with npm run data:pack`, { cause: e });
      }
      if (this.bytes.length !== this.manifest.bytes) {
        throw new BenchmarkDataError(this.file, `data pack is ${this.bytes.length} bytes, but its manifest ${this.manifestFile} says ${this.manifest.bytes}: the pack and manifest do not belong together; rebuild them with npm run data:pack`);
      }
    }
    const raw = this.bytes.subarray(entry.offset, entry.offset + entry.bytes);
    const actual = createHash('sha256').update(raw).digest('hex');
    if (raw.length !== entry.bytes || actual !== entry.sha256) {
      throw new BenchmarkDataError(
        `${this.file}/${entry.path}`,
        `data pack entry fails its checksum (sha256 ${actual}, manifest says ${entry.sha256}): the pack is damaged; restore data/pack/ from git or rebuild it with npm run data:pack`,
      );
    }
    return raw;
  }

  /** The uncompressed bytes of entry `relative` (checksum verified). */
  readBytes(relative: string): Buffer {
    const entry = this.byPath.get(relative);
    if (!entry) throw new BenchmarkDataError(`${this.file}/${relative}`, 'not in the data pack');
    const raw = this.stored(entry);
    if (entry.compression !== 'brotli' && entry.compression !== 'deflate') {
      throw new BenchmarkDataError(`${this.file}/${relative}`, `unknown compression "${String(entry.compression)}" in the manifest`);
    }
    try {
      return entry.compression === 'deflate' ? inflateSync(raw) : brotliDecompressSync(raw);
    } catch (e) {
      throw new BenchmarkDataError(`${this.file}/${relative}`, `data pack entry cannot be decompressed (${(e as Error).message})`, { cause: e });
    }
  }

  /** The parsed JSON document of `relative`, equal to `JSON.parse` of the source file. Cached; do not modify. */
  read(relative: string): unknown {
    if (this.decoded.has(relative)) return this.decoded.get(relative);
    const bytes = this.readBytes(relative);
    let doc: unknown;
    try {
      doc = decodeDocument(bytes);
    } catch (e) {
      throw new BenchmarkDataError(`${this.file}/${relative}`, `data pack entry cannot be decoded (${(e as Error).message})`, { cause: e });
    }
    this.decoded.set(relative, doc);
    return doc;
  }
}

/** Looks for `data/pack/manifest.json` in `from` and its parents (the repository or image root). */
function findManifest(from: string): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, PACK_MANIFEST_PATH);
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here; look further up
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

let defaultPack: { env: string | undefined; pack: DataPack | undefined } | undefined;

/**
 * The pack hwnas reads by default: `$HWNAS_PACK` (a manifest path, or `off` for none), else the
 * repository's own `data/pack/manifest.json`. Undefined when there is none. Opened once per
 * process (again only if `$HWNAS_PACK` changes).
 */
export function defaultDataPack(): DataPack | undefined {
  const env = process.env[PACK_ENV];
  if (defaultPack && defaultPack.env === env) return defaultPack.pack;
  let pack: DataPack | undefined;
  if (env === 'off') pack = undefined;
  else if (env) pack = DataPack.open(env);
  else {
    const manifest = findManifest(__dirname);
    pack = manifest ? DataPack.open(manifest) : undefined;
  }
  defaultPack = { env, pack };
  return pack;
}
