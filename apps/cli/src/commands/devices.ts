import { Benchmark, DATA_DIR_ENV } from '@hwnas/bench-core';
import type { DeviceBackend, DeviceInfo } from '@hwnas/device-backends';
import { BACKEND_IDS, backendTraits, createBackend, deviceMetricInfos } from '@hwnas/device-backends';
import { DATA_OPTION, parseCommandArgs } from '../args';
import type { Command } from '../command';
import { renderTable } from '../format';

const USAGE = `hwnas devices [--data DIR] [--json]

  Lists every device backend available in this process with its description: id, kind
  (simulated, measured, replay), metrics with units, search metric names (<prefix>_latency, ...)
  and the spaces and datasets it accepts. The replay devices (raspi4, pixel3, edgegpu) serve the
  HW-NAS-Bench tables and are listed when there is benchmark data (--data, $${DATA_DIR_ENV} or the
  data pack hwnas ships), with exactly what that data holds for them.
  --json prints one JSON array of the devices' describe() objects (plus searchMetrics).`;

/** A device as `hwnas devices --json` prints it: its describe() plus its search metric names. */
export type DeviceListing = DeviceInfo & { readonly searchMetrics: readonly string[] };

/**
 * Every backend that can run in this process, described. Replay backends are included when the
 * benchmark opens (`dataDir`, else `$HWNAS_DATA`, else the data pack) and holds data for them; `skipped` says why the
 * others are missing. Backends are closed before returning.
 */
export async function listDevices(dataDir: string | undefined): Promise<{ devices: DeviceListing[]; skipped: string[] }> {
  const devices: DeviceListing[] = [];
  const skipped: string[] = [];
  // An explicit but broken data directory is the user's error: let it surface. No data at all
  // (no directory, no pack) only leaves the replays out.
  const opened = Benchmark.open({ dataDir, allowNoData: true });
  const benchmark = opened.dataDir !== undefined ? opened : undefined;
  const noData = `no benchmark data (--data DIR, $${DATA_DIR_ENV} or the data pack)`;
  for (const id of BACKEND_IDS) {
    if (backendTraits(id).needsData && !benchmark) {
      skipped.push(`${id}: ${noData}`);
      continue;
    }
    let backend: DeviceBackend;
    try {
      backend = createBackend(id, { benchmark });
    } catch (e) {
      // A data directory without this device's tables: not listed, with the reason.
      skipped.push(`${id}: ${(e as Error).message}`);
      continue;
    }
    const info = backend.describe();
    devices.push({ ...info, searchMetrics: deviceMetricInfos(info).map((m) => m.name) });
    await backend.close();
  }
  return { devices, skipped };
}

/** `hwnas devices`: the device backends available in-process. */
export const devicesCommand: Command = {
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommandArgs('devices', argv, { ...DATA_OPTION, json: { type: 'boolean', default: false } });
    const { devices, skipped } = await listDevices(values.data as string | undefined);
    if (values.json) {
      io.out(JSON.stringify(devices));
    } else {
      const rows = [['device', 'kind', 'metrics', 'search metrics', 'supports']];
      for (const d of devices) {
        rows.push([
          d.id,
          d.kind,
          d.metrics.map((m) => `${m.name} (${m.unit})`).join(', '),
          d.searchMetrics.join(', '),
          d.supports.map((s) => `${s.space}: ${s.datasets.join(', ')}`).join('; '),
        ]);
      }
      io.out(renderTable(rows));
    }
    for (const s of skipped) io.err(`hwnas devices: not listed: ${s}`);
    return 0;
  },
};
