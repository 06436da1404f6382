import { InvalidArgumentError } from '@hwnas/bench-core';

/** Inputs of {@link decideReplicas}. Counts are tasks or replicas; times are milliseconds. */
export interface ScaleInput {
  /** Tasks waiting to be taken by a worker (>= 0). */
  readonly backlog: number;
  /**
   * Tasks being evaluated right now (>= 0, default 0). Demand is `backlog + inFlight`; pass a
   * total such as `NatsTaskQueue.backlog()` (waiting plus unacknowledged) as `backlog` alone.
   */
  readonly inFlight?: number;
  /** Replicas the worker Deployment asks for now (`spec.replicas`). */
  readonly current: number;
  /** Fewest replicas (>= 0; 0 allows scaling to zero when there is no work). */
  readonly min: number;
  /** Most replicas (>= max(min, 1)). */
  readonly max: number;
  /** Tasks one replica evaluates at once (its `--concurrency`, >= 1). */
  readonly perWorker: number;
  /**
   * Hysteresis: a scale-down only goes to a size that would be at most this busy, in (0, 1]
   * (default 0.75). Between `ceil(demand / perWorker)` and `ceil(demand / (perWorker *
   * scaleDownUtilization))` replicas, nothing changes, so a backlog that wobbles does not flap.
   */
  readonly scaleDownUtilization?: number;
  /** When the replica count last changed (by this autoscaler), or undefined for never. */
  readonly lastScaleAt?: number;
  /** The current time, on the same clock as `lastScaleAt`. */
  readonly now: number;
  /** Minimum time after the last change before scaling down (>= 0). */
  readonly cooldownMs: number;
  /** Minimum time after the last change before scaling up (>= 0, default 0: at once). */
  readonly upCooldownMs?: number;
}

/**
 * What to do, and why. `replicas` is the count to set (for `hold`, the current one); `wanted` on a
 * cooldown hold is the count the demand asks for once the cooldown is over.
 */
export type ScaleDecision =
  | { readonly type: 'scale_up'; readonly replicas: number; readonly reason: 'demand' | 'bounds' }
  | { readonly type: 'scale_down'; readonly replicas: number; readonly reason: 'demand' | 'bounds' }
  | { readonly type: 'hold'; readonly replicas: number; readonly reason: 'steady' }
  | { readonly type: 'hold'; readonly replicas: number; readonly reason: 'cooldown'; readonly wanted: number };

/** Default of {@link ScaleInput.scaleDownUtilization}. */
export const DEFAULT_SCALE_DOWN_UTILIZATION = 0.75;

// Guards `ceil` against float noise such as 8 / (4 * 0.75) = 2.6666...67 vs. exact quotients.
const EPS = 1e-9;

/**
 * Decides the worker replica count from the task backlog. Pure and deterministic.
 *
 * Rule, with `demand = backlog + inFlight`:
 * 1. a current count outside `[min, max]` is brought back into it at once (`bounds`);
 * 2. scale up to `clamp(ceil(demand / perWorker))` when that exceeds the current count, unless
 *    the last change is younger than `upCooldownMs`;
 * 3. scale down to `clamp(ceil(demand / (perWorker * scaleDownUtilization)))` when that is below
 *    the current count and the last change is at least `cooldownMs` old (else `hold/cooldown`);
 * 4. otherwise hold.
 *
 * Throws InvalidArgumentError for negative or non-finite counts, `max < max(min, 1)`,
 * `perWorker < 1`, or a utilization outside (0, 1].
 */
export function decideReplicas(input: ScaleInput): ScaleDecision {
  validate(input);
  const { current, min, max, perWorker, now, lastScaleAt } = input;
  const demand = input.backlog + (input.inFlight ?? 0);
  const utilization = input.scaleDownUtilization ?? DEFAULT_SCALE_DOWN_UTILIZATION;
  const clamp = (n: number) => Math.min(max, Math.max(min, n));
  const since = lastScaleAt === undefined ? Infinity : now - lastScaleAt;

  if (current < min) return { type: 'scale_up', replicas: min, reason: 'bounds' };
  if (current > max) return { type: 'scale_down', replicas: max, reason: 'bounds' };

  const upTarget = clamp(Math.ceil(demand / perWorker - EPS));
  if (upTarget > current) {
    if (since < (input.upCooldownMs ?? 0)) return { type: 'hold', replicas: current, reason: 'cooldown', wanted: upTarget };
    return { type: 'scale_up', replicas: upTarget, reason: 'demand' };
  }
  const downTarget = clamp(Math.ceil(demand / (perWorker * utilization) - EPS));
  if (downTarget < current) {
    if (since < input.cooldownMs) return { type: 'hold', replicas: current, reason: 'cooldown', wanted: downTarget };
    return { type: 'scale_down', replicas: downTarget, reason: 'demand' };
  }
  return { type: 'hold', replicas: current, reason: 'steady' };
}

/**
 * Checks the static settings shared by {@link decideReplicas} and the autoscaler loop. Throws
 * InvalidArgumentError naming the first bad setting.
 */
export function validateScaleBounds(s: { readonly min: number; readonly max: number; readonly perWorker: number; readonly scaleDownUtilization?: number }): void {
  if (!Number.isSafeInteger(s.min) || s.min < 0) throw new InvalidArgumentError(`autoscaler: min must be an integer >= 0, got ${s.min}`);
  if (!Number.isSafeInteger(s.max) || s.max < Math.max(s.min, 1)) {
    throw new InvalidArgumentError(`autoscaler: max must be an integer >= max(min, 1), got max ${s.max} with min ${s.min}`);
  }
  if (!Number.isSafeInteger(s.perWorker) || s.perWorker < 1) throw new InvalidArgumentError(`autoscaler: perWorker must be an integer >= 1, got ${s.perWorker}`);
  const u = s.scaleDownUtilization;
  if (u !== undefined && !(u > 0 && u <= 1)) throw new InvalidArgumentError(`autoscaler: scaleDownUtilization must be in (0, 1], got ${u}`);
}

function validate(input: ScaleInput): void {
  validateScaleBounds(input);
  const counts: [string, number | undefined][] = [
    ['backlog', input.backlog],
    ['inFlight', input.inFlight],
    ['current', input.current],
  ];
  for (const [name, v] of counts) {
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= 0)) throw new InvalidArgumentError(`autoscaler: ${name} must be an integer >= 0, got ${v}`);
  }
  const times: [string, number | undefined][] = [
    ['now', input.now],
    ['lastScaleAt', input.lastScaleAt],
  ];
  for (const [name, v] of times) {
    if (v !== undefined && !Number.isFinite(v)) throw new InvalidArgumentError(`autoscaler: ${name} must be a finite time, got ${v}`);
  }
  for (const [name, v] of [
    ['cooldownMs', input.cooldownMs],
    ['upCooldownMs', input.upCooldownMs],
  ] as const) {
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new InvalidArgumentError(`autoscaler: ${name} must be >= 0, got ${v}`);
  }
}
