import { createBackend } from '@hwnas/device-backends';
import type { DeviceInfo, GetResultsResponse, ListDevicesResponse, SubmitSearchResponse } from '@hwnas/proto';
import { TrialStatus } from '@hwnas/proto';
import { startNatsServer } from '@hwnas/testing-nats';
import { fromSubmitRequest } from '../src/grpc/mappers';
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { embeddedRun, inProcessEyeriss, runCliProcess, rpc, searchRequest, spawnApp, startCoordinator, startWorkerProc, uniquePrefix, waitFor, waitForSearch } from './support';
import type { AppProcess, CoordinatorHandle } from './support';

describe('coordinator cluster (separate processes, real nats-server)', () => {
  it('cluster - 2 workers and a device agent finish with exactly budget distinct evaluations and the embedded best', async () => {
    await using nats = await startNatsServer({ jetstream: true });
    const prefix = uniquePrefix();
    const procs: AppProcess[] = [];
    let coord: CoordinatorHandle | undefined;
    try {
      const agent = spawnApp('device-agent', ['--device', 'asic-eyeriss', '--nats', nats.url, '--prefix', prefix, '--heartbeat-ms', '300']);
      procs.push(agent);
      coord = await startCoordinator(nats.url, prefix);
      procs.push(startWorkerProc(nats.url, prefix), startWorkerProc(nats.url, prefix));
      const c = coord;
      await waitFor(async () => (await rpc<object, ListDevicesResponse>(c.bench, 'listDevices', {})).devices.some((d: DeviceInfo) => d.deviceId === 'asic-eyeriss'), 'the device agent to be live');
      // The agent's heartbeats carry its backend's description to ListDevices.
      const listed = (await rpc<object, ListDevicesResponse>(c.bench, 'listDevices', {})).devices.find((d: DeviceInfo) => d.deviceId === 'asic-eyeriss');
      expect(listed?.description).toBe(createBackend('asic-eyeriss').describe().description);
      expect(listed?.description).toContain('Eyeriss v1 row-stationary ASIC');

      const req = searchRequest({ budget: 80, maxInFlight: 8, seed: 11, deviceIds: ['asic-eyeriss'] });
      const { searchId } = await rpc<typeof req, SubmitSearchResponse>(c.search, 'submitSearch', req);
      const done = await waitForSearch(() => c.search, searchId);
      expect(done.counts?.evaluationsDone).toBe(80);
      const res = await rpc<object, GetResultsResponse>(c.search, 'getResults', { searchId, pageSize: 0, pageToken: '', includeCostQueries: false });
      const keys = res.history.map((t) => t.arch!.arch);
      expect(res.history).toHaveLength(80);
      expect(new Set(keys).size).toBe(80);
      expect(res.history.every((t) => t.status === TrialStatus.TRIAL_STATUS_OK && t.metrics.eyeriss_latency > 0)).toBe(true);

      const ref = await embeddedRun(fromSubmitRequest(req).spec, inProcessEyeriss());
      expect(done.incumbent?.best?.arch?.arch).toBe(ref.view.best?.key);
      expect(new Set(keys)).toEqual(new Set(ref.keys));

      // The CLI against the live coordinator (as its own process).
      const cli = (...args: string[]) => runCliProcess([...args, '--coordinator', `127.0.0.1:${c.port}`]);
      const status = await cli('status', searchId);
      expect(status).toMatchObject({ code: 0 });
      expect(status.out).toMatch(/state\s+\|?\s*succeeded/);
      const csv = await cli('results', searchId, '--format', 'csv');
      expect(csv.out.trim().split('\n')).toHaveLength(81);
      const plot = path.join(os.tmpdir(), `hwnas-${searchId}.svg`);
      expect((await cli('results', searchId, '--format', 'json', '--plot', plot)).code).toBe(0);
      expect(readFileSync(plot, 'utf8')).toContain('Pareto front');
      const watch = await cli('watch', searchId, '--plain');
      expect(watch.code).toBe(0);
      expect(watch.out).toContain('80/80 100%');
      expect((await cli('cancel', searchId)).err).toContain('already succeeded');
    } finally {
      await coord?.close();
      await Promise.all(procs.map((p) => p.kill('SIGTERM')));
    }
  });
});
