import * as path from 'node:path';
import { BenchmarkDataError, InvalidArgumentError } from '../errors';
import { FBNET_MACRO } from '../space/fbnet';
import { NB201_SIZE } from '../space/nb201';
import type { Arch, SpaceId } from '../space/space';
import { expectArray, expectObject, readJson } from './files';

/** Files of the device-latency part of a data directory, relative to it. */
export const DEVICE_LATENCY_FILES: Readonly<Record<SpaceId, string>> = {
  nb201: 'device-latency/nb201-devices.json',
  fbnet: 'device-latency/fbnet-devices.json',
};

/** One device setting: the latency (ms) of every architecture of the table, in table order. */
export interface DeviceLatencyColumn {
  readonly name: string;
  readonly description: string;
  /** Batch size of the measurement, when the source states it. */
  readonly batchSize?: number;
  /** True when the source stores whole milliseconds (many ties). */
  readonly integerMs: boolean;
  readonly latencyMs: Float64Array;
}

/**
 * Measured whole-network latencies of several devices over one architecture list: for `nb201`
 * all 15,625 cells in benchmark index order, for `fbnet` the listed `archs` (22 block indices each).
 */
export interface DeviceLatencyTable {
  readonly space: SpaceId;
  /** The file the table was read from. */
  readonly file: string;
  /** Number of architectures (length of every column). */
  readonly size: number;
  /** fbnet: the architecture of each row; nb201: undefined (row i is benchmark index i). */
  readonly archs?: readonly Arch[];
  /** nb201: the benchmark indices HELP measures to describe a new device. */
  readonly probeIndex?: readonly number[];
  readonly devices: readonly DeviceLatencyColumn[];
}

/** Reads `device-latency/<space>-devices.json` of the benchmark data directory. */
export function loadDeviceLatency(dataDir: string, space: SpaceId): DeviceLatencyTable {
  return readDeviceLatencyFile(path.join(dataDir, DEVICE_LATENCY_FILES[space]), space);
}

/**
 * Reads a device-latency file in the format of the data directory's (see its README):
 * `{ devices: { <name>: { values: [ms per architecture], description?, batch_size?,
 * integer_ms_resolution? } }, probe_index?, archs? }`. nb201 files have one value per benchmark
 * index; fbnet files list their `archs`. Every value must be a positive finite number.
 */
export function readDeviceLatencyFile(file: string, space: SpaceId): DeviceLatencyTable {
  const holds = `measured latencies of devices over the ${space} architectures: { devices: { <name>: { values: [ms, ...] } }${space === 'fbnet' ? ', archs: [[22 block indices], ...]' : ''} }`;
  return parseDeviceLatency(readJson(file, holds), file, space);
}

/** Validates a parsed device-latency document; `file` names it in errors. */
export function parseDeviceLatency(doc: unknown, file: string, space: SpaceId): DeviceLatencyTable {
  const root = expectObject(doc, file, 'the device-latency document');
  let size: number;
  let archs: Arch[] | undefined;
  if (space === 'nb201') {
    size = NB201_SIZE;
  } else if (space === 'fbnet') {
    const rows = expectArray(root.archs, file, '"archs"');
    const layers = FBNET_MACRO.numLayers;
    const blocks = FBNET_MACRO.blocks.length;
    archs = rows.map((row, k) => {
      if (!Array.isArray(row) || row.length !== layers || !row.every((v) => Number.isInteger(v) && v >= 0 && v < blocks)) {
        throw new BenchmarkDataError(file, `archs[${k}] must be ${layers} block indices in 0..${blocks - 1}`);
      }
      return Object.freeze(row.slice()) as Arch;
    });
    size = archs.length;
    if (size === 0) throw new BenchmarkDataError(file, '"archs" is empty');
  } else {
    throw new InvalidArgumentError(`device latency tables exist for nb201 and fbnet, not "${space as string}"`);
  }

  const devicesDoc = expectObject(root.devices, file, '"devices"');
  const names = Object.keys(devicesDoc);
  if (names.length === 0) throw new BenchmarkDataError(file, '"devices" lists no device');
  const devices = names.map((name): DeviceLatencyColumn => {
    const entry = expectObject(devicesDoc[name], file, `devices["${name}"]`);
    const values = expectArray(entry.values, file, `devices["${name}"].values`);
    if (values.length !== size) {
      throw new BenchmarkDataError(file, `devices["${name}"].values has ${values.length} entries, expected ${size} (one per ${space} architecture)`);
    }
    const latencyMs = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      const v = values[i];
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
        throw new BenchmarkDataError(file, `devices["${name}"].values[${i}] must be a positive number of milliseconds, got ${JSON.stringify(v)}`);
      }
      latencyMs[i] = v;
    }
    const batch = entry.batch_size;
    return {
      name,
      description: typeof entry.description === 'string' ? entry.description : '',
      ...(typeof batch === 'number' ? { batchSize: batch } : {}),
      integerMs: entry.integer_ms_resolution === true,
      latencyMs,
    };
  });

  let probeIndex: number[] | undefined;
  if (root.probe_index !== undefined) {
    probeIndex = expectArray(root.probe_index, file, '"probe_index"').map((v, k) => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= size) {
        throw new BenchmarkDataError(file, `probe_index[${k}] must be an architecture index in 0..${size - 1}, got ${JSON.stringify(v)}`);
      }
      return v;
    });
  }
  return { space, file, size, ...(archs ? { archs } : {}), ...(probeIndex ? { probeIndex } : {}), devices };
}

/** The named devices of a device-latency table; an unknown name is an InvalidArgumentError listing the known ones. */
export function knownDevices(table: DeviceLatencyTable, names: readonly string[]): DeviceLatencyColumn[] {
  return names.map((n) => {
    const d = table.devices.find((x) => x.name === n);
    if (!d) throw new InvalidArgumentError(`unknown device "${n}"; the ${table.space} table has ${table.devices.map((x) => x.name).join(', ')}`);
    return d;
  });
}
