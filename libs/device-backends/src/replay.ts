import type { Arch, Benchmark, SpaceId } from '@hwnas/bench-core';
import { BenchmarkDataError, InvalidArgumentError, UnknownDatasetError, checkArch, fbnetSpace, getSpace, nb201Space } from '@hwnas/bench-core';
import type { DeviceBackend, DeviceInfo, DeviceMetric, DeviceSupport, MeasureRequest, Measurement, MeasurementMethod } from './backend';
import { BackendClosedError, MeasurementCancelledError, ReplayValueMissingError } from './errors';

/** The HW-NAS-Bench devices a replay backend can serve (their ids are HW-NAS-Bench's prefixes). */
export const REPLAY_DEVICE_IDS = ['raspi4', 'pixel3', 'edgegpu'] as const;

/** Id of a replay device. */
export type ReplayDeviceId = (typeof REPLAY_DEVICE_IDS)[number];

const DESCRIPTIONS: Readonly<Record<ReplayDeviceId, string>> = {
  raspi4:
    'Replay of the HW-NAS-Bench measurements on a Raspberry Pi 4 (Cortex-A72, TFLite, batch 1). NAS-Bench-201 values are ' +
    'looked up by benchmark index in the nb201-<dataset> tables; FBNet values are the sum of the per-block lookup-table ' +
    'entries (stem, 22 blocks, head, pool, classifier), exactly as the HW-NAS-Bench API composes them.',
  pixel3:
    'Replay of the HW-NAS-Bench measurements on a Google Pixel 3 (TFLite benchmark tool, batch 1). NAS-Bench-201 values are ' +
    'looked up by benchmark index in the nb201-<dataset> tables; FBNet values are the sum of the per-block lookup-table ' +
    'entries (stem, 22 blocks, head, pool, classifier), exactly as the HW-NAS-Bench API composes them.',
  edgegpu:
    'Replay of the HW-NAS-Bench measurements on an NVIDIA Jetson TX2 edge GPU (TensorRT, batch 1; energy from the on-board ' +
    'power monitor). NAS-Bench-201 values are looked up by benchmark index where the nb201-<dataset> tables hold an ' +
    'edgegpu column; FBNet values are the sum of the per-block lookup-table entries, exactly as the HW-NAS-Bench API ' +
    'composes them.',
};

/** Device metric -> suffix of its HW-NAS-Bench table column (`<device>_<suffix>`). */
const COLUMNS: readonly { metric: DeviceMetric; suffix: string }[] = [
  { metric: { name: 'latency_ms', unit: 'ms', description: 'measured inference latency per image at batch size 1 (recorded)' }, suffix: 'latency' },
  { metric: { name: 'energy_mj', unit: 'mJ', description: 'measured inference energy per image at batch size 1 (recorded)' }, suffix: 'energy' },
];

/** For one (space, dataset): device metric name -> table column name, for the columns the data holds. */
type ColumnMap = ReadonlyMap<string, string>;

/**
 * A replay backend: serves the HW-NAS-Bench tables of `benchmark` for `device` (`raspi4`, `pixel3`
 * or `edgegpu`) as if the device measured them. NAS-Bench-201 architectures are looked up by
 * benchmark index in `<device>_latency` / `<device>_energy`; FBNet architectures are the
 * lookup-table sum, bit-identical to the HW-NAS-Bench API.
 *
 * `describe().supports` lists exactly what the loaded data holds for the device: an NB201 dataset
 * only where its table has a `<device>_latency` column, FBNet's datasets where the lookup tables
 * have `<device>_latency`. `describe().metrics` lists the metrics available for every supported
 * space and dataset (`latency_ms`, plus `energy_mj` where the data has `<device>_energy`
 * everywhere); `measure` returns those and any other metric the data holds for that request.
 *
 * Reads the tables once at creation (the benchmark caches them); `measure` is an array read or 22
 * additions, safe to call concurrently, and deterministic. Throws InvalidArgumentError for an
 * unknown device and BenchmarkDataError when the data directory holds nothing for the device.
 */
export function createReplayBackend(benchmark: Benchmark, device: ReplayDeviceId): DeviceBackend {
  if (!(REPLAY_DEVICE_IDS as readonly string[]).includes(device)) {
    throw new InvalidArgumentError(`replay device must be one of ${REPLAY_DEVICE_IDS.join(', ')}, got "${device}"`);
  }
  const columns = new Map<string, ColumnMap>();
  const supports: DeviceSupport[] = [];
  const present = (has: (column: string) => boolean): ColumnMap =>
    new Map(COLUMNS.filter((c) => has(`${device}_${c.suffix}`)).map((c) => [c.metric.name, `${device}_${c.suffix}`]));

  if (benchmark.hasTables('nb201')) {
    const datasets: string[] = [];
    for (const ds of nb201Space.datasets) {
      const cols = present((c) => benchmark.nb201.has(ds.name, c));
      if (!cols.has('latency_ms')) continue;
      columns.set(`nb201/${ds.name}`, cols);
      datasets.push(ds.name);
    }
    if (datasets.length) supports.push(Object.freeze({ space: 'nb201', datasets: Object.freeze(datasets) }));
  }
  if (benchmark.hasTables('fbnet')) {
    const names = new Set(benchmark.fbnet.metrics().map((m) => m.name));
    const cols = present((c) => names.has(c));
    if (cols.has('latency_ms')) {
      for (const ds of fbnetSpace.datasets) columns.set(`fbnet/${ds.name}`, cols);
      supports.push(Object.freeze({ space: 'fbnet', datasets: Object.freeze(fbnetSpace.datasets.map((d) => d.name)) }));
    }
  }
  if (supports.length === 0) {
    throw new BenchmarkDataError(benchmark.dataDir ?? '(no benchmark data)', `holds no ${device}_latency values (neither an NB201 column nor an FBNet lookup table); replay device ${device} has nothing to serve`);
  }

  const everywhere = COLUMNS.filter((c) => [...columns.values()].every((m) => m.has(c.metric.name))).map((c) => c.metric);
  const info: DeviceInfo = Object.freeze({
    id: device,
    kind: 'replay',
    metricPrefix: device,
    description: DESCRIPTIONS[device],
    metrics: Object.freeze(everywhere),
    supports: Object.freeze(supports),
  });
  const methods: Record<string, MeasurementMethod> = {
    nb201: Object.freeze({ kind: 'replay', repeats: 1, spread: 0, note: `HW-NAS-Bench ${device} table, looked up by NAS-Bench-201 index` }),
    fbnet: Object.freeze({ kind: 'replay', repeats: 1, spread: 0, note: `HW-NAS-Bench ${device} FBNet lookup-table sum` }),
  };

  const lookup = (space: SpaceId, dataset: string, arch: Arch, column: string): number => {
    if (space === 'fbnet') return benchmark.fbnet.cost(dataset, column, arch);
    return benchmark.nb201.column(dataset, column)[benchmark.nb201.indexOf(arch)];
  };

  let closed = false;
  return {
    describe: () => info,
    async measure(request: MeasureRequest, signal?: AbortSignal): Promise<Measurement> {
      if (closed) throw new BackendClosedError(device);
      if (signal?.aborted) throw new MeasurementCancelledError(device, { cause: signal.reason });
      if (typeof request !== 'object' || request === null) throw new InvalidArgumentError('measure request must be an object { space, dataset, arch }');
      const space = getSpace(request.space);
      const cols = columns.get(`${space.id}/${request.dataset}`);
      if (!cols) {
        const support = info.supports.find((s) => s.space === space.id);
        if (!support) throw new InvalidArgumentError(`device ${device} has no ${space.id} data; it serves ${supportText(info)}`);
        throw new UnknownDatasetError(String(request.dataset), space.id, support.datasets);
      }
      const arch = checkArch(space, request.arch);
      const metrics: Record<string, number> = {};
      for (const [metric, column] of cols) {
        const v = lookup(space.id, request.dataset, arch, column);
        if (Number.isNaN(v)) throw new ReplayValueMissingError(device, column, space.format(arch));
        metrics[metric] = v;
      }
      return { device, metrics, method: methods[space.id] };
    },
    async close(): Promise<void> {
      closed = true;
    },
  };
}

/** `nb201 (cifar10), fbnet (cifar100, ImageNet)`: what a device serves, for error messages. */
function supportText(info: DeviceInfo): string {
  return info.supports.map((s) => `${s.space} (${s.datasets.join(', ')})`).join(', ');
}
