import { cpus } from 'node:os';
import { InvalidArgumentError } from '@hwnas/bench-core';
import { exportOnnx, timeModel } from '@hwnas/onnx';
import type { Timing } from '@hwnas/onnx';
import type { DeviceBackend, DeviceInfo, MeasureRequest, Measurement } from './backend';
import { BackendClosedError, MeasurementCancelledError } from './errors';
import { allSpacesSupport, requestToIR } from './simulator-backend';

/** Device id of the host-CPU backend (ONNX Runtime on the machine the backend runs on). */
export const HOST_CPU_DEVICE_ID = 'host-cpu';

/** Options of {@link createHostCpuBackend}. */
export interface HostCpuBackendOptions {
  /** Intra-op threads of the ONNX Runtime session (default 1: pinned, reproducible). */
  readonly threads?: number;
  /** Untimed runs before timing (default 5). */
  readonly warmup?: number;
  /** Timed runs per measurement attempt (default 30). */
  readonly repeats?: number;
  /** Seed of the random weights of the exported model (default 0). */
  readonly seed?: number;
  /** Relative spread (p90/p50 - 1) above which a result is flagged `unstable` (default 0.05). */
  readonly maxSpread?: number;
  /**
   * Re-measurements of an unstable result, in the same session (default 2): the attempt with the
   * smallest spread is reported, so a burst of load from other processes does not spoil a result.
   * It stays flagged `unstable` when every attempt was.
   */
  readonly retries?: number;
}

/**
 * The `host-cpu` backend: a real measurement. `measure` exports the request's network IR to an
 * ONNX model with seeded random weights (`@hwnas/onnx` exportOnnx) and times it with ONNX Runtime
 * on this machine's CPU at batch 1: `threads` intra-op threads, `warmup` untimed runs, `repeats`
 * timed runs. `latency_ms` is the median; `method.spread` is p90/p50 - 1 and `method.unstable`
 * says whether it exceeds `maxSpread` (then the value should not be trusted). No energy.
 *
 * Measurements are serialized inside the backend (one at a time, in call order), because
 * concurrent runs on the same cores disturb each other's timings; concurrent callers simply
 * queue. An aborted signal cancels a queued or running measurement (MeasurementCancelledError).
 * The same code measures on an ARM board (onnxruntime-node ships linux-arm64). Throws
 * InvalidArgumentError at creation for invalid options.
 */
export function createHostCpuBackend(opts: HostCpuBackendOptions = {}): DeviceBackend {
  const threads = opts.threads ?? 1;
  const warmup = opts.warmup ?? 5;
  const repeats = opts.repeats ?? 30;
  const seed = opts.seed ?? 0;
  const maxSpread = opts.maxSpread ?? 0.05;
  const retries = opts.retries ?? 2;
  const positiveInt = (name: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) throw new InvalidArgumentError(`host-cpu: ${name} must be an integer >= ${min}, got ${v}`);
  };
  positiveInt('threads', threads, 1);
  positiveInt('warmup', warmup, 0);
  positiveInt('repeats', repeats, 1);
  positiveInt('retries', retries, 0);
  if (!(maxSpread >= 0) || !Number.isFinite(seed)) {
    throw new InvalidArgumentError(`host-cpu: maxSpread must be non-negative and seed finite, got ${maxSpread}, ${seed}`);
  }
  const cpu = cpus()[0]?.model?.trim() || 'unknown CPU';
  const info: DeviceInfo = Object.freeze({
    id: HOST_CPU_DEVICE_ID,
    kind: 'measured',
    metricPrefix: 'hostcpu',
    description:
      `Real measurement on this host's CPU (${process.arch}, ${cpu}) with ONNX Runtime (CPU execution provider): the network ` +
      `is exported to ONNX with seeded random weights (seed ${seed}) and run at batch 1 with ${threads} intra-op thread(s), ` +
      `${warmup} warm-up runs and ${repeats} timed runs; latency is the median, a result whose p90/p50 spread exceeds ` +
      `${maxSpread * 100}% is re-measured up to ${retries} more time(s) (the steadiest attempt is kept) and otherwise flagged unstable. ` +
      'One measurement at a time. Runs unchanged on ARM boards (Raspberry Pi, Jetson) through onnxruntime-node linux-arm64.',
    metrics: Object.freeze([{ name: 'latency_ms', unit: 'ms', description: 'measured median inference latency per image at batch size 1' }]),
    supports: allSpacesSupport(),
  });

  // Serializes measurements: each one starts when the previous one has settled.
  let tail: Promise<unknown> = Promise.resolve();
  let closed = false;

  const run = async (request: MeasureRequest, signal?: AbortSignal): Promise<Measurement> => {
    if (closed) throw new BackendClosedError(info.id);
    if (signal?.aborted) throw new MeasurementCancelledError(info.id, { cause: signal.reason });
    const model = exportOnnx(requestToIR(info, request), { seed });
    let t: Timing;
    try {
      t = await timeModel(model, { threads, warmup, repeats, retries, unstableSpread: maxSpread, signal });
    } catch (e) {
      if (signal?.aborted) throw new MeasurementCancelledError(info.id, { cause: signal.reason });
      throw e;
    }
    return {
      device: info.id,
      metrics: { latency_ms: t.medianMs },
      method: {
        kind: 'measured',
        repeats: t.repeats,
        spread: t.spread,
        unstable: t.unstable,
        note:
          `onnxruntime-node CPU, ${threads} thread(s), batch 1, median of ${t.repeats} runs after ${warmup} warm-up runs, ` +
          `attempt ${t.attempts}/${retries + 1}; spread p90/p50-1 = ${(t.spread * 100).toFixed(2)}%, ` +
          `cv = ${(t.cv * 100).toFixed(2)}%${t.unstable ? `; UNSTABLE (spread above ${maxSpread * 100}%)` : ''}`,
      },
    };
  };

  return {
    describe: () => info,
    measure(request: MeasureRequest, signal?: AbortSignal): Promise<Measurement> {
      const result = tail.then(() => run(request, signal));
      tail = result.catch(() => undefined);
      return result;
    },
    async close(): Promise<void> {
      closed = true;
      await tail;
    },
  };
}
