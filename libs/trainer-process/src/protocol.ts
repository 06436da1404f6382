import type { Metrics } from '@hwnas/bench-core';
import { TrainerProtocolError } from './errors';

/** Version of the trainer contract this lib implements (see docs/trainer-contract.md). */
export const TRAINER_CONTRACT = 'hwnas.trainer/v1';

/**
 * Environment variable set to `1` for every trainer: its stdin is a pipe the worker holds open
 * while it lives, and end of file there means the worker is gone (stop at once, no new checkpoint
 * writes). See "Orphan protection" in docs/trainer-contract.md.
 */
export const STDIN_LIFELINE_ENV = 'HWNAS_STDIN_LIFELINE';

/** An architecture a trainer names in a report (a one-shot search's derived one). Treat as frozen. */
export interface TrainerArch {
  readonly string: string;
  readonly encoding: readonly number[];
}

/** One line of a trainer's stdout, classified per `hwnas.trainer/v1`. Treat as frozen. */
export type TrainerMessage =
  /** Not a protocol line: logged with the trial id. */
  | { readonly type: 'log'; readonly line: string }
  /** An intermediate report after `epoch` epochs (total, counted from 0). */
  | { readonly type: 'report'; readonly epoch: number; readonly metrics: Metrics; readonly arch?: TrainerArch }
  /** The final report; exactly one, last. */
  | { readonly type: 'final'; readonly epoch: number; readonly metrics: Metrics; readonly arch?: TrainerArch }
  /** The trainer resumed from a checkpoint taken after `epoch` epochs. */
  | { readonly type: 'resumed'; readonly epoch: number };

const PROTOCOL_KEY = /"hwnas"\s*:/;
/** A bare NaN/Infinity token (what Python's json.dumps writes for non-finite floats). */
const NON_FINITE_TOKEN = /(?<![\w".])-?(NaN|Infinity)(?![\w"])/;

/**
 * Classifies one stdout line. A protocol line is one whose first non-blank character is `{` and
 * which has the key `"hwnas"`; every other line is a log line. Pure.
 *
 * Throws {@link TrainerProtocolError} for a protocol line that is not valid JSON (saying when it
 * is so because of a NaN or Infinity value), has an unknown `hwnas` type, a missing or negative
 * or fractional `epoch`, or metrics that are not finite numbers.
 */
export function parseTrainerLine(line: string): TrainerMessage {
  const text = line.trim();
  if (!text.startsWith('{') || !PROTOCOL_KEY.test(text)) return { type: 'log', line };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const bad = NON_FINITE_TOKEN.exec(stripStrings(text));
    if (bad) throw new TrainerProtocolError(`protocol line carries a non-finite value (${bad[0]}), which is not JSON; metrics must be finite numbers: ${clip(text)}`);
    throw new TrainerProtocolError(`protocol line is not valid JSON: ${clip(text)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TrainerProtocolError(`protocol line is not a JSON object: ${clip(text)}`);
  const msg = value as Record<string, unknown>;
  const type = msg.hwnas;
  if (type !== 'report' && type !== 'final' && type !== 'resumed') {
    throw new TrainerProtocolError(`protocol line has unknown type hwnas=${JSON.stringify(type)} (expected report, final or resumed): ${clip(text)}`);
  }
  const epoch = msg.epoch;
  if (typeof epoch !== 'number' || !Number.isInteger(epoch) || epoch < 0) {
    throw new TrainerProtocolError(`"${type}" line needs "epoch", a non-negative integer; got ${JSON.stringify(epoch)}: ${clip(text)}`);
  }
  if (type === 'resumed') return { type, epoch };
  const metrics = checkMetrics(msg.metrics, type, text);
  // one-shot searches: the optional derived architecture is kept (other extra fields are dropped)
  if (msg.arch === undefined) return { type, epoch, metrics };
  return { type, epoch, metrics, arch: checkArch(msg.arch, type, text) };
}

function checkArch(value: unknown, type: string, text: string): TrainerArch {
  const a = value as { string?: unknown; encoding?: unknown } | null;
  if (typeof a !== 'object' || a === null || Array.isArray(a) || typeof a.string !== 'string' || !Array.isArray(a.encoding)) {
    throw new TrainerProtocolError(`"${type}" line: "arch" must be {"string": text, "encoding": [integers]}: ${clip(text)}`);
  }
  const encoding = a.encoding as unknown[];
  const bad = encoding.findIndex((v) => typeof v !== 'number' || !Number.isInteger(v) || v < 0);
  if (bad >= 0) throw new TrainerProtocolError(`"${type}" line: arch.encoding[${bad}] is ${JSON.stringify(encoding[bad])}, not a non-negative integer: ${clip(text)}`);
  return Object.freeze({ string: a.string, encoding: Object.freeze([...(encoding as number[])]) });
}

function checkMetrics(value: unknown, type: string, text: string): Metrics {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TrainerProtocolError(`"${type}" line needs "metrics", an object of numbers: ${clip(text)}`);
  const out: Record<string, number> = {};
  for (const [name, v] of Object.entries(value)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new TrainerProtocolError(`"${type}" line: metric "${name}" is ${JSON.stringify(v)}, not a finite number: ${clip(text)}`);
    out[name] = v;
  }
  return Object.freeze(out);
}

/** The text with the contents of JSON strings blanked, so that a metric named "NaN" is no NaN. */
function stripStrings(text: string): string {
  return text.replace(/"(?:[^"\\]|\\.)*"/g, '""');
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}
