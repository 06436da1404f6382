import { Benchmark, costMetricInfo, InvalidArgumentError } from '@hwnas/bench-core';
import type { MetricInfo } from '@hwnas/bench-core';
import type { DeviceBackend, DeviceInfo, DeviceKind } from './backend';
import { createEyerissBackend } from './asic-eyeriss';
import type { EyerissBackendOptions } from './asic-eyeriss';
import { UnknownDeviceError } from './errors';
import { createFpgaBackend } from './fpga-zc706';
import type { FpgaBackendOptions } from './fpga-zc706';
import { createHostCpuBackend } from './host-cpu';
import type { HostCpuBackendOptions } from './host-cpu';
import { createReplayBackend } from './replay';

/** Options of {@link createBackend}; each backend reads only its own entry. */
export interface CreateBackendOptions {
  /** Benchmark tables for the replay devices (default: `Benchmark.open({ dataDir })`, opened only for them). */
  readonly benchmark?: Benchmark;
  /** Data directory used when `benchmark` is absent (default `$HWNAS_DATA`). */
  readonly dataDir?: string;
  readonly eyeriss?: EyerissBackendOptions;
  readonly fpga?: FpgaBackendOptions;
  readonly hostCpu?: HostCpuBackendOptions;
}

/** One registry entry: how a backend is obtained and whether it needs the benchmark data. */
interface BackendEntry {
  readonly kind: DeviceKind;
  /** True when the backend serves recorded tables, so it needs a data directory. */
  readonly needsData: boolean;
  /** The prefix of its search metrics, as its `describe()` says (registry.spec checks they agree). */
  readonly metricPrefix: string;
  create(opts: CreateBackendOptions): DeviceBackend;
}

const benchmarkOf = (opts: CreateBackendOptions): Benchmark => opts.benchmark ?? Benchmark.open({ dataDir: opts.dataDir });

/** The typed registry: device id -> factory. A new backend is one entry here. */
const REGISTRY = {
  'asic-eyeriss': { kind: 'simulated', needsData: false, metricPrefix: 'eyeriss', create: (o) => createEyerissBackend(o.eyeriss) },
  'fpga-zc706': { kind: 'simulated', needsData: false, metricPrefix: 'fpga', create: (o) => createFpgaBackend(o.fpga) },
  'host-cpu': { kind: 'measured', needsData: false, metricPrefix: 'hostcpu', create: (o) => createHostCpuBackend(o.hostCpu) },
  raspi4: { kind: 'replay', needsData: true, metricPrefix: 'raspi4', create: (o) => createReplayBackend(benchmarkOf(o), 'raspi4') },
  pixel3: { kind: 'replay', needsData: true, metricPrefix: 'pixel3', create: (o) => createReplayBackend(benchmarkOf(o), 'pixel3') },
  edgegpu: { kind: 'replay', needsData: true, metricPrefix: 'edgegpu', create: (o) => createReplayBackend(benchmarkOf(o), 'edgegpu') },
} as const satisfies Record<string, BackendEntry>;

/** Id of a backend of this library. */
export type BackendId = keyof typeof REGISTRY;

/** Every backend id, simulators first, then the measured host CPU, then the replay devices. */
export const BACKEND_IDS: readonly BackendId[] = Object.freeze(Object.keys(REGISTRY) as BackendId[]);

/** True when `id` names a backend of this library. */
export function isBackendId(id: string): id is BackendId {
  return Object.prototype.hasOwnProperty.call(REGISTRY, id);
}

/** The kind of backend `id` creates and whether it needs the benchmark data; throws UnknownDeviceError. */
export function backendTraits(id: string): { readonly kind: DeviceKind; readonly needsData: boolean } {
  if (!isBackendId(id)) throw new UnknownDeviceError(id, BACKEND_IDS);
  const { kind, needsData } = REGISTRY[id];
  return { kind, needsData };
}

/**
 * Creates the backend `id` (one of {@link BACKEND_IDS}). Replay devices read `opts.benchmark`, or
 * open `opts.dataDir` / `$HWNAS_DATA` (BenchmarkDataError when there is none). Throws
 * UnknownDeviceError for an unknown id. The caller owns the backend and must `close()` it.
 */
export function createBackend(id: string, opts: CreateBackendOptions = {}): DeviceBackend {
  if (!isBackendId(id)) throw new UnknownDeviceError(id, BACKEND_IDS);
  return REGISTRY[id].create(opts);
}

/** Device metric name -> suffix of the search metric (`<metricPrefix>_<suffix>`), HW-NAS-Bench style. */
const SEARCH_SUFFIX: Readonly<Record<string, string>> = { latency_ms: 'latency', energy_mj: 'energy' };

/**
 * What a device id other than a backend's own may look like: lower-case letters and digits in
 * words joined by single hyphens, starting with a letter (`edge-arm64`, `rpi4-lab2`). That is a
 * plain NATS subject token, a Kubernetes label value and, with `-` read as `_`, a metric name.
 */
export const DEVICE_ID_PATTERN = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/** Longest device id an agent may register under (a Kubernetes label value's limit). */
export const MAX_DEVICE_ID_LENGTH = 63;

/**
 * Metric prefixes a device id of its own must not produce: those of this library's backends and
 * of the HW-NAS-Bench devices, whose `<prefix>_latency` columns the benchmark tables may hold
 * (`registry.spec.ts` checks that every backend's `metricPrefix` is here).
 */
export const RESERVED_METRIC_PREFIXES: readonly string[] = Object.freeze(['eyeriss', 'fpga', 'hostcpu', 'raspi4', 'pixel3', 'edgegpu', 'edgetpu']);

/** The metric prefix of a device id of its own: the id with `-` read as `_` (`edge-arm64` -> `edge_arm64`). */
function customMetricPrefix(deviceId: string): string {
  return deviceId.replaceAll('-', '_');
}

/**
 * Why `deviceId` cannot be the id an agent of backend `backendId` registers under, or undefined
 * when it can. The backend's own id always can; any other id must match
 * {@link DEVICE_ID_PATTERN}, be at most {@link MAX_DEVICE_ID_LENGTH} characters, not be the id of
 * another backend (whose agents would share its subjects) and not map to one of the
 * {@link RESERVED_METRIC_PREFIXES} (whose metric names mean another device). Since ids hold no
 * `_`, distinct valid ids always give distinct metric names.
 */
export function deviceIdProblem(deviceId: string, backendId: string): string | undefined {
  return deviceId === backendId ? undefined : ownIdProblem(deviceId);
}

/** {@link deviceIdProblem} for an id other than the backend's own. */
function ownIdProblem(deviceId: string): string | undefined {
  if (!DEVICE_ID_PATTERN.test(deviceId)) {
    return `must be lower-case letters and digits in words joined by single hyphens, starting with a letter (e.g. edge-arm64), got ${JSON.stringify(deviceId)}`;
  }
  if (deviceId.length > MAX_DEVICE_ID_LENGTH) return `must be at most ${MAX_DEVICE_ID_LENGTH} characters, got ${deviceId.length}`;
  if (isBackendId(deviceId)) return `"${deviceId}" is the id of the ${deviceId} backend, which only its own agents register under`;
  const prefix = customMetricPrefix(deviceId);
  if (RESERVED_METRIC_PREFIXES.includes(prefix)) {
    return `"${deviceId}" would report ${prefix}_latency, a metric name that already means another device (reserved prefixes: ${RESERVED_METRIC_PREFIXES.join(', ')})`;
  }
  return undefined;
}

/**
 * The description of backend `info` registered under `deviceId` (default: its own id, which
 * returns `info` itself): the same kind, description, metrics and supports, with `id` = `deviceId`
 * and, for an id of its own, `metricPrefix` = the id with `-` read as `_`. This is the one place
 * where a registration's metric names are decided; {@link deviceMetricInfos} and
 * {@link toSearchMetrics} of the result give them (`edge-arm64` running `host-cpu` reports
 * `edge_arm64_latency`, where `host-cpu` itself reports `hostcpu_latency`). Throws
 * InvalidArgumentError with {@link deviceIdProblem}'s reason for an id that cannot be used.
 */
export function registeredAs(info: DeviceInfo, deviceId: string = info.id): DeviceInfo {
  if (deviceId === info.id) return info;
  const problem = deviceIdProblem(deviceId, info.id);
  if (problem) throw new InvalidArgumentError(`device id ${problem}`);
  return Object.freeze({ ...info, id: deviceId, metricPrefix: customMetricPrefix(deviceId) });
}

/**
 * The search metrics a device registered under an id of its own may report, for when no agent
 * says which backend it runs (a restarted coordinator rebuilding its searches): `<prefix>_latency`
 * and `<prefix>_energy`, every name any backend's metrics map to, so a superset of what the device
 * reports. Undefined for a backend's own id (the backend knows its metrics) and for an id no agent
 * can register under.
 */
export function possibleDeviceMetricInfos(deviceId: string): MetricInfo[] | undefined {
  if (ownIdProblem(deviceId) !== undefined) return undefined;
  const prefix = customMetricPrefix(deviceId);
  return [...new Set(Object.values(SEARCH_SUFFIX))].map((suffix) => costMetricInfo(`${prefix}_${suffix}`));
}

/**
 * The search metric a device registered as `deviceId` reports for its metric `deviceMetric`,
 * without an agent to ask: a backend's own id uses that backend's prefix (`host-cpu` +
 * `latency_ms` -> `hostcpu_latency`), any other id its own ({@link registeredAs}: `edge-arm64` ->
 * `edge_arm64_latency`). What a calibration of that device predicts is named the same way.
 */
export function deviceSearchMetric(deviceId: string, deviceMetric: string): string {
  return prefixedMetric(isBackendId(deviceId) ? REGISTRY[deviceId].metricPrefix : customMetricPrefix(deviceId), deviceMetric);
}

/** The search metric name of a device metric: `latency_ms` on `eyeriss` -> `eyeriss_latency`. */
export function searchMetricName(info: DeviceInfo, deviceMetric: string): string {
  return prefixedMetric(info.metricPrefix, deviceMetric);
}

/** `<prefix>_<suffix>`: the one rule of search metric names (`eyeriss` + `latency_ms` -> `eyeriss_latency`). */
function prefixedMetric(prefix: string, deviceMetric: string): string {
  return `${prefix}_${SEARCH_SUFFIX[deviceMetric] ?? deviceMetric}`;
}

/**
 * The bench-core metric descriptions of a device's metrics under their search names
 * (`eyeriss_latency` in ms, `fpga_energy` in mJ, `hostcpu_latency`, ...), in `info.metrics` order.
 * For a registration under an id of its own, pass `registeredAs(info, id)`.
 */
export function deviceMetricInfos(info: DeviceInfo): MetricInfo[] {
  return info.metrics.map((m) => ({ ...costMetricInfo(searchMetricName(info, m.name), m.unit), description: `${info.id}: ${m.description}` }));
}

/** A measurement's metrics renamed to their search names (`{ latency_ms }` -> `{ eyeriss_latency }`). */
export function toSearchMetrics(info: DeviceInfo, metrics: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(metrics)) out[searchMetricName(info, k)] = v;
  return out;
}
