import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { InvalidArgumentError } from '@hwnas/bench-core';

/** Option specs of a command, as node:util parseArgs takes them. */
export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses `argv` strictly against `options`; an unknown flag or a missing value becomes an
 * {@link InvalidArgumentError} that names the command, so the CLI prints it as a usage error.
 */
export function parseCommandArgs(command: string, argv: readonly string[], options: OptionSpecs) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
  } catch (e) {
    throw new InvalidArgumentError(`hwnas ${command}: ${(e as Error).message}`);
  }
}

/** A required string option; a clear error names the flag when it is absent. */
export function required(command: string, values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new InvalidArgumentError(`hwnas ${command}: --${name} is required`);
  return v;
}

/** An integer option within [min, max]; the error names the flag and the value. */
export function intOption(command: string, name: string, raw: string | undefined, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new InvalidArgumentError(`hwnas ${command}: --${name} must be an integer in ${min}..${max}, got "${raw}"`);
  }
  return v;
}

/** Options every data-reading command takes. */
export const DATA_OPTION: OptionSpecs = { data: { type: 'string' } };
