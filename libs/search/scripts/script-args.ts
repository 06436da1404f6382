/**
 * Command-line handling shared by the scripts of this folder (and, as `@hwnas/search/script-args`,
 * by libs/cost-model/scripts): strict flags, `--help`, and errors a user can act on instead of
 * stack traces.
 */
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { isNasError, knownDevices, NB201_SIZE } from '@hwnas/bench-core';
import type { DeviceLatencyTable, Nb201Tables } from '@hwnas/bench-core';
import { isStrategyName, STRATEGY_NAMES } from '../src/index';
import type { StrategyName } from '../src/index';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Thrown by the scripts' own checks of flag values; printed with the usage text, exit code 2. */
export class ScriptUsageError extends Error {
  override readonly name = 'ScriptUsageError';
}

/**
 * Parses `process.argv` strictly against `options` (plus `--help` / `-h`). `--help` prints `usage`
 * to stdout and exits 0; an unknown flag, a missing value or a positional argument prints what is
 * wrong and `usage` to stderr and exits 2.
 */
export function scriptArgs<const O extends Options>(usage: string, options: O): ReturnType<typeof parseArgs<{ options: O; strict: true }>>['values'] {
  return parseScriptArgs(usage, options, false).values;
}

/** {@link scriptArgs} for a script that also takes positional arguments (returned in order). */
export function scriptArgsWithPositionals<const O extends Options>(
  usage: string,
  options: O,
): { values: ReturnType<typeof parseArgs<{ options: O; strict: true }>>['values']; positionals: string[] } {
  return parseScriptArgs(usage, options, true);
}

function parseScriptArgs<const O extends Options>(
  usage: string,
  options: O,
  allowPositionals: boolean,
): { values: ReturnType<typeof parseArgs<{ options: O; strict: true }>>['values']; positionals: string[] } {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: process.argv.slice(2), options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals });
  } catch (e) {
    return exitWithUsage(usage, (e as Error).message);
  }
  if (parsed.values.help) {
    process.stdout.write(`${usage.trim()}\n`);
    process.exit(0);
  }
  return { values: parsed.values as ReturnType<typeof parseArgs<{ options: O; strict: true }>>['values'], positionals: parsed.positionals };
}

/**
 * Runs a script's body. A {@link ScriptUsageError} prints its message and `usage` (exit 2); an
 * error of hwnas's own ({@link isNasError}: bad data directory, unknown device or strategy, ...)
 * prints its message alone (exit 1); anything else is a bug and keeps its stack trace.
 */
export async function runScript(usage: string, main: () => void | Promise<void>): Promise<void> {
  try {
    await main();
  } catch (e) {
    if (e instanceof ScriptUsageError) exitWithUsage(usage, e.message);
    if (isNasError(e)) {
      process.stderr.write(`error: ${(e as Error).message}\n`);
      process.exit(1);
    }
    throw e;
  }
}

/** An integer flag value in [min, max]; a {@link ScriptUsageError} naming the flag otherwise. */
export function intFlag(name: string, raw: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const v = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(v) || v < min || v > max) throw new ScriptUsageError(`--${name} must be an integer in ${min}..${max}, got "${raw}"`);
  return v;
}

/** Prints `message` and `usage` to stderr and exits 2: what every usage error of a script ends in. */
export function exitWithUsage(usage: string, message: string): never {
  process.stderr.write(`error: ${message}\n\n${usage.trim()}\n`);
  process.exit(2);
}

/** The flags of a script that runs one strategy over a range of seeds on devices' columns. */
export interface StrategyRunFlags {
  readonly strategy: string;
  /** FIRST-LAST, both included. */
  readonly seeds: string;
  readonly budget: string;
  /** The strategy's options as a JSON object. */
  readonly options: string;
  /** Comma-separated device columns. */
  readonly devices: string;
}

/** {@link StrategyRunFlags} checked and parsed; a {@link ScriptUsageError} names the flag that is wrong. */
export function parseStrategyRunFlags(values: StrategyRunFlags): {
  strategy: StrategyName;
  firstSeed: number;
  lastSeed: number;
  budget: number;
  options: Record<string, string | number | boolean>;
  devices: string[];
} {
  const strategy = values.strategy;
  if (!isStrategyName(strategy)) throw new ScriptUsageError(`--strategy: unknown strategy "${strategy}"; known: ${STRATEGY_NAMES.join(', ')}`);
  const range = /^(\d+)-(\d+)$/.exec(values.seeds.trim());
  if (!range) throw new ScriptUsageError(`--seeds must be FIRST-LAST (e.g. 100-129), got "${values.seeds}"`);
  const firstSeed = intFlag('seeds', range[1]);
  const lastSeed = intFlag('seeds', range[2], firstSeed);
  const budget = intFlag('budget', values.budget, 1, NB201_SIZE);
  let options: Record<string, string | number | boolean>;
  try {
    options = JSON.parse(values.options);
  } catch (e) {
    throw new ScriptUsageError(`--options is not JSON: ${(e as Error).message}`);
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new ScriptUsageError(`--options must be a JSON object, got ${values.options}`);
  const devices = values.devices.split(',').map((d) => d.trim()).filter(Boolean);
  if (devices.length === 0) throw new ScriptUsageError('--devices needs at least one device');
  return { strategy, firstSeed, lastSeed, budget, options, devices };
}

/**
 * The NB201 CIFAR-10 latency column a script's device name means: a column of the table itself
 * (`raspi4_latency`, `pixel3_latency`), or one of HELP's measured devices (`help`, the
 * device-latency table; `silver_4114` is searched as `silver_4114_latency`). An unknown device
 * throws, naming the known ones.
 */
export function latencyColumn(tables: Nb201Tables, help: DeviceLatencyTable, device: string): { metric: string; cost: Float64Array } {
  return device.endsWith('_latency') ? { metric: device, cost: tables.column('cifar10', device) } : { metric: `${device}_latency`, cost: knownDevices(help, [device])[0].latencyMs };
}
