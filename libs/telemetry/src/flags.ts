import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { InvalidArgumentError } from '@hwnas/bench-core';

/** What {@link readServiceFlags} returns: the parsed flags and two readers over flags + environment. */
export interface ServiceFlags {
  /** Every parsed flag (those of `vars` as strings, plus `extra`). */
  readonly values: Record<string, string | boolean | undefined>;
  /** A flag's value, else its variable's (an empty variable counts as unset). */
  get(flag: string): string | undefined;
  /** An integer flag in `min..max` (`def` when unset); InvalidArgumentError names the flag. */
  int(flag: string, def: number, min: number, max?: number): number;
}

/**
 * The flags of a service (coordinator, worker), each with an environment variable to fall back on
 * (`vars`: flag -> variable; a flag wins), plus `extra` options with no variable. Unknown flags
 * and positionals are InvalidArgumentErrors prefixed with `app`, which `exitOnStartError` turns
 * into exit code 2.
 */
export function readServiceFlags(
  app: string,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  vars: Readonly<Record<string, string>>,
  extra: NonNullable<ParseArgsConfig['options']> = {},
): ServiceFlags {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { ...Object.fromEntries(Object.keys(vars).map((k) => [k, { type: 'string' as const }])), ...extra },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new InvalidArgumentError(`${app}: ${(e as Error).message}`);
  }
  const get = (flag: string): string | undefined => (values[flag] as string | undefined) ?? (env[vars[flag]] || undefined);
  const int = (flag: string, def: number, min: number, max?: number): number => {
    const v = get(flag);
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < min || (max !== undefined && n > max)) {
      throw new InvalidArgumentError(`${app}: --${flag} must be an integer ${max === undefined ? `>= ${min}` : `from ${min} to ${max}`}, got "${v}"`);
    }
    return n;
  };
  return { values, get, int };
}
