import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { GetResultsResponse, SubmitSearchResponse, Trial, WatchSearchResponse } from '@hwnas/proto';
import { TrialStatus } from '@hwnas/proto';
import { startNatsServer } from '@hwnas/testing-nats';
import { auth, REPO, rpc, runCliProcess, searchRequest, startCoordinator, startWorkerProc, uniquePrefix, waitForSearch } from './support';
import type { AppProcess, CoordinatorHandle } from './support';

const PYTHON = '/usr/bin/python3';
const TRAINER = path.join(REPO, 'trainers/pytorch/train.py');

/** What a finished trainer search's trials say, by trial id. */
function outcomes(history: readonly Trial[]) {
  return new Map(history.map((t) => [Number(t.trialId), { arch: t.arch!.arch, stoppedAt: t.metrics.stopped_epoch, accuracy: t.metrics.accuracy, epochs: t.curve.map((r) => r.epoch) }]));
}

/**
 * Runs `fn` against a real nats-server, a coordinator and two workers (w1, w2) that train with the
 * reference trainer on the synthetic set in `root`, one slot each, sharing `workRoot`; stops them after.
 */
async function withTrainerCluster(root: string, workRoot: string, fn: (coord: CoordinatorHandle, workers: readonly AppProcess[]) => Promise<void>): Promise<void> {
  await using nats = await startNatsServer({ jetstream: true });
  const prefix = uniquePrefix();
  const procs: AppProcess[] = [];
  let coord: CoordinatorHandle | undefined;
  try {
    coord = await startCoordinator(nats.url, prefix);
    const trainer = `${PYTHON} ${TRAINER} --data ${path.join(root, 'data')} --width 4 --cells 1 --threads 1 --batch-size 32`;
    for (const w of ['w1', 'w2']) procs.push(startWorkerProc(nats.url, prefix, ['--worker-id', w, '--trainer', trainer, '--trainer-slots', '1', '--work-root', workRoot]));
    await Promise.all(procs.map((p) => p.waitForLog('consuming')));
    await fn(coord, procs);
  } finally {
    await coord?.close();
    await Promise.all(procs.map((p) => p.kill('SIGTERM')));
  }
}

describe('trainer searches on a cluster (real nats-server, coordinator and 2 worker processes, the PyTorch reference trainer)', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'hwnas-trainer-cluster-'));
    execFileSync(PYTHON, [path.join(REPO, 'trainers/pytorch/make_synthetic.py'), path.join(root, 'data'), '--train', '500', '--test', '100']);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('ASHA over two workers: real trained accuracies, stopped trials never the best, curves in GetResults; the same seed gives the same decisions', async () => {
    await withTrainerCluster(root, path.join(root, 'work'), async (c, procs) => {
      // Two searches with the same seed at once, one evaluation in flight each: the two workers
      // train for both together, and each search's reports reach its scheduler in trial order.
      const req = searchRequest({ strategy: 'random', constraints: [], budget: 8, maxInFlight: 1, seed: 5, training: { epochs: 3, scheduler: 'asha', minEpochs: 1 } });
      const ids = await Promise.all([0, 1].map(async () => (await rpc<typeof req, SubmitSearchResponse>(c.search, 'submitSearch', { ...req, requestId: '' })).searchId));
      // WatchSearch carries the reports as they arrive.
      const watched: { trialId: string; epoch: number }[] = [];
      const watch = c.search.watchSearch({ searchId: ids[0] }, auth());
      watch.on('data', (m: WatchSearchResponse) => watched.push(...m.reports));
      const watchEnded = new Promise<void>((resolve) => watch.on('end', resolve).on('error', () => resolve()));
      const results = await Promise.all(
        ids.map(async (searchId) => {
          const done = await waitForSearch(() => c.search, searchId, 150_000);
          const res = await rpc<object, GetResultsResponse>(c.search, 'getResults', { searchId, pageSize: 0, pageToken: '', includeCostQueries: false });
          return { done, history: res.history };
        }),
      );
      for (const { done, history } of results) {
        expect(done.counts?.evaluationsDone).toBe(8);
        expect(done.counts?.evaluationsFailed).toBe(0);
        expect(history.every((t) => t.status === TrialStatus.TRIAL_STATUS_OK)).toBe(true);
        const stopped = history.filter((t) => t.metrics.stopped_epoch !== undefined);
        const trained = history.filter((t) => t.metrics.stopped_epoch === undefined);
        // ASHA at rungs 1 and 3 (eta 3) keeps the best third at epoch 1: some trials stop there.
        expect(stopped.length).toBeGreaterThan(0);
        expect(trained.length).toBeGreaterThan(0);
        for (const t of stopped) {
          expect(t.metrics.stopped_epoch).toBe(1);
          expect(t.metrics.accuracy).toBeUndefined();
          expect(t.curve.map((r) => r.epoch)).toEqual([1]);
        }
        // Real training on a set with class-dependent patterns: above chance (10 classes).
        for (const t of trained) {
          expect(t.metrics.accuracy).toBeGreaterThan(10);
          expect(t.curve.map((r) => r.epoch)).toEqual([1, 2, 3]);
          expect(t.curve.every((r) => r.metrics.valid_accuracy >= 0 && r.metrics.valid_accuracy <= 100)).toBe(true);
        }
        const best = done.incumbent?.best;
        expect(best?.metrics.accuracy).toBe(Math.max(...trained.map((t) => t.metrics.accuracy)));
        expect(best?.metrics.stopped_epoch).toBeUndefined();
      }
      await watchEnded;
      expect(watched.length).toBeGreaterThanOrEqual(8);
      expect(new Set(watched.filter((r) => r.epoch === 1).map((r) => r.trialId)).size).toBe(8);
      // Same seed: the same architectures per trial, the same trials stopped, the same accuracies.
      expect(outcomes(results[1].history)).toEqual(outcomes(results[0].history));
      // The stop orders reached the workers holding those trials, which ended their trainers.
      expect(procs.map((p) => p.output()).join('\n')).toContain('stopped early at epoch 1');
      const curves = await runCliProcess(['results', ids[0], '--curves', '--format', 'json', '--coordinator', `127.0.0.1:${c.port}`]);
      expect(curves.code).toBe(0);
      const printed = JSON.parse(curves.out) as { curves: Record<string, { epoch: number }[]> };
      expect(Object.keys(printed.curves)).toHaveLength(8);
    });
  }, 170_000);

  it('successive halving over two workers: a promoted trial resumes from its checkpoint on whichever worker, and only it can be the best', async () => {
    // One work root for both workers, as a shared volume: a promotion may land on the other worker.
    await withTrainerCluster(root, path.join(root, 'work-sh'), async (c, procs) => {
      // Rungs 1 and 3 (eta 3): a bracket of 3 trials at epoch 1, its best continued to epoch 3.
      const req = searchRequest({ strategy: 'random', constraints: [], budget: 3, maxInFlight: 2, seed: 7, training: { epochs: 3, scheduler: 'sh', minEpochs: 1 } });
      const { searchId } = await rpc<typeof req, SubmitSearchResponse>(c.search, 'submitSearch', { ...req, requestId: '' });
      const done = await waitForSearch(() => c.search, searchId, 150_000);
      const res = await rpc<object, GetResultsResponse>(c.search, 'getResults', { searchId, pageSize: 0, pageToken: '', includeCostQueries: false });
      expect(done.counts?.evaluationsDone).toBe(3);
      expect(done.counts?.evaluationsFailed).toBe(0);
      const epochs = res.history.map((t) => t.curve.map((r) => r.epoch)).sort((a, b) => a.length - b.length);
      expect(epochs).toEqual([[1], [1], [1, 2, 3]]);
      const promoted = res.history.find((t) => t.curve.length === 3)!;
      // The strategy was told each trial's epoch-1 result; the best is the promoted trial at epoch 3.
      expect(promoted.curve[0].metrics.valid_accuracy).toBeGreaterThanOrEqual(Math.max(...res.history.map((t) => t.curve[0].metrics.valid_accuracy)));
      expect(done.incumbent?.best?.arch?.arch).toBe(promoted.arch!.arch);
      expect(done.incumbent?.best?.metrics.accuracy).toBeGreaterThan(10);
      expect(procs.map((p) => p.output()).join('\n')).toMatch(/resumed from checkpoint at epoch 1/);
    });
  }, 170_000);
});
