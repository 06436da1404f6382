import type { NetworkIR } from '@hwnas/bench-core';
import { InvalidArgumentError, SPACES, UnknownDatasetError, buildNetworkIR, getSpace } from '@hwnas/bench-core';
import type { DeviceBackend, DeviceInfo, DeviceSupport, LayerBreakdown, MeasureRequest, Measurement, MeasurementMethod } from './backend';
import { BackendClosedError, MeasurementCancelledError } from './errors';

/** What a simulator computes for one network: the totals and, when asked, the per-layer costs. */
export interface SimulatorOutput {
  readonly latencyMs: number;
  readonly energyMj: number;
  readonly breakdown?: readonly LayerBreakdown[];
}

/** Everything {@link createSimulatorBackend} needs: a description and a pure simulate function. */
export interface SimulatorBackendSpec {
  readonly info: DeviceInfo;
  readonly note: string;
  simulate(ir: NetworkIR, breakdown: boolean): SimulatorOutput;
}

/** Every built-in space with all of its datasets: what the analytical simulators accept. */
export function allSpacesSupport(): readonly DeviceSupport[] {
  return Object.values(SPACES).map((s) => Object.freeze({ space: s.id, datasets: Object.freeze(s.datasets.map((d) => d.name)) }));
}

/**
 * Validates a request against `info` and expands it into the network IR. Throws
 * InvalidArgumentError for a request that is not an object, UnknownSearchSpaceError for a space
 * the device does not support, UnknownDatasetError for a dataset it does not support, and
 * InvalidArchitectureError for a malformed architecture.
 */
export function requestToIR(info: DeviceInfo, request: MeasureRequest): NetworkIR {
  if (typeof request !== 'object' || request === null) throw new InvalidArgumentError('measure request must be an object { space, dataset, arch }');
  const space = getSpace(request.space);
  const support = info.supports.find((s) => s.space === space.id);
  if (!support || !support.datasets.includes(request.dataset)) {
    throw new UnknownDatasetError(String(request.dataset), space.id, support ? support.datasets : []);
  }
  return buildNetworkIR(space, request.arch, request.dataset);
}

/**
 * A {@link DeviceBackend} around a synchronous, deterministic simulator: `measure` validates the
 * request, builds the IR and simulates it in-process (repeats 1, spread 0). Concurrent calls are
 * safe (nothing is shared between them). After `close()`, `measure` rejects with
 * BackendClosedError; an already aborted signal makes it reject with MeasurementCancelledError.
 */
export function createSimulatorBackend(spec: SimulatorBackendSpec): DeviceBackend {
  const info = spec.info;
  const method: MeasurementMethod = Object.freeze({ kind: info.kind, repeats: 1, spread: 0, note: spec.note });
  let closed = false;
  return {
    describe: () => info,
    async measure(request: MeasureRequest, signal?: AbortSignal): Promise<Measurement> {
      if (closed) throw new BackendClosedError(info.id);
      if (signal?.aborted) throw new MeasurementCancelledError(info.id, { cause: signal.reason });
      const ir = requestToIR(info, request);
      const out = spec.simulate(ir, request.breakdown === true);
      const metrics = { latency_ms: out.latencyMs, energy_mj: out.energyMj };
      return out.breakdown ? { device: info.id, metrics, method, breakdown: out.breakdown } : { device: info.id, metrics, method };
    },
    async close(): Promise<void> {
      closed = true;
    },
  };
}
