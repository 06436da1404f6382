import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GetResultsResponse, Search, WatchSearchResponse } from '@hwnas/proto';
import { SearchState, TrialStatus } from '@hwnas/proto';
import { startNatsServer } from '@hwnas/testing-nats';
import { FAKE_TRAINER, listProcesses } from '@hwnas/trainer-process/testing';
import { auth, rpc, searchRequest, startCoordinator, startWorkerProc, uniquePrefix, waitFor, waitForSearch } from './support';
import type { AppProcess, CoordinatorHandle } from './support';

/** Live processes whose working directory is under `root` (trainers run in their trial's work dir). */
const trainersUnder = (root: string) => listProcesses().filter((p) => p.cwd.startsWith(root + '/'));

describe('trainer searches stopped and restarted on a cluster (real nats-server, coordinator and worker processes, the fake trainer)', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'hwnas-trainer-stop-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trainer stop - cancelling a search leaves no trainer on any worker within 5 s; its queued tasks are refused at once and it ends cancelled', async () => {
    await using nats = await startNatsServer({ jetstream: true });
    const workRoot = join(dir, 'work-cancel');
    const prefix = uniquePrefix();
    const coord = await startCoordinator(nats.url, prefix);
    // 150 ms per epoch, 1000 epochs: still training when the search is cancelled.
    const args = ['--trainer', `"${process.execPath}" ${FAKE_TRAINER} slow`, '--epochs', '1000', '--work-root', workRoot, '--trainer-slots', '2'];
    const workers = [0, 1].map((i) => startWorkerProc(nats.url, prefix, [...args, '--worker-id', `w${i}`]));
    try {
      await Promise.all(workers.map((w) => w.waitForLog('consuming')));
      // Six in flight for four slots: two tasks wait in the queue when the search is cancelled.
      const req = searchRequest({ strategy: 'random', budget: 6, maxInFlight: 6, seed: 3, constraints: [] });
      const id = (await rpc<typeof req, { searchId: string }>(coord.search, 'submitSearch', req)).searchId;
      await waitFor(() => trainersUnder(workRoot).length === 4, 'four trainers to run', 30_000);
      const cancelledAt = Date.now();
      await rpc<object, { search: Search }>(coord.search, 'cancelSearch', { searchId: id, reason: 'test' });
      await waitFor(() => trainersUnder(workRoot).length === 0, 'every trainer to exit', 5000);
      const stoppedMs = Date.now() - cancelledAt;
      const done = await waitForSearch(() => coord.search, id, 30_000);
      expect(done.state).toBe(SearchState.SEARCH_STATE_CANCELLED);
      const history = (await rpc<object, GetResultsResponse>(coord.search, 'getResults', { searchId: id, pageSize: 0, pageToken: '', includeCostQueries: false })).history;
      // All six failed as cancelled: four ended mid-training, two refused before a trainer started.
      expect(history).toHaveLength(6);
      for (const t of history) {
        expect(t.status).toBe(TrialStatus.TRIAL_STATUS_FAILED);
        expect(t.failure?.message).toMatch(/was stopped by the coordinator/);
      }
      expect(workers.map((w) => w.output()).join('\n')).toContain('search stopped: its trainers were ended');
      expect(stoppedMs).toBeLessThan(5000);
      // Nothing started afterwards either.
      expect(trainersUnder(workRoot)).toEqual([]);
    } finally {
      await coord.close();
      await Promise.all(workers.map((w) => w.kill('SIGTERM')));
    }
  }, 90_000);

  it('trainer stop - a coordinator SIGKILLed and restarted during a 30-epoch evaluation ends with all 30 epoch reports in the curve', async () => {
    await using nats = await startNatsServer({ jetstream: true });
    const workRoot = join(dir, 'work-restart');
    const prefix = uniquePrefix();
    let coord: CoordinatorHandle | undefined = await startCoordinator(nats.url, prefix);
    // 150 ms per epoch: 30 epochs take 4.5 s, across the coordinator's crash and restart.
    const worker: AppProcess = startWorkerProc(nats.url, prefix, ['--trainer', `"${process.execPath}" ${FAKE_TRAINER} slow`, '--epochs', '30', '--work-root', workRoot, '--trainer-slots', '1']);
    try {
      await worker.waitForLog('consuming');
      const req = searchRequest({ strategy: 'random', budget: 1, maxInFlight: 1, seed: 7, constraints: [], training: { epochs: 30, scheduler: 'none', minEpochs: 1, eta: 3 } });
      const id = (await rpc<typeof req, { searchId: string }>(coord.search, 'submitSearch', req)).searchId;
      // Watch the first reports arrive, then crash the coordinator mid-training.
      const watched: number[] = [];
      const watch = coord.search.watchSearch({ searchId: id }, auth());
      watch.on('data', (m: WatchSearchResponse) => watched.push(...m.reports.map((r) => r.epoch)));
      watch.on('error', () => undefined);
      await waitFor(() => watched.length >= 3, 'three reports to reach the first coordinator', 30_000);
      await coord.proc.kill('SIGKILL');
      watch.cancel();
      coord.search.close();
      coord.bench.close();
      coord = undefined;
      coord = await startCoordinator(nats.url, prefix);
      const c = coord;
      const done = await waitForSearch(() => c.search, id, 60_000);
      expect(done.state).toBe(SearchState.SEARCH_STATE_SUCCEEDED);
      const history = (await rpc<object, GetResultsResponse>(c.search, 'getResults', { searchId: id, pageSize: 0, pageToken: '', includeCostQueries: false })).history;
      expect(history).toHaveLength(1);
      expect(history[0].status).toBe(TrialStatus.TRIAL_STATUS_OK);
      // Every epoch once, in order: those journalled before the crash, those kept by the reports
      // stream while no coordinator ran, and those after the restart.
      expect(history[0].curve.map((p) => p.epoch)).toEqual([...Array(30).keys()].map((k) => k + 1));
      expect(history[0].curve.map((p) => p.metrics.valid_accuracy)).toEqual([...Array(30).keys()].map((k) => 10 * (k + 1)));
    } finally {
      await coord?.close();
      await worker.kill('SIGTERM');
    }
  }, 120_000);
});
