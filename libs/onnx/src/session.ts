import { InvalidArgumentError, Rng } from '@hwnas/bench-core';
import * as ort from 'onnxruntime-node';

/** Options of {@link createSession}. */
export interface SessionOptions {
  /** Intra-op threads (default 1: a pinned, reproducible single-thread measurement). */
  readonly threads?: number;
  /** Graph optimization level (default `'all'`, as a deployment would use). */
  readonly optimization?: 'disabled' | 'basic' | 'extended' | 'all';
}

/**
 * Opens an ONNX Runtime CPU session on a serialized model with `threads` intra-op threads, one
 * inter-op thread and sequential execution. The caller owns the session and must `release()` it
 * (or use {@link withSession}); the first session of a process also loads the native library
 * (~0.3-0.5 s).
 */
export async function createSession(model: Uint8Array, opts: SessionOptions = {}): Promise<ort.InferenceSession> {
  const threads = opts.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new InvalidArgumentError(`threads must be a positive integer, got ${threads}`);
  return ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: opts.optimization ?? 'all',
    executionProviders: ['cpu'],
  });
}

/** Runs `fn` with a fresh session on `model` and always releases the session afterwards. */
export async function withSession<T>(model: Uint8Array, opts: SessionOptions, fn: (session: ort.InferenceSession) => Promise<T>): Promise<T> {
  const session = await createSession(model, opts);
  try {
    return await fn(session);
  } finally {
    await session.release();
  }
}

/** Options of {@link timeModel}. */
export interface TimeModelOptions extends SessionOptions {
  /** Untimed runs before measuring (default 5). */
  readonly warmup?: number;
  /** Timed runs per attempt (default 30); more are made while `minTimeMs` has not elapsed. */
  readonly repeats?: number;
  /** Keep timing until this much time has been spent in timed runs (default 0: exactly `repeats`). */
  readonly minTimeMs?: number;
  /** Upper bound on timed runs when `minTimeMs` asks for more (default 10 x `repeats`). */
  readonly maxRepeats?: number;
  /** A result whose spread (p90/p50 - 1) exceeds this is flagged `unstable` (default 0.05). */
  readonly unstableSpread?: number;
  /**
   * How many more times the timed runs are repeated, in the same session, when an attempt came out
   * unstable (default 0). The attempt with the smallest spread is reported, so a burst of load from
   * other processes does not spoil a result; it stays flagged `unstable` if every attempt was.
   */
  readonly retries?: number;
  /** Seed of the random input tensor (default 0). */
  readonly inputSeed?: number;
  /** Checked between runs; an aborted signal rejects with its reason. */
  readonly signal?: AbortSignal;
}

/** Latency statistics of repeated runs, in milliseconds. Treat as frozen. */
export interface Timing {
  readonly medianMs: number;
  readonly p10Ms: number;
  readonly p90Ms: number;
  readonly meanMs: number;
  readonly minMs: number;
  /** Coefficient of variation: sample standard deviation / mean. */
  readonly cv: number;
  /** Relative spread p90/p50 - 1. */
  readonly spread: number;
  /** Number of timed runs the statistics are over. */
  readonly repeats: number;
  /** Measurement attempts made (1 + retries used); the statistics are those of the best one. */
  readonly attempts: number;
  /**
   * Median CPU time this process used per run (user + system, all threads). Set by
   * {@link timeModel}. Well below `medianMs` means the runs waited for a core: other processes
   * competed for the CPU.
   */
  readonly cpuMedianMs?: number;
  /** True when `spread` is above the threshold: the median is not to be trusted. */
  readonly unstable: boolean;
}

/**
 * Times inference of a serialized model on the host CPU: opens a session ({@link createSession},
 * default 1 thread), feeds a fixed seeded normal input of the model's input shape, makes `warmup`
 * untimed runs, then times each run with `process.hrtime.bigint()`. The session is released before
 * the promise settles, so memory stays flat over thousands of models. Not meant to run
 * concurrently with other CPU-heavy work (that is what makes `unstable` results).
 */
export async function timeModel(model: Uint8Array, opts: TimeModelOptions = {}): Promise<Timing> {
  const warmup = opts.warmup ?? 5;
  const repeats = opts.repeats ?? 30;
  const minTimeMs = opts.minTimeMs ?? 0;
  const retries = opts.retries ?? 0;
  const maxRepeats = opts.maxRepeats ?? 10 * repeats;
  if (!Number.isInteger(warmup) || warmup < 0) throw new InvalidArgumentError(`warmup must be a non-negative integer, got ${warmup}`);
  if (!Number.isInteger(repeats) || repeats < 1) throw new InvalidArgumentError(`repeats must be a positive integer, got ${repeats}`);
  if (!Number.isInteger(retries) || retries < 0) throw new InvalidArgumentError(`retries must be a non-negative integer, got ${retries}`);
  if (!(maxRepeats >= repeats)) throw new InvalidArgumentError(`maxRepeats (${maxRepeats}) must be at least repeats (${repeats})`);
  return withSession(model, opts, async (session) => {
    const feeds = randomFeeds(session, opts.inputSeed ?? 0);
    for (let i = 0; i < warmup; i++) {
      opts.signal?.throwIfAborted();
      await session.run(feeds);
    }
    let best: Timing | undefined;
    for (let attempt = 1; attempt <= 1 + retries; attempt++) {
      const samples: number[] = [];
      const cpu = new Float64Array(maxRepeats);
      let spentMs = 0;
      while (samples.length < repeats || (spentMs < minTimeMs && samples.length < maxRepeats)) {
        opts.signal?.throwIfAborted();
        const c0 = process.cpuUsage();
        const t0 = process.hrtime.bigint();
        await session.run(feeds);
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        const c = process.cpuUsage(c0);
        cpu[samples.length] = (c.user + c.system) / 1000;
        samples.push(ms);
        spentMs += ms;
      }
      const t = { ...summarizeTimes(samples, opts.unstableSpread), cpuMedianMs: quantile(cpu.subarray(0, samples.length).sort(), 0.5) };
      if (!best || t.spread < best.spread) best = t;
      best = { ...best, attempts: attempt };
      if (!best.unstable) break;
    }
    return best as Timing;
  });
}

/**
 * Statistics of latency samples (ms, one run each): quantiles by linear interpolation (numpy's
 * default), mean, sample CV and spread. Pure. Throws {@link InvalidArgumentError} for an empty
 * sample.
 */
export function summarizeTimes(samplesMs: readonly number[], unstableSpread = 0.05): Timing {
  const n = samplesMs.length;
  if (n === 0) throw new InvalidArgumentError('summarizeTimes needs at least one sample');
  const sorted = Float64Array.from(samplesMs).sort();
  let sum = 0;
  for (const x of sorted) sum += x;
  const mean = sum / n;
  let ss = 0;
  for (const x of sorted) ss += (x - mean) * (x - mean);
  const std = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
  const median = quantile(sorted, 0.5);
  const p90 = quantile(sorted, 0.9);
  const spread = median > 0 ? p90 / median - 1 : 0;
  return {
    medianMs: median,
    p10Ms: quantile(sorted, 0.1),
    p90Ms: p90,
    meanMs: mean,
    minMs: sorted[0],
    cv: mean > 0 ? std / mean : 0,
    spread,
    repeats: n,
    attempts: 1,
    unstable: spread > unstableSpread,
  };
}

/** Quantile `q` of ascending `sorted` by linear interpolation between order statistics. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new InvalidArgumentError('quantile of an empty sample');
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function randomFeeds(session: ort.InferenceSession, seed: number): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  const rng = new Rng(seed);
  for (const meta of session.inputMetadata) {
    if (!meta.isTensor || meta.type !== 'float32' || meta.shape.some((d) => typeof d !== 'number')) {
      throw new InvalidArgumentError(`input "${meta.name}" must be a float32 tensor of fixed shape to be timed`);
    }
    const dims = meta.shape as readonly number[];
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = rng.normal();
    feeds[meta.name] = new ort.Tensor('float32', data, dims);
  }
  return feeds;
}
