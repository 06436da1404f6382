import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Benchmark, getSpace } from '@hwnas/bench-core';
import { describeWithData } from '@hwnas/bench-core/testing';
import { InProcessDevices } from '@hwnas/device-backends';
import { TableTrialEvaluator } from '@hwnas/runtime';
import { ProcessTrainerEvaluator, runOneShotSearch, TrainerFailedError } from '@hwnas/trainer-process';
import type { OneShotStrategyName } from '@hwnas/search';
import { runCli } from '../testing';

const PYTHON = '/usr/bin/python3';
const TRAINERS = path.resolve(__dirname, '../../../../trainers/pytorch');
const SEARCH = path.join(TRAINERS, 'oneshot/search.py');

describeWithData('hwnas search --strategy darts|na-darts|nas-ood (embedded one-shot search, real PyTorch)', (dataDir) => {
  let root: string;
  let npz: string;
  let npz32: string;
  let devices: InProcessDevices;
  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'hwnas-oneshot-'));
    npz = path.join(root, 'domains.npz');
    npz32 = path.join(root, 'domains32.npz');
    // 3 classes, 3 domains (the last held out), 16x16: small enough for seconds per epoch; and a
    // 32x32 set for train.py, which builds the benchmark's CIFAR network.
    const made = spawnSync(
      PYTHON,
      [
        '-c',
        `import sys, numpy as np; sys.path.insert(0, ${JSON.stringify(TRAINERS)}); from hwnas_trainer.synthetic import spurious_domains; ` +
          `np.savez(${JSON.stringify(npz)}, **spurious_domains(48, 3, 3, 16, seed=0, held_out=2)); np.savez(${JSON.stringify(npz32)}, **spurious_domains(32, 3, 3, 32, seed=0, held_out=2))`,
      ],
      { encoding: 'utf8' },
    );
    if (made.status !== 0) throw new Error(`cannot make the synthetic set: ${made.stderr}`);
    devices = new InProcessDevices(Benchmark.open({ dataDir }));
  });
  afterAll(async () => {
    await devices.close();
    rmSync(root, { recursive: true, force: true });
  });
  const trainerCommand = () => `${PYTHON} ${SEARCH} --data ${npz} --width 4 --cells 1 --threads 1 --batch-size 32`;

  it.each(['darts', 'na-darts', 'nas-ood'])('hwnas search --strategy %s - finishes with a valid architecture measured by the device backend', async (method) => {
    const res = await runCli([
      'search', '--space', 'nb201', '--dataset', 'cifar10', '--data', dataDir, '--json', '--strategy', method,
      '--trainer', trainerCommand(), '--epochs', '2', '--constraint', 'eyeriss_latency<=1.5', '--device', 'asic-eyeriss',
      '--work-root', path.join(root, method), '--curves',
    ]);
    expect(res.code).toBe(0);
    const out = JSON.parse(res.out);
    const space = getSpace('nb201');
    expect(space.format(space.parse(out.arch))).toBe(out.arch);
    expect(out.costMetric).toBe('eyeriss_latency');
    // The cost is the backend's measurement of the derived architecture, not the supernet's estimate.
    const measured = await devices.measure('asic-eyeriss', { space: 'nb201', dataset: 'cifar10', arch: out.arch });
    expect(out.measured.eyeriss_latency).toBe(measured.eyeriss_latency);
    expect(out.measured.raspi4_latency).toBeGreaterThan(0);
    expect(out.supernet.expected_cost).toBeGreaterThan(0);
    // Progress streamed per epoch: on stderr and in the curve, each with its derived architecture.
    expect(out.curves.supernet.map((p: { epoch: number }) => p.epoch)).toEqual([1, 2]);
    expect(typeof out.curves.supernet[1].arch).toBe('string');
    expect(res.err).toMatch(/\[supernet\] epoch 2: .*entropy .*expected_cost .*; derived \|/);
  });

  it('hwnas search --strategy darts --retrain - the derived architecture is trained from scratch by train.py', async () => {
    const tiny = `--data ${npz32} --width 4 --cells 1 --threads 1 --batch-size 32`;
    const res = await runCli([
      'search', '--space', 'nb201', '--dataset', 'cifar10', '--data', dataDir, '--json', '--strategy', 'darts',
      '--trainer', `${PYTHON} ${SEARCH} ${tiny}`, '--epochs', '1', '--objective', 'accuracy', '--objective', 'raspi4_latency', '--cost-weight', '0.3',
      '--retrain', `${PYTHON} ${path.join(TRAINERS, 'train.py')} ${tiny} --schedule-epochs 0`, '--work-root', path.join(root, 'retrain'),
    ]);
    expect(res.code).toBe(0);
    const out = JSON.parse(res.out);
    expect(out.costMetric).toBe('raspi4_latency');
    expect(out.costWeight).toBe(0.3);
    expect(Number.isFinite(out.retrained.accuracy)).toBe(true);
    expect(Number.isFinite(out.retrained.train_loss)).toBe(true);
    // train.py logged the architecture it trained: the derived one, as trial 1 of the search.
    expect(res.err).toContain(`trial 1: nb201 ${out.arch}`);
  });

  it('one-shot search - a supernet task SIGKILLed after its first epoch resumes from its checkpoint under the same work root', async () => {
    const workRoot = path.join(root, 'resume');
    const costs = new TableTrialEvaluator(Benchmark.open({ dataDir }), devices);
    const spec = { searchId: 'resume', space: 'nb201', dataset: 'cifar10', method: 'darts' as OneShotStrategyName, epochs: 3, devices: ['asic-eyeriss'], costMetric: 'raspi4_latency', costWeight: 0.5 };
    let pid = 0;
    const first = new ProcessTrainerEvaluator({ command: trainerCommand(), workRoot, epochs: 3, onSpawn: (_t, p) => (pid = p) });
    const epochsBeforeKill: number[] = [];
    const killed = await runOneShotSearch(spec, {
      trainer: first,
      costs,
      onProgress: (p) => {
        epochsBeforeKill.push(p.epoch);
        if (p.epoch === 1) process.kill(-pid, 'SIGKILL');
      },
    }).catch((e: unknown) => e);
    expect(killed).toBeInstanceOf(TrainerFailedError);
    expect((killed as Error).message).toContain('SIGKILL');
    expect(epochsBeforeKill[0]).toBe(1);

    const epochsAfter: number[] = [];
    const second = new ProcessTrainerEvaluator({ command: trainerCommand(), workRoot, epochs: 3 });
    const result = await runOneShotSearch(spec, { trainer: second, costs, onProgress: (p) => epochsAfter.push(p.epoch) });
    expect(result.resumedFrom).toBeGreaterThanOrEqual(1);
    expect(epochsAfter).toEqual([2, 3].slice(result.resumedFrom! - 1));
    expect(result.measured.eyeriss_latency).toBeGreaterThan(0);
    expect(getSpace('nb201').format(result.arch.encoding)).toBe(result.arch.string);
  });
});
