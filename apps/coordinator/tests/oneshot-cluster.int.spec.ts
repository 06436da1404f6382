import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DeviceInfo, GetResultsResponse, ListDevicesResponse, SubmitSearchResponse, Trial } from '@hwnas/proto';
import { SearchState, TrialStatus } from '@hwnas/proto';
import { startNatsServer } from '@hwnas/testing-nats';
import { listProcesses, tinyReferenceTrainerCommand, TRAINER_PYTHON } from '@hwnas/trainer-process/testing';
import { REPO, rpc, runCliProcess, searchRequest, spawnApp, startCoordinator, startWorkerProc, uniquePrefix, waitFor, waitForSearch } from './support';
import type { AppProcess, CoordinatorHandle } from './support';

const SEARCH_PY = path.join(REPO, 'trainers/pytorch/oneshot/search.py');

/** A tiny multi-domain image set (nas-ood needs domain labels): 3 domains of 40 images, 4 classes, 32x32 as the cifar10 network takes. */
function writeDomainSet(file: string): string {
  const code = `import sys, numpy as np; sys.path.insert(0, ${JSON.stringify(path.join(REPO, 'trainers/pytorch'))}); from hwnas_trainer.synthetic import spurious_domains; np.savez(${JSON.stringify(file)}, **spurious_domains(40, 3, 4, 32, seed=0, held_out=2))`;
  execFileSync(TRAINER_PYTHON, ['-c', code], { stdio: 'pipe' });
  return file;
}

/** The parent pid of a process (from /proc). */
function parentOf(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
}

async function resultsOf(c: CoordinatorHandle, searchId: string): Promise<readonly Trial[]> {
  return (await rpc<object, GetResultsResponse>(c.search, 'getResults', { searchId, pageSize: 0, pageToken: '', includeCostQueries: false })).history;
}

describe('one-shot searches on a cluster (real nats-server, coordinator, 2 trainer workers, the eyeriss simulator agent, PyTorch)', () => {
  let root: string;
  let data: string;
  let workRoot: string;
  let coord: CoordinatorHandle;
  const procs: AppProcess[] = [];
  let workers: AppProcess[] = [];
  let nats: Awaited<ReturnType<typeof startNatsServer>>;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'hwnas-oneshot-cluster-'));
    data = writeDomainSet(path.join(root, 'domains.npz'));
    workRoot = path.join(root, 'work');
    nats = await startNatsServer({ jetstream: true });
    const prefix = uniquePrefix();
    procs.push(spawnApp('device-agent', ['--device', 'asic-eyeriss', '--nats', nats.url, '--prefix', prefix, '--heartbeat-ms', '300']));
    coord = await startCoordinator(nats.url, prefix);
    const oneShot = `${TRAINER_PYTHON} '${SEARCH_PY}' --data '${data}' --width 4 --cells 1 --threads 1 --batch-size 16`;
    const args = ['--trainer', tinyReferenceTrainerCommand(data), '--oneshot-trainer', oneShot, '--work-root', workRoot, '--trainer-slots', '1', '--ack-wait-ms', '1500'];
    workers = ['w0', 'w1'].map((id) => startWorkerProc(nats.url, prefix, [...args, '--worker-id', id]));
    procs.push(...workers);
    await Promise.all(workers.map((w) => w.waitForLog('consuming')));
    await waitFor(async () => (await rpc<object, ListDevicesResponse>(coord.bench, 'listDevices', {})).devices.some((d: DeviceInfo) => d.deviceId === 'asic-eyeriss'), 'the device agent to be live');
  }, 60_000);

  afterAll(async () => {
    await coord?.close();
    await Promise.all(procs.map((p) => p.kill('SIGTERM')));
    await nats?.[Symbol.asyncDispose]();
    rmSync(root, { recursive: true, force: true });
  });

  /** A one-shot search request made aware of the simulator's latency. */
  const oneShotRequest = (strategy: string, epochs: number, seed: number) =>
    searchRequest({ strategy, strategyOptions: { costMetric: 'eyeriss_latency', costWeight: '1' }, constraints: [], budget: 2, maxInFlight: 1, seed, deviceIds: ['asic-eyeriss'], training: { epochs, scheduler: 'none', eta: 3 } });

  it('oneshot cluster - darts, na-darts and nas-ood each stream their supernet epochs, derive an architecture and measure it on the device agent', async () => {
    const ids = await Promise.all(['darts', 'na-darts', 'nas-ood'].map(async (strategy, i) => (await rpc<object, SubmitSearchResponse>(coord.search, 'submitSearch', oneShotRequest(strategy, 2, 20 + i))).searchId));
    for (const searchId of ids) {
      const done = await waitForSearch(() => coord.search, searchId, 240_000);
      expect(done.state).toBe(SearchState.SEARCH_STATE_SUCCEEDED);
      const [supernet, measure] = await resultsOf(coord, searchId);
      expect(supernet.status).toBe(TrialStatus.TRIAL_STATUS_OK);
      expect(supernet.arch?.arch).toMatch(/#supernet$/);
      // Per-epoch progress, as reports: losses, entropy, expected cost, the derived architecture.
      expect(supernet.curve.map((r) => r.epoch)).toEqual([1, 2]);
      for (const r of supernet.curve) {
        expect(r.metrics.entropy).toBeGreaterThan(0);
        expect(r.metrics.expected_cost).toBeGreaterThan(0);
        expect(r.metrics.derived_decision_5).toBeGreaterThanOrEqual(0);
      }
      const derived = [0, 1, 2, 3, 4, 5].map((i) => supernet.metrics[`derived_decision_${i}`]);
      // The derived architecture measured like any evaluation: the simulator's costs and the tables.
      expect(measure.status).toBe(TrialStatus.TRIAL_STATUS_OK);
      expect(measure.arch?.arch).toMatch(/#measure$/);
      expect(measure.metrics.eyeriss_latency).toBeGreaterThan(0);
      expect(measure.metrics.accuracy).toBeGreaterThan(0);
      const ops = ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3'];
      expect(measure.arch?.arch).toBe(`|${ops[derived[0]]}~0|+|${ops[derived[1]]}~0|${ops[derived[2]]}~1|+|${ops[derived[3]]}~0|${ops[derived[4]]}~1|${ops[derived[5]]}~2|#measure`);
      expect(done.incumbent?.best?.arch?.arch).toBe(measure.arch?.arch);
    }
  }, 300_000);

  it('oneshot cluster - the CLI submits with --retrain worker and --watch: the derived architecture is retrained from scratch by a worker', async () => {
    const res = await runCliProcess(['search', '--space', 'nb201', '--dataset', 'cifar10', '--strategy', 'darts', '--epochs', '2', '--seed', '3', '--device', 'asic-eyeriss', '--objective', 'accuracy', '--objective', 'eyeriss_latency', '--retrain', 'worker', '--watch', '--json', '--coordinator', `127.0.0.1:${coord.port}`]);
    expect(res.code).toBe(0);
    const searchId = /submitted search (\S+)/.exec(res.err)![1];
    // --watch shows the supernet's progress as it arrives (a line per epoch), then the record.
    expect(res.out).toMatch(/trial \S*0 epoch 1: .*entropy/);
    expect(res.out).toMatch(/trial \S*0 epoch 2: /);
    const record = JSON.parse(res.out.trim().split('\n').pop()!) as { state: string };
    expect(record.state).toBe('SEARCH_STATE_SUCCEEDED');
    const history = await resultsOf(coord, searchId);
    expect(history.map((t) => t.arch?.arch.split('#')[1])).toEqual(['supernet', 'measure', 'retrain']);
    expect(history.map((t) => t.failure?.message ?? 'ok')).toEqual(['ok', 'ok', 'ok']);
    // The retrain stage trained (its learning curve) and was costed on the device agent too.
    expect(history[2].curve.map((r) => r.epoch)).toEqual([1, 2]);
    expect(history[2].metrics.accuracy).toBeGreaterThan(0);
    expect(history[2].metrics.eyeriss_latency).toBe(history[1].metrics.eyeriss_latency);
  }, 300_000);

  it('oneshot cluster - a worker SIGKILLed mid-supernet: the task moves to the other worker, which resumes from the checkpoint and finishes', async () => {
    const { searchId } = await rpc<object, SubmitSearchResponse>(coord.search, 'submitSearch', oneShotRequest('na-darts', 4, 41));
    const checkpoint = path.join(workRoot, searchId, 'trial-0', 'oneshot.pt');
    await waitFor(() => existsSync(checkpoint), 'the supernet to checkpoint its first epoch', 120_000, 100);
    const trainer = listProcesses().find((p) => p.cwd === path.dirname(checkpoint));
    expect(trainer).toBeDefined();
    const victim = workers.find((w) => w.child.pid === parentOf(trainer!.pid))!;
    expect(victim).toBeDefined();
    await victim.kill('SIGKILL');
    const rescuer = workers.find((w) => w !== victim)!;
    const done = await waitForSearch(() => coord.search, searchId, 240_000);
    expect(done.state).toBe(SearchState.SEARCH_STATE_SUCCEEDED);
    expect(rescuer.output()).toMatch(/"msg":"resumed from checkpoint at epoch [1-4]"/);
    const [supernet, measure] = await resultsOf(coord, searchId);
    expect(supernet.metrics.supernet_resumed_from_epoch).toBeGreaterThanOrEqual(1);
    expect(measure.metrics.eyeriss_latency).toBeGreaterThan(0);
    // The killed worker's trainer saw its stdin close and stopped: nothing is left running.
    await waitFor(() => listProcesses().every((p) => !p.cwd.startsWith(workRoot + '/')), 'no trainer left under the work root', 30_000);
  }, 300_000);
});
