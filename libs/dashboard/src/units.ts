import { ACCURACY_METRICS, costMetricInfo, MODEL_METRICS, TRAIN_TIME_METRIC } from '@hwnas/bench-core';

const KNOWN = new Map([...ACCURACY_METRICS, ...MODEL_METRICS, TRAIN_TIME_METRIC].map((m) => [m.name, m]));

/**
 * The unit of a metric known by name alone (no data directory needed): `%` for the NAS-Bench-201
 * accuracies, `M` for flops and params, `s` for training time, `ms`/`mJ` for device latency and
 * energy, `` otherwise.
 */
export function metricUnit(name: string): string {
  return KNOWN.get(name)?.unit ?? costMetricInfo(name).unit;
}

/** Whether larger is better for a metric known by name alone (accuracies and proxy scores). */
export function higherIsBetter(name: string): boolean {
  return KNOWN.get(name)?.higherIsBetter ?? /accuracy|naswot/.test(name);
}
