import { InvalidArgumentError } from '@hwnas/bench-core';

/** Presence and range checks of proto request fields; errors name the proto field. */

export const bad = (field: string, why: string) => new InvalidArgumentError(`${field}: ${why}`);

export function requireString(v: string, field: string): string {
  if (!v) throw bad(field, 'is required');
  return v;
}

export function requireUint(v: number | undefined, field: string, min: number, max: number, limitName?: string): number {
  if (v === undefined) throw bad(field, 'is required');
  if (v < min) throw bad(field, `must be at least ${min}, got ${v}`);
  if (v > max) throw bad(field, `must be at most ${max}${limitName ? ` (the server's ${limitName} limit)` : ''}, got ${v}`);
  return v;
}
