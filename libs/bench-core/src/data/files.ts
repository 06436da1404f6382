import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { BenchmarkDataError } from '../errors';
import { defaultDataPack, PACK_ENV } from './data-pack';
import type { DataPack } from './data-pack';

/**
 * Every benchmark file is read through this module, so the data pack (data-pack.ts) is
 * transparent to the loaders: a data file that does not exist on disk is served from the pack
 * when the pack holds its data-directory path (`<any dir>/hw-nas-bench/nb201-archs.json` ->
 * entry `hw-nas-bench/nb201-archs.json`). A data directory given by `--data` or `$HWNAS_DATA`
 * therefore overrides the pack file by file and extends it with files of its own, and with no
 * directory the pack file itself stands for the data directory.
 */

/** Environment variable naming the benchmark data directory. */
export const DATA_DIR_ENV = 'HWNAS_DATA';

/**
 * The benchmark data directory: `explicit` (from `--data`), else `$HWNAS_DATA`, else the data
 * pack (its file path, under which its entries appear). Throws {@link BenchmarkDataError} when
 * none of these exists, or a directory given does not.
 */
export function resolveDataDir(explicit?: string): string {
  const dir = findDataDir(explicit);
  if (dir === undefined) {
    throw new BenchmarkDataError(
      '',
      `no benchmark data: pass --data DIR or set ${DATA_DIR_ENV} (a directory holding hw-nas-bench/ and nas-bench-201/, see the README), or use the data pack (data/pack/; $${PACK_ENV} is "${process.env[PACK_ENV] ?? ''}")`,
    );
  }
  return dir;
}

/**
 * Like {@link resolveDataDir}, but undefined when no data is given at all (no directory and no
 * pack). A directory given that does not exist is still an error.
 */
export function findDataDir(explicit?: string): string | undefined {
  const dir = explicit ?? process.env[DATA_DIR_ENV];
  if (!dir) return defaultDataPack()?.file;
  const abs = path.resolve(dir);
  // The pack's path stands for a data directory (its entries appear under it), so a path that this
  // function returned earlier can be handed back, e.g. from a script to Benchmark.open.
  if (abs === defaultDataPack()?.file) return abs;
  let isDir = false;
  try {
    isDir = statSync(abs).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    throw new BenchmarkDataError(abs, 'benchmark data directory does not exist or is not a directory; it must hold hw-nas-bench/ and nas-bench-201/');
  }
  return abs;
}

function isRealFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The pack entry that serves `file` when it is not on disk: the entry whose path `file` ends with. */
function packed(file: string): { pack: DataPack; relative: string } | undefined {
  const pack = defaultDataPack();
  if (!pack) return undefined;
  const normal = path.resolve(file).split(path.sep).join('/');
  for (const relative of pack.jsonPaths) {
    if (normal.endsWith(`/${relative}`)) return { pack, relative };
  }
  return undefined;
}

/** True when `file` exists and is a regular file, or the data pack serves it. */
export function fileExists(file: string): boolean {
  return isRealFile(file) || packed(file) !== undefined;
}

/**
 * What identifies the content of data file `file` (for caches keyed by it): path, size and
 * modification time of a file on disk, the entry path and checksum of a file served from the
 * pack, or `absent`.
 */
export function dataFileIdentity(file: string): string {
  const abs = path.resolve(file);
  try {
    const s = statSync(abs);
    return `${abs}:${s.size}:${s.mtimeMs}`;
  } catch {
    const p = packed(abs);
    // Independent of where the pack or the data directory is, so that caches built with the pack
    // (its table-cache entries) match wherever it is installed.
    if (p) return `pack:${p.relative}:${p.pack.entry(p.relative)!.sha256}`;
    // An absent file is named by its place in the data layout (<folder>/<file>), not by its absolute
    // path, so that the pack's prebuilt entries (built with some files absent) match in any checkout.
    return `absent:${abs.split(path.sep).slice(-2).join('/')}`;
  }
}

/**
 * Reads and parses a JSON data file, from disk or else from the data pack. `holds` says what the
 * file should contain, for the error message when it is missing, unreadable or not JSON. A
 * document from the pack is shared by every caller: do not modify it.
 */
export function readJson(file: string, holds: string): unknown {
  if (!isRealFile(file)) {
    const p = packed(file);
    if (p) return p.pack.read(p.relative);
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? (e as Error).message})`;
    throw new BenchmarkDataError(file, `${why}; it should hold ${holds}`, { cause: e });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new BenchmarkDataError(file, `not valid JSON (${(e as Error).message}); it should hold ${holds}`, { cause: e });
  }
}

/** Narrowing helper: `value` must be a plain object, else a {@link BenchmarkDataError} for `file`. */
export function expectObject(value: unknown, file: string, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BenchmarkDataError(file, `${what} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Narrowing helper: `value` must be an array, else a {@link BenchmarkDataError} for `file`. */
export function expectArray(value: unknown, file: string, what: string): unknown[] {
  if (!Array.isArray(value)) throw new BenchmarkDataError(file, `${what} must be a JSON array`);
  return value;
}
