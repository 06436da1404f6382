/**
 * The command-line flags of this folder's scripts, parsed strictly by the search scripts'
 * `scriptArgs` (`--help` prints the script's usage; an unknown flag, a missing value or a stray
 * argument is a usage error naming it), with the conversions these scripts share: a number flag
 * that is not a number, or an `--option` that is not KEY=VALUE, is a usage error naming the flag
 * instead of a run on NaN. Every script takes `--data DIR`.
 */
import type { ParseArgsConfig } from 'node:util';
import { resolveDataDir } from '@hwnas/bench-core';
import { exitWithUsage, scriptArgs } from '@hwnas/search/script-args';

type Options = NonNullable<ParseArgsConfig['options']>;

/** The flags of one script, read by name (names outside its options are a type error). */
export interface ScriptFlags<Name extends string> {
  /** The value of `--name`, or `fallback` when the flag is absent. */
  string(name: Name, fallback: string): string;
  /** The value of `--name` split at commas (empty items dropped), or `fallback`'s. */
  list(name: Name, fallback: string): string[];
  /** The number after `--name`, or `fallback`. */
  number(name: Name, fallback: number): number;
  /** Whether `--name` is given (a switch, or a flag with a value). */
  has(name: Name): boolean;
  /** Every `--option KEY=VALUE` as strategy options (numbers where the value is one). */
  strategyOptions(): Record<string, string | number>;
  /** The benchmark data: `--data DIR`, else $HWNAS_DATA or the data pack. */
  dataDir(): string;
}

/**
 * Parses `process.argv` against `options` plus `--data DIR` and `--help` (see the module doc);
 * exits 2 with the message and `usage` on a usage error, 0 after printing `usage` for `--help`.
 */
export function scriptFlags<const O extends Options>(usage: string, options: O): ScriptFlags<(keyof O & string) | 'data'> {
  const values = scriptArgs(usage, { data: { type: 'string' }, ...options }) as Record<string, string | boolean | string[] | undefined>;
  const text = (name: string): string | undefined => {
    const v = values[name];
    return typeof v === 'string' ? v : undefined;
  };
  return {
    string: (name, fallback) => text(name) ?? fallback,
    list: (name, fallback) =>
      (text(name) ?? fallback)
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    number: (name, fallback) => {
      const raw = text(name);
      if (raw === undefined) return fallback;
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v)) exitWithUsage(usage, `--${name} must be a number, got "${raw}"`);
      return v;
    },
    has: (name) => values[name] !== undefined && values[name] !== false,
    strategyOptions: () => {
      const pairs = (values.option as string[] | undefined) ?? [];
      return Object.fromEntries(
        pairs.map((pair) => {
          const eq = pair.indexOf('=');
          if (eq <= 0) exitWithUsage(usage, `--option must be KEY=VALUE, got "${pair}"`);
          const v = pair.slice(eq + 1);
          return [pair.slice(0, eq), v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v];
        }),
      );
    },
    dataDir: () => resolveDataDir(text('data')),
  };
}
