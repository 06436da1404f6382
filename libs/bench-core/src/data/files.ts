import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { BenchmarkDataError } from '../errors';

/** Environment variable naming the benchmark data directory. */
export const DATA_DIR_ENV = 'HWNAS_DATA';

/**
 * The benchmark data directory: `explicit` (from `--data`), else `$HWNAS_DATA`. Throws
 * {@link BenchmarkDataError} when neither is given or the directory does not exist.
 */
export function resolveDataDir(explicit?: string): string {
  const dir = explicit ?? process.env[DATA_DIR_ENV];
  if (!dir) {
    throw new BenchmarkDataError(
      '',
      `no benchmark data directory given: pass --data DIR or set ${DATA_DIR_ENV}; it must hold hw-nas-bench/ and nas-bench-201/ (see the README)`,
    );
  }
  const abs = path.resolve(dir);
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

/** True when `file` exists and is a regular file. */
export function fileExists(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Reads and parses a JSON file. `holds` says what the file should contain, for the error
 * message when it is missing, unreadable or not JSON.
 */
export function readJson(file: string, holds: string): unknown {
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
