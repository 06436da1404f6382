import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GetResultsResponse, Search } from '@hwnas/proto';
import { SearchState, TrialStatus } from '@hwnas/proto';
import { startNatsServer } from '@hwnas/testing-nats';
import { FAKE_TRAINER, listProcesses, tinyReferenceTrainerCommand, writeSyntheticSet } from '@hwnas/trainer-process/testing';
import { rpc, searchRequest, startCoordinator, startWorkerProc, uniquePrefix, waitFor, waitForSearch } from './support';
import type { AppProcess } from './support';

/** Live processes whose working directory is under `root` (trainers run in their trial's work dir). */
const trainersUnder = (root: string) => listProcesses().filter((p) => p.cwd.startsWith(root + '/'));

/** The JSON log lines of a process whose message matches `re`. */
function logLines(p: AppProcess, re: RegExp): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of p.output().split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const o = JSON.parse(line) as Record<string, unknown>;
      if (typeof o.msg === 'string' && re.test(o.msg)) out.push(o);
    } catch {
      // a partial line
    }
  }
  return out;
}

describe('trainer workers under faults (real nats-server, coordinator and 2 worker processes)', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'hwnas-trainer-faults-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trainer faults - a worker SIGKILLed mid-training: its trainer stops, the retry on the other worker resumes from the checkpoint', async () => {
    await using nats = await startNatsServer({ jetstream: true });
    const data = writeSyntheticSet(join(dir, 'data'));
    const workRoot = join(dir, 'work-resume');
    const prefix = uniquePrefix();
    const coord = await startCoordinator(nats.url, prefix);
    const trainerArgs = ['--trainer', tinyReferenceTrainerCommand(data), '--epochs', '4', '--work-root', workRoot, '--trainer-slots', '1', '--ack-wait-ms', '1500'];
    const workers = [0, 1].map((i) => startWorkerProc(nats.url, prefix, [...trainerArgs, '--worker-id', `w${i}`]));
    try {
      await Promise.all(workers.map((w) => w.waitForLog('consuming')));
      const req = searchRequest({ strategy: 'random', budget: 1, maxInFlight: 1, seed: 11, constraints: [] });
      const id = (await rpc<typeof req, { searchId: string }>(coord.search, 'submitSearch', req)).searchId;
      // The first epoch is checkpointed (the trainer logs it after the write): kill that worker now.
      let victim: AppProcess | undefined;
      await waitFor(() => (victim = workers.find((w) => logLines(w, /^\[trainer\] epoch 1\/4: .*checkpoint written$/).length > 0)) !== undefined, 'a trainer to checkpoint epoch 1', 90_000);
      const orphans = trainersUnder(workRoot);
      expect(orphans).toHaveLength(1);
      await victim!.kill('SIGKILL');
      // Its trainer is in its own process group: only the closed stdin tells it the worker is gone.
      await waitFor(() => trainersUnder(workRoot).every((p) => p.pid !== orphans[0].pid), 'the killed worker\'s trainer to exit', 10_000);
      const rescuer = workers.find((w) => w !== victim)!;
      const done: Search = await waitForSearch(() => coord.search, id, 120_000);
      expect(done.state).toBe(SearchState.SEARCH_STATE_SUCCEEDED);
      const resumed = logLines(rescuer, /^resumed from checkpoint at epoch \d+$/);
      expect(resumed).toHaveLength(1);
      const epoch = Number(/(\d+)$/.exec(String(resumed[0].msg))![1]);
      expect(epoch).toBeGreaterThanOrEqual(1);
      // Only the epochs after the checkpoint were trained again, by the rescuer.
      expect(logLines(rescuer, /^\[trainer\] epoch \d\/4: /).map((o) => Number(/epoch (\d)/.exec(String(o.msg))![1]))).toEqual([...Array(4 - epoch).keys()].map((k) => epoch + 1 + k));
      const history = (await rpc<object, GetResultsResponse>(coord.search, 'getResults', { searchId: id, pageSize: 0, pageToken: '', includeCostQueries: false })).history;
      expect(history).toHaveLength(1);
      expect(history[0].status).toBe(TrialStatus.TRIAL_STATUS_OK);
      expect(history[0].metrics.accuracy).toBeGreaterThan(20); // trained: 10 classes, chance is 10%
      expect(trainersUnder(workRoot)).toEqual([]);
    } finally {
      await coord.close();
      await Promise.all(workers.map((w) => w.kill('SIGTERM')));
    }
  }, 150_000);

  it('trainer faults - trainers that exit 1, print garbage, report NaN or hang fail their own evaluations with clear reasons; the search goes on', async () => {
    await using nats = await startNatsServer({ jetstream: true });
    const workRoot = join(dir, 'work-faults');
    const prefix = uniquePrefix();
    const coord = await startCoordinator(nats.url, prefix);
    // Trial i behaves as the i-th mode; trials past the list train well (the fake's "arch" mode).
    const command = `"${process.execPath}" ${FAKE_TRAINER} by-trial:exit1,garbage,nan,hang`;
    const args = ['--trainer', command, '--epochs', '3', '--work-root', workRoot, '--trainer-slots', '3', '--trainer-timeout-s', '2', '--max-deliveries', '2', '--ack-wait-ms', '1500'];
    const workers = [0, 1].map((i) => startWorkerProc(nats.url, prefix, [...args, '--worker-id', `w${i}`]));
    try {
      await Promise.all(workers.map((w) => w.waitForLog('consuming')));
      const req = searchRequest({ strategy: 'random', budget: 7, maxInFlight: 7, seed: 5, constraints: [] });
      const id = (await rpc<typeof req, { searchId: string }>(coord.search, 'submitSearch', req)).searchId;
      const done = await waitForSearch(() => coord.search, id, 90_000);
      expect(done.state).toBe(SearchState.SEARCH_STATE_SUCCEEDED);
      const history = (await rpc<object, GetResultsResponse>(coord.search, 'getResults', { searchId: id, pageSize: 0, pageToken: '', includeCostQueries: false })).history;
      const byTrial = new Map(history.map((t) => [Number(t.trialId.split('.').pop()), t]));
      const reasons: [number, RegExp][] = [
        [0, /trainer exited with code 1; stderr tail:\n.*RuntimeError: CUDA out of memory/s],
        [1, /not valid JSON/],
        [2, /non-finite value \(NaN\)/],
        [3, /timed out after 2000 ms/],
      ];
      for (const [trial, reason] of reasons) {
        const t = byTrial.get(trial);
        expect(t?.status).toBe(TrialStatus.TRIAL_STATUS_FAILED);
        expect(t?.failure?.message).toMatch(reason);
      }
      const ok = history.filter((t) => t.status === TrialStatus.TRIAL_STATUS_OK);
      expect(ok).toHaveLength(3);
      for (const t of ok) expect(t.metrics.accuracy).toBeGreaterThan(50);
      expect(trainersUnder(workRoot)).toEqual([]);
    } finally {
      await coord.close();
      await Promise.all(workers.map((w) => w.kill('SIGTERM')));
    }
  }, 120_000);

  it('trainer faults - a worker stopped with SIGTERM ends its trainers (nothing left under the work root) and exits 0', async () => {
    await using nats = await startNatsServer({ jetstream: true });
    const workRoot = join(dir, 'work-stop');
    const prefix = uniquePrefix();
    const coord = await startCoordinator(nats.url, prefix);
    // 150 ms per epoch, 1000 epochs: still training when the worker stops.
    const worker = startWorkerProc(nats.url, prefix, ['--trainer', `"${process.execPath}" ${FAKE_TRAINER} slow`, '--epochs', '1000', '--work-root', workRoot, '--trainer-slots', '2']);
    try {
      await worker.waitForLog('consuming');
      const req = searchRequest({ strategy: 'random', budget: 2, maxInFlight: 2, seed: 5, constraints: [] });
      await rpc<typeof req, { searchId: string }>(coord.search, 'submitSearch', req);
      await waitFor(() => trainersUnder(workRoot).length === 2, 'two trainers to run', 30_000);
      await worker.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
      expect(trainersUnder(workRoot)).toEqual([]);
    } finally {
      await coord.close();
      await worker.kill('SIGTERM');
    }
  }, 60_000);
});
