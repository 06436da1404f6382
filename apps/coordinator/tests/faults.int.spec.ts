import type { GetResultsResponse, ListDevicesResponse, Search, SubmitSearchRequest, SubmitSearchResponse } from '@hwnas/proto';
import { SearchState, StopReason, TrialStatus } from '@hwnas/proto';
import { startNatsServer } from '@hwnas/testing-nats';
import type { NatsServer } from '@hwnas/testing-nats';
import { connectNats, createNames } from '@hwnas/transport-nats';
import { jetstreamManager } from '@nats-io/jetstream';
import { fromSubmitRequest } from '../src/grpc/mappers';
import { embeddedRun, inProcessEyeriss, rpc, searchRequest, spawnApp, startCoordinator, startWorkerProc, uniquePrefix, waitFor, waitForSearch } from './support';
import type { AppProcess, CoordinatorHandle } from './support';

/**
 * A cluster whose evaluations take a while: every evaluation asks a device agent that sleeps
 * `delayMs` per measurement, so a search is still running when a test breaks something.
 */
async function cluster(nats: NatsServer, workers: number, delayMs: number, opts: { coordinatorArgs?: readonly string[]; workerArgs?: readonly string[] } = {}) {
  const prefix = uniquePrefix();
  const procs: AppProcess[] = [];
  procs.push(spawnApp('device-agent', ['--device', 'asic-eyeriss', '--nats', nats.url, '--prefix', prefix, '--heartbeat-ms', '300', '--delay-ms', String(delayMs), '--concurrency', '16', '--cache-size', '0']));
  const state: { coord: CoordinatorHandle } = { coord: await startCoordinator(nats.url, prefix, opts.coordinatorArgs) };
  const workerProcs: AppProcess[] = [];
  for (let i = 0; i < workers; i++) workerProcs.push(startWorkerProc(nats.url, prefix, ['--ack-wait-ms', '1500', '--device-timeout-ms', '2000', '--concurrency', '4', ...(opts.workerArgs ?? [])]));
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

  it('faults - with the only worker killed for good, the task timeout fails what is left, the search ends on its budget and its queued tasks are purged', async () => {
    await using nats = await startNatsServer({ jetstream: true });
    // Slow evaluations (800 ms at the device agent), all eight in flight at the one worker at once.
    const cl = await cluster(nats, 1, 800, { coordinatorArgs: ['--task-timeout', '2'], workerArgs: ['--concurrency', '8'] });
    const nc = await connectNats({ servers: nats.url, name: 'faults-test' });
    try {
      // A worker slow to start must not let the 2 s timeout fail tasks while it is alive.
      await cl.workerProcs[0].waitForLog('consuming');
      const req = searchRequest({ budget: 40, maxInFlight: 8, seed: 31, deviceIds: ['asic-eyeriss'] });
      const id = await cl.submit(req);
      const names = createNames(cl.prefix);
      const jsm = await jetstreamManager(nc);
      const queued = async () => (await jsm.streams.info(names.streams.eval, { subjects_filter: names.evalSubject(id) })).state.subjects?.[names.evalSubject(id)] ?? 0;

      let seen = 0;
      await waitFor(async () => (seen = (await cl.get(id)).counts?.evaluationsDone ?? 0) >= 16, '16 evaluations', 60_000);
      const killedAt = Date.now();
      await cl.workerProcs[0].kill('SIGKILL');
      expect(seen).toBeLessThan(req.budget!); // the break happened mid-search
      // What the dead worker held (delivered, never acknowledged) is still in the work queue.
      const atKill = await cl.get(id);
      expect(atKill.state).toBe(SearchState.SEARCH_STATE_RUNNING);
      expect(atKill.counts!.evaluationsInFlight).toBeGreaterThan(0);
      expect(await queued()).toBeGreaterThan(0);

      // No worker comes back: only the coordinator's task timeout (2 s) can finish the search.
      const done = await waitForSearch(() => cl.state.coord.search, id, 60_000);
      expect(done.state).toBe(SearchState.SEARCH_STATE_SUCCEEDED);
      expect(done.stopReason).toBe(StopReason.STOP_REASON_BUDGET);
      expect(done.counts).toMatchObject({ evaluationsDone: req.budget, evaluationsInFlight: 0 });

      // Every evaluation once: a trial of its own (cached answers aside) per distinct architecture.
      const history = await cl.history(id);
      const evaluated = history.filter((t) => !t.cached);
      expect(evaluated).toHaveLength(req.budget!);
      expect(new Set(evaluated.map((t) => t.trialId)).size).toBe(req.budget);
      expect(new Set(evaluated.map((t) => t.arch!.arch)).size).toBe(req.budget);
      const failed = evaluated.filter((t) => t.status === TrialStatus.TRIAL_STATUS_FAILED);
      const ok = evaluated.filter((t) => t.status === TrialStatus.TRIAL_STATUS_OK);
      expect(ok.length + failed.length).toBe(req.budget);
      expect(done.counts!.evaluationsFailed).toBe(failed.length);
      expect(ok.length).toBeGreaterThanOrEqual(seen);
      // Only the worker evaluated anything, and only before it was killed.
      for (const t of ok) expect(t.askedAtMs).toBeLessThan(killedAt);
      // In flight at the kill (asked before it, no result): failed by the timeout, no sooner.
      const inFlightAtKill = failed.filter((t) => t.askedAtMs < killedAt);
      expect(inFlightAtKill.length).toBeGreaterThan(0);
      for (const t of failed) {
        expect(t.failure?.code).toBe('deadline_exceeded');
        expect(t.toldAtMs - t.askedAtMs).toBeGreaterThanOrEqual(2000);
      }

      // The finished search left nothing in the work queue (the coordinator purges its subject).
      await waitFor(async () => (await queued()) === 0, `the eval stream to hold no task of ${id}`, 30_000, 100);

      // The coordinator kept serving all along.
      expect(cl.state.coord.proc.child.exitCode).toBeNull();
      expect((await cl.get(id)).state).toBe(SearchState.SEARCH_STATE_SUCCEEDED);
      expect((await cl.history(id)).length).toBe(history.length);
    } finally {
      await nc.close();
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
