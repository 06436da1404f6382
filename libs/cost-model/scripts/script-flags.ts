/**
 * The command-line flags of this folder's scripts, read from process.argv: `--name value` pairs,
 * bare switches and repeated `--option key=value`. A number flag that is not a number stops the
 * script with a message naming it, instead of running on NaN.
 */
import { resolveDataDir } from '@hwnas/bench-core';

/** The value after `--name`, or undefined when the flag is absent. */
export function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : undefined;
}

/** The value after `--name`, or `fallback`. */
export function flagOr(name: string, fallback: string): string {
  return flag(name) ?? fallback;
}

/** The number after `--name`, or `fallback`; exits with a message when it is not a number. */
export function numberFlag(name: string, fallback: number): number {
  const raw = flag(name);
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v)) {
    process.stderr.write(`error: --${name} must be a number, got "${raw}"\n`);
    process.exit(2);
  }
  return v;
}

/** Whether the bare switch `--name` is given. */
export function switchOn(name: string): boolean {
  return process.argv.includes(`--${name}`);
}

/** Every `--option key=value` as strategy options (numbers where the value is one). */
export function strategyOptionFlags(): Record<string, string | number> {
  return Object.fromEntries(
    process.argv
      .flatMap((a, i) => (a === '--option' && i + 1 < process.argv.length ? [process.argv[i + 1].split('=')] : []))
      .map(([k, v]) => [k, Number.isNaN(Number(v)) ? v : Number(v)]),
  );
}

/** The benchmark data: `--data DIR`, else $HWNAS_DATA or the data pack. */
export function dataDirFlag(): string {
  return resolveDataDir(flag('data'));
}
