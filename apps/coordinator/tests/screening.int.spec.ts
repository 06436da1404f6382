import { Nb201Tables, nb201Space, resolveDataDir } from '@hwnas/bench-core';
import type { GetResultsResponse, ListDevicesResponse, Search, SubmitSearchRequest, SubmitSearchResponse, Trial } from '@hwnas/proto';
import { SearchMode, SearchState, TrialNeed } from '@hwnas/proto';
import { startNatsServer } from '@hwnas/testing-nats';
import { connectNats, createNames } from '@hwnas/transport-nats';
import type { ServiceError } from '@grpc/grpc-js';
import { rpc, runCliProcess, searchRequest, spawnApp, startCoordinator, startWorkerProc, waitFor, waitForSearch } from './support';
import type { AppProcess, CoordinatorHandle } from './support';

const BOUND = 15.7228;
// A cluster prefix of its own: `hwnas calibrate --prefix` reaches the agent under it and stores the
// model in the prefix's bucket, where the coordinator looks when a request names no bucket.
const PREFIX = 'screening';

function screenedRequest(over: Partial<SubmitSearchRequest> = {}): SubmitSearchRequest {
  return searchRequest({
    strategy: 'random',
    budget: 60,
    maxInFlight: 4,
    seed: 5,
    mode: SearchMode.SEARCH_MODE_COST_FIRST,
    constraints: [{ metric: 'raspi4_latency', upperBound: BOUND }],
    deviceIds: ['raspi4'],
    costModel: { device: 'raspi4', bucket: '', z: 2 },
    ...over,
  });
}

describe('coordinator screening with a stored cost model (separate processes, real nats-server)', () => {
  it('screening - a calibrated replay raspi4 agent: far fewer architectures measured than cost queries, the best measured, predictions marked, and a coordinator restart replays to the same result', async () => {
    await using nats = await startNatsServer({ jetstream: true });
    const dataDir = resolveDataDir(undefined);
    const procs: AppProcess[] = [];
    let coord: CoordinatorHandle | undefined;
    try {
      // Measurements take a while, so that the search is still running when the coordinator is killed.
      procs.push(spawnApp('device-agent', ['--device', 'raspi4', '--nats', nats.url, '--prefix', PREFIX, '--data', dataDir, '--heartbeat-ms', '300', '--delay-ms', '40', '--concurrency', '8', '--cache-size', '0']));
      const calibrate = await runCliProcess(['calibrate', '--device', 'raspi4', '--samples', '10', '--nats', nats.url, '--prefix', PREFIX, '--data', dataDir, '--json']);
      expect(calibrate).toMatchObject({ code: 0 });
      expect(calibrate.out).toContain(`"stored":{"bucket":"${PREFIX}-cost-models","revision":1}`);
      coord = await startCoordinator(nats.url, PREFIX, ['--data', dataDir]);
      procs.push(startWorkerProc(nats.url, PREFIX, ['--concurrency', '4']));
      const c = () => coord!;
      await waitFor(async () => (await rpc<object, ListDevicesResponse>(c().bench, 'listDevices', {})).devices.some((d) => d.deviceId === 'raspi4'), 'the raspi4 agent to be live');

      // Requests the coordinator must refuse, naming the field.
      const refused = async (req: SubmitSearchRequest) => (await rpc<SubmitSearchRequest, SubmitSearchResponse>(c().search, 'submitSearch', req).catch((e: ServiceError) => e)) as ServiceError;
      expect(await refused(screenedRequest({ costModel: { device: 'raspi4', bucket: '', z: -1 } }))).toMatchObject({ code: 3, details: expect.stringContaining('cost_model.z') });
      expect(await refused(screenedRequest({ mode: SearchMode.SEARCH_MODE_JOINT }))).toMatchObject({ code: 3, details: expect.stringContaining('costModel: screens cost queries: it needs mode cost-first') });
      expect(await refused(screenedRequest({ costModel: { device: 'raspi4', bucket: 'no-such-bucket', z: 2 } }))).toMatchObject({ code: 5, details: expect.stringContaining('no cost model for device "raspi4" in bucket no-such-bucket') });
      // The default prefix's bucket is another cluster's: a request may still name it, and finds nothing there.
      expect(await refused(screenedRequest({ costModel: { device: 'raspi4', bucket: 'hwnas-cost-models', z: 2 } }))).toMatchObject({ code: 5, details: expect.stringContaining('no cost model for device "raspi4" in bucket hwnas-cost-models') });

      // Requests the agent received: the device's own count of what it was asked to measure.
      const nc = await connectNats({ servers: [nats.url], name: 'screening-test' });
      const received = async () => (await nc.request(`${createNames(PREFIX).deviceMeasureSubject('raspi4').replace(/\.measure$/, '.stats')}`, '', { timeout: 5000 })).json<{ received: number }>().received;
      const calibrated = await received();
      expect(calibrated).toBe(10);

      const req = screenedRequest();
      const { searchId } = await rpc<SubmitSearchRequest, SubmitSearchResponse>(c().search, 'submitSearch', req);
      let seen = 0;
      await waitFor(async () => (seen = (await rpc<object, { search: Search }>(c().search, 'getSearch', { searchId })).search.counts?.evaluationsDone ?? 0) >= 12, '12 evaluations');
      await c().proc.kill('SIGKILL');
      expect(seen).toBeLessThan(req.budget!);
      c().search.close();
      c().bench.close();
      coord = await startCoordinator(nats.url, PREFIX, ['--data', dataDir]);
      const done = await waitForSearch(() => c().search, searchId, 120_000);
      expect(done.state).toBe(SearchState.SEARCH_STATE_SUCCEEDED);
      const trials = (await rpc<object, GetResultsResponse>(c().search, 'getResults', { searchId, pageSize: 0, pageToken: '', includeCostQueries: true })).history;
      // Measurements the search asked of the agent (tasks re-sent after the restart included).
      const searchRequests = (await received()) - calibrated;
      await nc.close();

      // The same request, uninterrupted (a new request id): the same trials, costs and decisions.
      const again = await rpc<SubmitSearchRequest, SubmitSearchResponse>(c().search, 'submitSearch', { ...req, requestId: 'uninterrupted' });
      const reference = await waitForSearch(() => c().search, again.searchId, 120_000);
      const refTrials = (await rpc<object, GetResultsResponse>(c().search, 'getResults', { searchId: again.searchId, pageSize: 0, pageToken: '', includeCostQueries: true })).history;
      const shape = (ts: readonly Trial[]) => ts.map((t) => [t.tellIndex, t.need, t.arch?.arch, t.metrics]);
      expect(shape(trials)).toEqual(shape(refTrials));
      expect(done.incumbent?.best?.arch?.arch).toBe(reference.incumbent?.best?.arch?.arch);

      const tables = Nb201Tables.load(dataDir);
      const raspi4 = tables.column('cifar10', 'raspi4_latency');
      const truth = (t: Trial) => raspi4[tables.indexOf(nb201Space.parse(t.arch!.arch))];
      const measured = trials.filter((t) => t.metrics.raspi4_latency_measured === 1);
      const predicted = trials.filter((t) => t.metrics.raspi4_latency_measured === 0);
      const costQueries = done.counts!.costQueries;
      // Far fewer architectures measured on the device than cost queries made.
      const measuredArchs = new Set(measured.map((t) => t.arch!.arch));
      expect(costQueries).toBeGreaterThan(100);
      expect(measuredArchs.size).toBeLessThan(costQueries / 3);
      expect(done.costModel).toMatchObject({ device: 'raspi4', metric: 'raspi4_latency' });
      expect(done.costModel!.measured).toBeGreaterThan(0);
      expect(done.costModel!.measured).toBeLessThanOrEqual(measuredArchs.size);
      expect(searchRequests).toBeGreaterThanOrEqual(done.costModel!.measured);
      expect(searchRequests).toBeLessThan(costQueries / 3);
      // Measured values are the device's; predicted ones are marked and carry the prediction.
      for (const t of measured) expect(t.metrics.raspi4_latency).toBe(truth(t));
      expect(predicted.length).toBeGreaterThan(costQueries / 2);
      for (const t of predicted) expect(t.metrics.raspi4_latency).toBe(t.metrics.raspi4_latency_pred);
      // The best is always measured, and feasible on the device.
      const best = done.incumbent!.best!;
      expect(best.metrics.raspi4_latency_measured).toBe(1);
      expect(best.metrics.raspi4_latency).toBe(truth(best));
      expect(best.metrics.raspi4_latency).toBeLessThanOrEqual(BOUND);
      expect(trials.filter((t) => t.need === TrialNeed.TRIAL_NEED_FULL)).toHaveLength(req.budget!);

      // The CLI shows the model and marks the predicted values.
      const cli = (...args: string[]) => runCliProcess([...args, '--coordinator', `127.0.0.1:${c().port}`]);
      const status = await cli('status', searchId);
      expect(status.code).toBe(0);
      expect(status.out).toMatch(/cost model\s+\|?\s*raspi4_latency of raspi4 \(10 measured nb201 architectures; closest references/);
      const results = await cli('results', searchId, '--cost-queries');
      expect(results.code).toBe(0);
      expect(results.out).toContain('(pred)');
    } finally {
      await coord?.close();
      await Promise.all(procs.map((p) => p.kill('SIGTERM')));
    }
  }, 300_000);

  it('screening - a simulator agent (asic-eyeriss): the model predicts the metric the agent reports (eyeriss_latency), and the search measures through the agent', async () => {
    await using nats = await startNatsServer({ jetstream: true });
    const dataDir = resolveDataDir(undefined);
    const prefix = 'screening_sim';
    const procs: AppProcess[] = [];
    let coord: CoordinatorHandle | undefined;
    try {
      procs.push(spawnApp('device-agent', ['--device', 'asic-eyeriss', '--nats', nats.url, '--prefix', prefix, '--heartbeat-ms', '300']));
      const calibrate = await runCliProcess(['calibrate', '--device', 'asic-eyeriss', '--samples', '10', '--nats', nats.url, '--prefix', prefix, '--data', dataDir, '--json']);
      expect(calibrate).toMatchObject({ code: 0 });
      coord = await startCoordinator(nats.url, prefix, ['--data', dataDir]);
      procs.push(startWorkerProc(nats.url, prefix, ['--concurrency', '4']));
      const c = coord;
      await waitFor(async () => (await rpc<object, ListDevicesResponse>(c.bench, 'listDevices', {})).devices.some((d) => d.deviceId === 'asic-eyeriss'), 'the asic-eyeriss agent to be live');
      // The 25th percentile of the simulator's latency over NB201's cells.
      const bound = 6.56;
      const req = screenedRequest({ budget: 20, constraints: [{ metric: 'eyeriss_latency', upperBound: bound }], deviceIds: ['asic-eyeriss'], costModel: { device: 'asic-eyeriss', bucket: '', z: 2 } });
      const { searchId } = await rpc<SubmitSearchRequest, SubmitSearchResponse>(c.search, 'submitSearch', req);
      const done = await waitForSearch(() => c.search, searchId, 120_000);
      expect(done.state).toBe(SearchState.SEARCH_STATE_SUCCEEDED);
      expect(done.costModel).toMatchObject({ device: 'asic-eyeriss', metric: 'eyeriss_latency' });
      const trials = (await rpc<object, GetResultsResponse>(c.search, 'getResults', { searchId, pageSize: 0, pageToken: '', includeCostQueries: true })).history;
      expect(trials.filter((t) => t.metrics.eyeriss_latency_measured === 0).length).toBeGreaterThan(0);
      const best = done.incumbent!.best!;
      expect(best.metrics.eyeriss_latency_measured).toBe(1);
      expect(best.metrics.eyeriss_latency).toBeLessThanOrEqual(bound);
    } finally {
      await coord?.close();
      await Promise.all(procs.map((p) => p.kill('SIGTERM')));
    }
  }, 180_000);
});
