/**
 * Metric names and units. Names follow HW-NAS-Bench for device costs (`raspi4_latency`,
 * `edgegpu_energy`, ...) and NAS-Bench-201 for accuracies; `flops` and `params` are the network
 * IR's counts in millions (NAS-Bench-201's convention).
 */

/** Flat metric values of one architecture, keyed by metric name. Treat as frozen. */
export type Metrics = Readonly<Record<string, number>>;

/** What a metric measures; decides its default direction and where `hwnas query` prints it. */
export type MetricKind = 'accuracy' | 'cost' | 'model' | 'time';

/** Description of one metric. */
export interface MetricInfo {
  readonly name: string;
  /** Unit: `%`, `ms`, `mJ`, `M` (millions of MACs or parameters), `s`, or `` for ratios. */
  readonly unit: string;
  readonly kind: MetricKind;
  /** Whether larger is better (true for accuracies). */
  readonly higherIsBetter: boolean;
  readonly description: string;
}

/** Accuracy metrics of the NAS-Bench-201 tables. */
export const ACCURACY_METRICS: readonly MetricInfo[] = [
  { name: 'accuracy', unit: '%', kind: 'accuracy', higherIsBetter: true, description: 'test accuracy after 200 epochs' },
  { name: 'valid_accuracy', unit: '%', kind: 'accuracy', higherIsBetter: true, description: 'validation accuracy after 200 epochs' },
  { name: 'accuracy_12ep', unit: '%', kind: 'accuracy', higherIsBetter: true, description: 'test accuracy after 12 epochs (low fidelity)' },
  { name: 'valid_accuracy_12ep', unit: '%', kind: 'accuracy', higherIsBetter: true, description: 'validation accuracy after 12 epochs (low fidelity)' },
];

/** Training time recorded by NAS-Bench-201 (what a real evaluation would cost). */
export const TRAIN_TIME_METRIC: MetricInfo = {
  name: 'train_time_s',
  unit: 's',
  kind: 'time',
  higherIsBetter: false,
  description: 'simulated 200-epoch training time',
};

/** Model-size metrics computed from the network IR. */
export const MODEL_METRICS: readonly MetricInfo[] = [
  { name: 'flops', unit: 'M', kind: 'model', higherIsBetter: false, description: 'multiply-accumulates of one forward pass, millions' },
  { name: 'params', unit: 'M', kind: 'model', higherIsBetter: false, description: 'parameters, millions' },
];

/**
 * Describes a device-cost metric from its HW-NAS-Bench-style name: `<device>_latency` (ms),
 * `<device>_energy` (mJ), anything else unitless.
 */
export function costMetricInfo(name: string, unit?: string): MetricInfo {
  const inferred = name.endsWith('_latency') ? 'ms' : name.endsWith('_energy') ? 'mJ' : '';
  const device = name.replace(/_(latency|energy)$/, '');
  const what = name.endsWith('_latency') ? 'latency' : name.endsWith('_energy') ? 'energy' : name;
  return { name, unit: unit ?? inferred, kind: 'cost', higherIsBetter: false, description: `${device} ${what} per image (batch 1)` };
}
