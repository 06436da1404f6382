import { statSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The benchmark data directory for tests: `$HWNAS_DATA` (the Jest setup points it at
 * `../shared/data` beside the repository). Returns undefined when it is missing, except under CI
 * (`CI` set), where a missing data directory is an error: tests must fail there, not skip.
 */
export function testDataDir(): string | undefined {
  const dir = process.env.HWNAS_DATA ? path.resolve(process.env.HWNAS_DATA) : undefined;
  let ok = false;
  try {
    ok = !!dir && statSync(path.join(dir, 'hw-nas-bench')).isDirectory();
  } catch {
    ok = false;
  }
  if (ok) return dir;
  if (process.env.CI) {
    throw new Error(`benchmark data not found at ${dir ?? '(HWNAS_DATA unset)'}; CI needs ../shared/data beside the repository`);
  }
  return undefined;
}

/**
 * `describe` for suites that need the benchmark data: runs them with the data directory, skips
 * them (with a visible reason) only outside CI when the data is absent.
 */
export function describeWithData(name: string, fn: (dataDir: string) => void): void {
  const dir = testDataDir();
  if (dir) describe(name, () => fn(dir));
  else describe.skip(`${name} (benchmark data not found; set HWNAS_DATA)`, () => fn(''));
}

/** The error a promise rejects with; fails the test when it resolves instead. */
export async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}
