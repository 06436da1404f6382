/**
 * BenchmarkService's conversions: proto query requests -> bench-core queries, bench-core results,
 * spaces and devices -> proto messages.
 */
import { costMetricInfo, getSpace, spaceSize } from '@hwnas/bench-core';
import type { MetricInfo, QueryResult, SearchSpace } from '@hwnas/bench-core';
import { DeviceKind, MetricKind } from '@hwnas/proto';
import type { DeviceInfo, QueryRequest, QueryResponse, SpaceInfo } from '@hwnas/proto';
import { bad, requireString } from './fields';

/** A QueryRequest's architecture as the bench-core query expects it. */
export function fromQueryRequest(req: QueryRequest): { space: SearchSpace; dataset: string; arch: ReturnType<SearchSpace['parse']> | number } {
  const space = getSpace(requireString(req.space, 'space'));
  const dataset = requireString(req.dataset, 'dataset');
  const a = req.architecture;
  if (!a) throw bad('architecture', 'one of arch or nb201_index is required');
  if (a.$case === 'nb201Index') {
    if (space.id !== 'nb201') throw bad('nb201_index', 'is only defined for space nb201');
    const last = Number(spaceSize(space)) - 1;
    if (a.value > last) throw bad('nb201_index', `must be in 0..${last}, got ${a.value}`);
    return { space, dataset, arch: a.value };
  }
  try {
    return { space, dataset, arch: space.parse(requireString(a.value, 'arch')) };
  } catch (e) {
    throw bad('arch', (e as Error).message);
  }
}

/** What `hwnas query --json` prints, as a QueryResponse. */
export function toQueryResponse(q: QueryResult): QueryResponse {
  return {
    space: q.space,
    dataset: q.dataset,
    arch: { arch: q.arch, ...(q.index !== undefined ? { nb201Index: q.index } : {}) },
    accuracyPercent: { ...q.accuracy },
    costs: { ...q.costs },
    flopsMillions: q.flops,
    paramsMillions: q.params,
    ...(q.train_time_s !== undefined ? { trainTimeS: q.train_time_s } : {}),
  };
}

const METRIC_KIND: Record<MetricInfo['kind'], MetricKind> = {
  accuracy: MetricKind.METRIC_KIND_ACCURACY,
  cost: MetricKind.METRIC_KIND_COST,
  model: MetricKind.METRIC_KIND_MODEL,
  time: MetricKind.METRIC_KIND_TIME,
};

/** A space with its datasets and the metrics `metricsOf` reports for each (skipped when it throws). */
export function toSpaceInfo(space: SearchSpace, metricsOf: (dataset: string) => readonly MetricInfo[] | undefined): SpaceInfo {
  return {
    id: space.id,
    decisions: space.decisions.map((d) => ({ name: d.name, options: [...d.options] })),
    size: spaceSize(space).toString(),
    datasets: space.datasets.map((d) => ({
      name: d.name,
      inputHw: d.inputHw,
      inputChannels: d.inputChannels,
      numClasses: d.numClasses,
      metrics: (metricsOf(d.name) ?? []).map((m) => ({ name: m.name, unit: m.unit, kind: METRIC_KIND[m.kind], higherIsBetter: m.higherIsBetter, description: m.description })),
    })),
  };
}

/** A live device as ListDevices reports it (folded from agents' heartbeats). */
export interface LiveDevice {
  readonly deviceId: string;
  /** The backend its agents run (`host-cpu` for a board registered as `edge-arm64`); the id itself for agents that predate the field. */
  readonly backend: string;
  readonly kind: 'measured' | 'simulated' | 'replay';
  /** What the device or hardware model is, from its backend ('' when its agents predate the field). */
  readonly description: string;
  /** Search metric names it reports (`eyeriss_latency`, ...). */
  readonly metrics: readonly string[];
  readonly supports: readonly { readonly space: string; readonly datasets: readonly string[] }[];
  readonly agentCount: number;
  readonly lastHeartbeatAtMs: number;
}

/** A live device as ListDevices returns it (units and descriptions from the metric names). */
export function toDeviceInfo(d: LiveDevice): DeviceInfo {
  const kind = d.kind === 'measured' ? DeviceKind.DEVICE_KIND_MEASURED : d.kind === 'simulated' ? DeviceKind.DEVICE_KIND_SIMULATED : DeviceKind.DEVICE_KIND_REPLAY;
  return {
    deviceId: d.deviceId,
    backend: d.backend,
    kind,
    description: d.description,
    metrics: d.metrics.map((m) => {
      const info = costMetricInfo(m);
      return { name: m, unit: info.unit, description: info.description };
    }),
    supports: d.supports.map((s) => ({ space: s.space, datasets: [...s.datasets] })),
    agentCount: d.agentCount,
    lastHeartbeatAtMs: d.lastHeartbeatAtMs,
  };
}
