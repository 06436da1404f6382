import { InvalidArgumentError } from '@hwnas/bench-core';

/** A strategy option value as it arrives from a caller (CLI text or a typed value). */
export type RawOptionValue = string | number | boolean;

/** How one strategy option is validated; `description` states its meaning and default. */
export type OptionSpec =
  | { readonly type: 'int'; readonly min: number; readonly max?: number; readonly description: string }
  | { readonly type: 'number'; readonly min?: number; readonly max?: number; readonly description: string }
  | { readonly type: 'boolean'; readonly description: string }
  | { readonly type: 'string'; readonly description: string }
  | { readonly type: 'enum'; readonly values: readonly string[]; readonly description: string };

/** Specs of every option of an options type. */
export type OptionSpecs<O> = { readonly [K in keyof O]: OptionSpec };

/**
 * Merges `raw` over `defaults`, converting text (`"20"`, `"true"`) by each option's spec.
 * Throws {@link InvalidArgumentError} naming the strategy, the option and what it accepts, for an
 * unknown option or an invalid value.
 */
export function resolveOptions<O extends object>(
  strategy: string,
  specs: OptionSpecs<O>,
  defaults: O,
  raw: Readonly<Record<string, RawOptionValue | undefined>> = {},
): O {
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  const names = Object.keys(specs);
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    const spec = (specs as Record<string, OptionSpec>)[name];
    if (!spec) {
      throw new InvalidArgumentError(`strategy ${strategy} has no option "${name}"; its options: ${names.join(', ') || '(none)'}`);
    }
    out[name] = convert(strategy, name, spec, value);
  }
  return out as O;
}

function convert(strategy: string, name: string, spec: OptionSpec, value: RawOptionValue): unknown {
  const bad = (what: string) => new InvalidArgumentError(`strategy ${strategy}: option ${name} must be ${what}, got ${JSON.stringify(value)}`);
  switch (spec.type) {
    case 'int':
    case 'number': {
      const v = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
      const range = `${spec.min ?? '-inf'}..${spec.max ?? 'inf'}`;
      const what = spec.type === 'int' ? `an integer in ${range}` : `a number in ${range}`;
      if (!Number.isFinite(v) || (spec.type === 'int' && !Number.isInteger(v))) throw bad(what);
      if ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max)) throw bad(what);
      return v;
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === '1') return true;
      if (value === 'false' || value === '0') return false;
      throw bad('true or false');
    case 'string':
      if (typeof value === 'string') return value;
      throw bad('a string');
    case 'enum':
      if (typeof value === 'string' && spec.values.includes(value)) return value;
      throw bad(`one of ${spec.values.join(', ')}`);
  }
}
