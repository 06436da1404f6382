import type { ListDevicesResponse, Search, SubmitSearchRequest, SubmitSearchResponse } from '@hwnas/proto';
import { SearchState } from '@hwnas/proto';
import { startNatsServer } from '@hwnas/testing-nats';
import { delay, rpc, searchRequest, spawnApp, startCoordinator, startWorkerProc, uniquePrefix, waitFor, waitForSearch } from './support';
import type { AppProcess } from './support';

describe('worker slots (separate processes, real nats-server)', () => {
  it('worker slots - a search without max_in_flight runs as many evaluations as the live workers have slots, and follows them', async () => {
    await using nats = await startNatsServer({ jetstream: true });
    const prefix = uniquePrefix();
    const procs: AppProcess[] = [];
    // Every evaluation asks a device agent that takes 300 ms: evaluations stay in flight long enough to count.
    procs.push(spawnApp('device-agent', ['--device', 'asic-eyeriss', '--nats', nats.url, '--prefix', prefix, '--heartbeat-ms', '300', '--delay-ms', '300', '--concurrency', '16', '--cache-size', '0']));
    const coord = await startCoordinator(nats.url, prefix);
    try {
      const workers = [0, 1].map(() => startWorkerProc(nats.url, prefix, ['--concurrency', '3']));
      procs.push(...workers);
      await Promise.all(workers.map((w) => w.waitForLog('consuming')));
      await waitFor(async () => (await rpc<object, ListDevicesResponse>(coord.bench, 'listDevices', {})).devices.length > 0, 'the device agent to be live');
      // Past the first heartbeats of both workers.
      await delay(1500);
      const req: SubmitSearchRequest = { ...searchRequest({ budget: 200, seed: 3, deviceIds: ['asic-eyeriss'] }), maxInFlight: undefined };
      const { searchId } = await rpc<SubmitSearchRequest, SubmitSearchResponse>(coord.search, 'submitSearch', req);
      const get = async () => (await rpc<object, { search: Search }>(coord.search, 'getSearch', { searchId })).search;
      const inFlight: number[] = [];
      const sample = async (ms: number) => {
        for (const end = Date.now() + ms; Date.now() < end; await delay(40)) inFlight.push((await get()).counts?.evaluationsInFlight ?? 0);
      };
      await sample(3000);
      expect(Math.max(...inFlight)).toBe(6);
      // One worker leaves (SIGTERM: its last heartbeat says so): three slots are left.
      await workers[1].kill('SIGTERM');
      // What is in flight drains (how fast depends on the machine's load), and no more is asked.
      // The window follows at the coordinator's next check of the live workers (every second): only
      // then is a dip to 3 in flight more than results landing before the next asks.
      await delay(1500);
      await waitFor(async () => ((await get()).counts?.evaluationsInFlight ?? 0) <= 3, 'the search to shrink to 3 in flight', 20_000, 100);
      inFlight.length = 0;
      await sample(2000);
      expect(Math.max(...inFlight)).toBeLessThanOrEqual(3);
      expect(Math.max(...inFlight)).toBeGreaterThanOrEqual(2);
      expect((await get()).state).toBe(SearchState.SEARCH_STATE_RUNNING);
      await rpc(coord.search, 'cancelSearch', { searchId, reason: 'test over' });
    } finally {
      await coord.close();
      await Promise.all(procs.map((p) => p.kill('SIGTERM')));
    }
  }, 60_000);

  it('worker heartbeats - an evaluation longer than --task-timeout is not failed while its worker lives', async () => {
    await using nats = await startNatsServer({ jetstream: true });
    const prefix = uniquePrefix();
    // Each evaluation takes 6 s (the device agent's delay); the coordinator's task timeout is 2 s.
    const agent = spawnApp('device-agent', ['--device', 'asic-eyeriss', '--nats', nats.url, '--prefix', prefix, '--heartbeat-ms', '300', '--delay-ms', '6000', '--concurrency', '4', '--cache-size', '0']);
    const coord = await startCoordinator(nats.url, prefix, ['--task-timeout', '2']);
    const worker = startWorkerProc(nats.url, prefix, ['--concurrency', '2']);
    try {
      await worker.waitForLog('consuming');
      await waitFor(async () => (await rpc<object, ListDevicesResponse>(coord.bench, 'listDevices', {})).devices.length > 0, 'the device agent to be live');
      const req = searchRequest({ strategy: 'random', constraints: [], budget: 2, maxInFlight: 2, seed: 1, deviceIds: ['asic-eyeriss'] });
      const { searchId } = await rpc<SubmitSearchRequest, SubmitSearchResponse>(coord.search, 'submitSearch', req);
      const done = await waitForSearch(() => coord.search, searchId, 40_000);
      expect(done.state).toBe(SearchState.SEARCH_STATE_SUCCEEDED);
      expect(done.counts).toMatchObject({ evaluationsDone: 2, evaluationsFailed: 0 });
      expect(coord.proc.output()).not.toContain('evaluation timed out');
    } finally {
      await coord.close();
      await Promise.all([worker, agent].map((p) => p.kill('SIGTERM')));
    }
  }, 60_000);
});
