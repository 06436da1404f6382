import { isNasError, NasError } from '@hwnas/bench-core';
import { decideReplicas, validateScaleBounds } from './decide';
import type { ScaleDecision } from './decide';
import type { WorkerScaler } from './worker-scaler';

/** Options of {@link startAutoscaler}. Times are milliseconds. */
export interface AutoscalerOptions {
  readonly scaler: WorkerScaler;
  /**
   * Tasks not finished yet: waiting plus being evaluated (what `NatsTaskQueue.backlog()` returns).
   * A rejection skips the tick and is reported through `onError`.
   */
  readonly backlog: () => Promise<number>;
  /** Fewest worker replicas (default 1; 0 allows scaling to zero). */
  readonly min?: number;
  /** Most worker replicas (default 10). */
  readonly max?: number;
  /** Tasks one worker replica evaluates at once: the workers' `--concurrency` (default 1). */
  readonly perWorker?: number;
  /** Period of the control loop (default 15000). */
  readonly intervalMs?: number;
  /**
   * Minimum time after a change before a scale-down (default 120000). The loop counts its own start
   * as a change, so a coordinator that just restarted (and has not re-dispatched its pending tasks
   * yet) does not shrink the workers on a transiently empty queue.
   */
  readonly cooldownMs?: number;
  /** Minimum time after a change before a scale-up (default 0). */
  readonly upCooldownMs?: number;
  /** Hysteresis of scale-downs, see `decideReplicas` (default 0.75). */
  readonly scaleDownUtilization?: number;
  /** Clock (default `Date.now`). */
  readonly now?: () => number;
  /** Called after every tick that reached a decision (also for `hold`). Must not throw. */
  readonly onDecision?: (event: AutoscalerTick) => void;
  /** Called when a tick fails (backlog or scaler error); the loop carries on. Must not throw. */
  readonly onError?: (error: NasError) => void;
}

/** One decision of the loop, for logs and metrics. */
export interface AutoscalerTick {
  /** The scaled object, e.g. `hwnas/hwnas-worker`. */
  readonly target: string;
  readonly backlog: number;
  /** Replicas before the decision. */
  readonly current: number;
  readonly decision: ScaleDecision;
  /** True when the replica count was changed (false for `hold`). */
  readonly applied: boolean;
}

/** A running autoscaler loop. */
export interface Autoscaler {
  /**
   * Runs one control step now: read the replica count and the backlog, decide, apply. Resolves to
   * the tick, or undefined when it failed (reported through `onError`). Concurrent calls share the
   * step in progress.
   */
  tick(): Promise<AutoscalerTick | undefined>;
  /** Stops the loop and waits for a step in progress. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the worker autoscaler: every `intervalMs` (first step at once), it decides the replica
 * count from the backlog with `decideReplicas` and applies it through `scaler`. Errors never stop
 * the loop (a 403 is reported on every step until the Role is fixed). Timers are unref'd, so the
 * loop does not keep the process alive; call `stop()` on shutdown. Throws InvalidArgumentError for
 * bad bounds.
 *
 * ```ts
 * const scaler = await createKubernetesWorkerScaler({ deployment: 'hwnas-worker' });
 * const autoscaler = scaler && startAutoscaler({ scaler, backlog: () => queue.backlog(), min: 1, max: 8, perWorker: 4 });
 * // on shutdown: await autoscaler?.stop();
 * ```
 */
export function startAutoscaler(opts: AutoscalerOptions): Autoscaler {
  const min = opts.min ?? 1;
  const max = opts.max ?? 10;
  const perWorker = opts.perWorker ?? 1;
  const intervalMs = opts.intervalMs ?? 15_000;
  const cooldownMs = opts.cooldownMs ?? 120_000;
  validateScaleBounds({ min, max, perWorker, scaleDownUtilization: opts.scaleDownUtilization });
  const now = opts.now ?? Date.now;
  let lastScaleAt = now();
  let running: Promise<AutoscalerTick | undefined> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const report = (e: unknown) => {
    const err = isNasError(e) ? e : new NasError(`autoscaler: ${(e as Error)?.message ?? String(e)}`, 'internal', false, { cause: e });
    try {
      opts.onError?.(err);
    } catch {
      // A failing logger must not stop scaling.
    }
  };

  const step = async (): Promise<AutoscalerTick | undefined> => {
    try {
      const [current, backlog] = await Promise.all([opts.scaler.getReplicas(), opts.backlog()]);
      const decision = decideReplicas({
        backlog,
        current,
        min,
        max,
        perWorker,
        scaleDownUtilization: opts.scaleDownUtilization,
        lastScaleAt,
        now: now(),
        cooldownMs,
        upCooldownMs: opts.upCooldownMs,
      });
      const applied = decision.type !== 'hold' && decision.replicas !== current;
      if (applied) {
        await opts.scaler.setReplicas(decision.replicas);
        lastScaleAt = now();
      }
      const tick: AutoscalerTick = { target: opts.scaler.target, backlog, current, decision, applied };
      try {
        opts.onDecision?.(tick);
      } catch {
        // As above: observers cannot break the loop.
      }
      return tick;
    } catch (e) {
      report(e);
      return undefined;
    }
  };

  const tick = () => {
    running ??= step().finally(() => {
      running = undefined;
    });
    return running;
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      void tick().finally(schedule);
    }, intervalMs);
    timer.unref();
  };

  void tick().finally(schedule);

  return {
    tick,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
