import { getSpace } from '@hwnas/bench-core';
import { createBackend, deviceMetricInfos, toSearchMetrics } from '@hwnas/device-backends';
import type { GetResultsResponse, ListDevicesResponse, Search, SubmitSearchRequest, SubmitSearchResponse } from '@hwnas/proto';
import { SearchState } from '@hwnas/proto';
import { startNatsServer } from '@hwnas/testing-nats';
import type { NatsServer } from '@hwnas/testing-nats';
import { fromSubmitRequest } from '../src/grpc/mappers';
import { embeddedRun, rpc, searchRequest, spawnApp, startCoordinator, startWorkerProc, uniquePrefix, waitFor, waitForSearch } from './support';
import type { AppProcess, CoordinatorHandle } from './support';

function inProcessEyeriss() {
  const backend = createBackend('asic-eyeriss');
  const info = backend.describe();
  return {
    async measure(_device: string, req: { arch: string }) {
      const m = await backend.measure({ space: 'nb201', dataset: 'cifar10', arch: getSpace('nb201').parse(req.arch) });
      return toSearchMetrics(info, m.metrics);
    },
    catalog: { metrics: () => deviceMetricInfos(info) },
  };
}

/**
 * A cluster whose evaluations take a while: every evaluation asks a device agent that sleeps
 * `delayMs` per measurement, so a search is still running when a test breaks something.
 */
async function cluster(nats: NatsServer, workers: number, delayMs: number) {
  const prefix = uniquePrefix();
  const procs: AppProcess[] = [];
  procs.push(spawnApp('device-agent', ['--device', 'asic-eyeriss', '--nats', nats.url, '--prefix', prefix, '--heartbeat-ms', '300', '--delay-ms', String(delayMs), '--concurrency', '16', '--cache-size', '0']));
  const state: { coord: CoordinatorHandle } = { coord: await startCoordinator(nats.url, prefix) };
  const workerProcs: AppProcess[] = [];
  for (let i = 0; i < workers; i++) workerProcs.push(startWorkerProc(nats.url, prefix, ['--ack-wait-ms', '1500', '--device-timeout-ms', '2000', '--concurrency', '4']));
  const c = state.coord;
  await waitFor(async () => (await rpc<object, ListDevicesResponse>(c.bench, 'listDevices', {})).devices.length > 0, 'the device agent to be live');
  return {
    prefix,
    state,
    workerProcs,
    async submit(req: SubmitSearchRequest) {
      return (await rpc<SubmitSearchRequest, SubmitSearchResponse>(state.coord.search, 'submitSearch', req)).searchId;
    },
    async get(searchId: string): Promise<Search> {
      return (await rpc<object, { search: Search }>(state.coord.search, 'getSearch', { searchId })).search;
    },
    async history(searchId: string) {
      return (await rpc<object, GetResultsResponse>(state.coord.search, 'getResults', { searchId, pageSize: 0, pageToken: '', includeCostQueries: false })).history;
    },
    async close() {
      await state.coord.close();
      await Promise.all([...procs, ...workerProcs].map((p) => p.kill('SIGTERM')));
    },
  };
}

/** Asserts that a finished cluster search is exactly the embedded run of the same request. */
async function expectSameAsEmbedded(req: SubmitSearchRequest, done: Search, history: { arch?: { arch: string } }[]) {
  const keys = history.map((t) => t.arch!.arch);
  expect(done.state).toBe(SearchState.SEARCH_STATE_SUCCEEDED);
  expect(done.counts?.evaluationsDone).toBe(req.budget);
  expect(keys).toHaveLength(req.budget!);
  expect(new Set(keys).size).toBe(req.budget);
  const ref = await embeddedRun(fromSubmitRequest(req).spec, inProcessEyeriss());
  expect(new Set(keys)).toEqual(new Set(ref.keys));
  expect(done.incumbent?.best?.arch?.arch).toBe(ref.view.best?.key);
}

const REQ = searchRequest({ budget: 120, maxInFlight: 6, seed: 23, deviceIds: ['asic-eyeriss'] });

describe('coordinator faults (separate processes, real nats-server)', () => {
  it('faults - a worker killed with SIGKILL mid-search loses no evaluation and counts none twice', async () => {
    await using nats = await startNatsServer({ jetstream: true });
    const cl = await cluster(nats, 2, 25);
    try {
      const id = await cl.submit(REQ);
      let seen = 0;
      await waitFor(async () => (seen = (await cl.get(id)).counts?.evaluationsDone ?? 0) >= 20, '20 evaluations');
      await cl.workerProcs[0].kill('SIGKILL');
      expect(seen).toBeLessThan(REQ.budget!); // the break happened mid-search
      const done = await waitForSearch(() => cl.state.coord.search, id);
      await expectSameAsEmbedded(REQ, done, await cl.history(id));
    } finally {
      await cl.close();
    }
  });

  it('faults - a coordinator killed and restarted mid-search resumes from its log and ends as an uninterrupted run', async () => {
    await using nats = await startNatsServer({ jetstream: true });
    const cl = await cluster(nats, 2, 25);
    try {
      const id = await cl.submit(REQ);
      let seen = 0;
      await waitFor(async () => (seen = (await cl.get(id)).counts?.evaluationsDone ?? 0) >= 30, '30 evaluations');
      await cl.state.coord.proc.kill('SIGKILL');
      expect(seen).toBeLessThan(REQ.budget!);
      cl.state.coord.search.close();
      cl.state.coord.bench.close();
      cl.state.coord = await startCoordinator(nats.url, cl.prefix);
      const done = await waitForSearch(() => cl.state.coord.search, id);
      await expectSameAsEmbedded(REQ, done, await cl.history(id));
    } finally {
      await cl.close();
    }
  });

  it('faults - restarting nats-server (JetStream on disk) mid-search: everyone reconnects and the search finishes', async () => {
    const first = await startNatsServer({ jetstream: true });
    const storeDir = first.storeDir;
    let nats: NatsServer = first;
    const cl = await cluster(nats, 2, 25);
    try {
      const id = await cl.submit(REQ);
      let seen = 0;
      await waitFor(async () => (seen = (await cl.get(id)).counts?.evaluationsDone ?? 0) >= 30, '30 evaluations');
      await first.stop({ keepStore: true });
      expect(seen).toBeLessThan(REQ.budget!);
      await new Promise((r) => setTimeout(r, 1000));
      nats = await startNatsServer({ jetstream: true, port: first.port, storeDir });
      const done = await waitForSearch(() => cl.state.coord.search, id, 90_000);
      await expectSameAsEmbedded(REQ, done, await cl.history(id));
    } finally {
      await cl.close();
      await nats.stop();
    }
  });
});
