import { Benchmark, costMetricInfo } from '@hwnas/bench-core';
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
  create(opts: CreateBackendOptions): DeviceBackend;
}

const benchmarkOf = (opts: CreateBackendOptions): Benchmark => opts.benchmark ?? Benchmark.open({ dataDir: opts.dataDir });

/** The typed registry: device id -> factory. A new backend is one entry here. */
const REGISTRY = {
  'asic-eyeriss': { kind: 'simulated', needsData: false, create: (o) => createEyerissBackend(o.eyeriss) },
  'fpga-zc706': { kind: 'simulated', needsData: false, create: (o) => createFpgaBackend(o.fpga) },
  'host-cpu': { kind: 'measured', needsData: false, create: (o) => createHostCpuBackend(o.hostCpu) },
  raspi4: { kind: 'replay', needsData: true, create: (o) => createReplayBackend(benchmarkOf(o), 'raspi4') },
  pixel3: { kind: 'replay', needsData: true, create: (o) => createReplayBackend(benchmarkOf(o), 'pixel3') },
  edgegpu: { kind: 'replay', needsData: true, create: (o) => createReplayBackend(benchmarkOf(o), 'edgegpu') },
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

/** The search metric name of a device metric: `latency_ms` on `eyeriss` -> `eyeriss_latency`. */
export function searchMetricName(info: DeviceInfo, deviceMetric: string): string {
  return `${info.metricPrefix}_${SEARCH_SUFFIX[deviceMetric] ?? deviceMetric}`;
}

/**
 * The bench-core metric descriptions of a device's metrics under their search names
 * (`eyeriss_latency` in ms, `fpga_energy` in mJ, `hostcpu_latency`, ...), in `info.metrics` order.
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
