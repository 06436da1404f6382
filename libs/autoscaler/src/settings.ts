import { InvalidArgumentError } from '@hwnas/bench-core';
import { validateScaleBounds } from './decide';

/** The environment variables {@link autoscalerSettingsFromEnv} reads (the k8s manifests set them). */
export const AUTOSCALER_ENV = {
  deployment: 'HWNAS_AUTOSCALE_DEPLOYMENT',
  namespace: 'HWNAS_AUTOSCALE_NAMESPACE',
  min: 'HWNAS_AUTOSCALE_MIN',
  max: 'HWNAS_AUTOSCALE_MAX',
  perWorker: 'HWNAS_AUTOSCALE_PER_WORKER',
  intervalMs: 'HWNAS_AUTOSCALE_INTERVAL_MS',
  cooldownMs: 'HWNAS_AUTOSCALE_COOLDOWN_MS',
} as const;

/** Autoscaler settings of a coordinator process. */
export interface AutoscalerSettings {
  /** The worker Deployment to scale. */
  readonly deployment: string;
  /** Its namespace; undefined = the pod's own. */
  readonly namespace?: string;
  readonly min: number;
  readonly max: number;
  readonly perWorker: number;
  readonly intervalMs?: number;
  readonly cooldownMs?: number;
}

/**
 * Reads the autoscaler settings from the environment (names in {@link AUTOSCALER_ENV}). Returns
 * undefined when `HWNAS_AUTOSCALE_DEPLOYMENT` is unset or empty: autoscaling is off. Defaults:
 * min 1, max 10, perWorker 1. Pure. Throws InvalidArgumentError naming the variable for a
 * malformed number or inconsistent bounds.
 */
export function autoscalerSettingsFromEnv(env: Readonly<Record<string, string | undefined>>): AutoscalerSettings | undefined {
  const deployment = env[AUTOSCALER_ENV.deployment]?.trim();
  if (!deployment) return undefined;
  const int = (key: keyof typeof AUTOSCALER_ENV, min: number): number | undefined => {
    const name = AUTOSCALER_ENV[key];
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') return undefined;
    const v = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(v) || v < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got "${raw}"`);
    return v;
  };
  const settings: AutoscalerSettings = {
    deployment,
    namespace: env[AUTOSCALER_ENV.namespace]?.trim() || undefined,
    min: int('min', 0) ?? 1,
    max: int('max', 1) ?? 10,
    perWorker: int('perWorker', 1) ?? 1,
    intervalMs: int('intervalMs', 1),
    cooldownMs: int('cooldownMs', 0),
  };
  try {
    validateScaleBounds(settings);
  } catch (e) {
    throw new InvalidArgumentError(`${AUTOSCALER_ENV.min}/${AUTOSCALER_ENV.max}: ${(e as Error).message}`, { cause: e });
  }
  return settings;
}
