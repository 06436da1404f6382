import type { Arch, LayerType, SpaceId } from '@hwnas/bench-core';

/**
 * How a backend obtains its numbers: `measured` runs the network on real hardware, `simulated`
 * computes them from a model, `replay` looks them up in recorded results.
 */
export type DeviceKind = 'measured' | 'simulated' | 'replay';

/** One metric a backend reports, e.g. `{ name: 'latency_ms', unit: 'ms' }`. */
export interface DeviceMetric {
  readonly name: string;
  /** Unit of the value: `ms`, `mJ`, ... */
  readonly unit: string;
  readonly description: string;
}

/** A search space a backend accepts, with the datasets it accepts for it. */
export interface DeviceSupport {
  readonly space: SpaceId;
  readonly datasets: readonly string[];
}

/** What a backend is and what it can measure. Treat as frozen. */
export interface DeviceInfo {
  /**
   * Device id, e.g. `asic-eyeriss`; also the NATS subject token `hwnas.device.<id>.measure`. A
   * backend describes itself under its own id; an agent may register it under an id of its own
   * (`registeredAs(info, 'edge-arm64')`), which then replaces this id and the metric prefix.
   */
  readonly id: string;
  readonly kind: DeviceKind;
  /**
   * HW-NAS-Bench-style prefix of the device's search metric names: `latency_ms` is searched as
   * `<prefix>_latency`, `energy_mj` as `<prefix>_energy` (e.g. `eyeriss_latency`, `fpga_energy`,
   * `hostcpu_latency`, `raspi4_latency`); see `deviceMetricInfos`. Under an id of its own
   * (`registeredAs`), the id with `-` read as `_` (`edge-arm64` -> `edge_arm64_latency`).
   */
  readonly metricPrefix: string;
  /** One-paragraph description of the device or model, including where its constants come from. */
  readonly description: string;
  /** The metrics every successful `measure` returns. */
  readonly metrics: readonly DeviceMetric[];
  /** Spaces and datasets `measure` accepts; anything else is rejected. */
  readonly supports: readonly DeviceSupport[];
}

/** One architecture to measure. */
export interface MeasureRequest {
  readonly space: SpaceId;
  readonly dataset: string;
  readonly arch: Arch;
  /** Also return the per-layer cost breakdown (default false; it allocates one record per layer). */
  readonly breakdown?: boolean;
}

/** How a measurement was obtained. */
export interface MeasurementMethod {
  readonly kind: DeviceKind;
  /** Runs aggregated into the reported values (1 for a deterministic simulator). */
  readonly repeats: number;
  /** Relative spread of the repeats, e.g. (max - min) / median; 0 for a deterministic model. */
  readonly spread?: number;
  /** True when `spread` is too high for the value to be trusted (measured backends only). */
  readonly unstable?: boolean;
  readonly note?: string;
}

/**
 * The cost of one layer of the network IR as a device model accounts it. The records of one
 * measurement sum to its totals: `latencyMs` and `energyMj` are the layer's share of the network's
 * latency and energy (for a pipelined device, its contribution to the critical path).
 */
export interface LayerBreakdown {
  /** `Layer.id` in the IR. */
  readonly layerId: number;
  readonly name: string;
  readonly block: string;
  readonly type: LayerType;
  /** Multiply-accumulates by the bench-core convention (conv and linear only). */
  readonly macs: number;
  /** Clock cycles the layer occupies its hardware (0 for layers fused into a neighbour). */
  readonly cycles: number;
  readonly latencyMs: number;
  readonly energyMj: number;
}

/** The result of one `measure`. Treat as frozen. */
export interface Measurement {
  /** `DeviceInfo.id` of the backend that produced it. */
  readonly device: string;
  /** Values keyed by `DeviceMetric.name` (`latency_ms`, `energy_mj`, ...). */
  readonly metrics: Readonly<Record<string, number>>;
  readonly method: MeasurementMethod;
  /** Per-layer costs in IR order; present only when the request asked for it. */
  readonly breakdown?: readonly LayerBreakdown[];
}

/**
 * A device that measures architectures: real hardware, a simulator or a replay of recorded
 * results. Backends are libraries so they can run in-process as well as behind a device agent.
 *
 * Contract: `describe()` is cheap and constant. `measure` may be called concurrently; it rejects
 * with a `NasError` (an `invalid_argument` one for an unknown space, a malformed architecture or an
 * unsupported dataset). After `close()` resolves, `measure` rejects; `close()` is idempotent.
 */
export interface DeviceBackend {
  describe(): DeviceInfo;
  measure(request: MeasureRequest, signal?: AbortSignal): Promise<Measurement>;
  close(): Promise<void>;
}

/** The two metrics every simulator in this library reports. */
export const LATENCY_ENERGY_METRICS: readonly DeviceMetric[] = [
  { name: 'latency_ms', unit: 'ms', description: 'inference latency per image at batch size 1' },
  { name: 'energy_mj', unit: 'mJ', description: 'inference energy per image at batch size 1, static power included' },
];
