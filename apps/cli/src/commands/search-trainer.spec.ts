import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describeWithData } from '@hwnas/bench-core/testing';
import { listProcesses } from '@hwnas/trainer-process/testing';
import { runCli } from '../testing';

const FAKE = path.resolve(__dirname, '../../../../libs/trainer-process/src/testing/fake-trainer.js');

/** Live processes whose command line mentions `needle`, read from /proc. */
/** Live trainer processes of this test: the fake trainer running in a work dir under `root` (other suites run it too, in parallel). */
function trainersUnder(root: string): number[] {
  return listProcesses()
    .filter((p) => p.pid !== process.pid && p.cmdline.includes(FAKE) && p.cwd.startsWith(root))
    .map((p) => p.pid);
}

describeWithData('hwnas search --trainer (embedded, real trainer processes)', (dataDir) => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(path.join(tmpdir(), 'hwnas-cli-trainer-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const args = (workRoot: string, parallelism: number) => [
    'search', '--space', 'nb201', '--dataset', 'cifar10', '--data', dataDir, '--json',
    '--strategy', 'random', '--budget', '8', '--seed', '5', '--constraint', 'raspi4_latency<=30',
    '--trainer', `"${process.execPath}" ${FAKE} arch`, '--epochs', '9', '--scheduler', 'asha', '--min-epochs', '1',
    '--parallelism', String(parallelism), '--work-root', workRoot, '--curves',
  ];

  it('hwnas search --trainer - trained accuracies, ASHA stops trials early, curves; same seed same decisions', async () => {
    const one = await runCli(args(path.join(root, 'a'), 1));
    expect(one.code).toBe(0);
    const r = JSON.parse(one.out);
    expect(r.evaluations).toBe(8);
    const curves = Object.values(r.curves) as { epoch: number; valid_accuracy: number }[][];
    expect(r.stoppedEarly).toBeGreaterThan(0);
    expect(r.stoppedEarly).toBeLessThan(8);
    expect(curves.length).toBeLessThan(8);
    // The best is a trial trained to the end: its curve reaches epoch 9 and ends at its accuracy.
    const full = curves.filter((c) => c[c.length - 1].epoch === 9);
    // Architectures over the latency bound are never trained (no curve); the rest ran or were stopped.
    expect(full.length).toBe(curves.length - r.stoppedEarly);
    expect(full.length).toBeGreaterThan(0);
    expect(full.map((c) => c[8].valid_accuracy)).toContain(r.best.accuracy.test);
    expect(one.err).toMatch(/\[trial \d+\] stopped early at epoch \d/);
    const again = JSON.parse((await runCli(args(path.join(root, 'b'), 1))).out);
    expect(again.best).toEqual(r.best);
    expect(again.curves).toEqual(r.curves);
  });

  it('hwnas search --trainer - two trainers at once finish the search and leave no process behind', async () => {
    const res = await runCli(args(path.join(root, 'c'), 2));
    expect(res.code).toBe(0);
    expect(JSON.parse(res.out).evaluations).toBe(8);
    expect(trainersUnder(path.join(root, 'c'))).toEqual([]);
  });

  /** `args` with another scheduler. */
  const withScheduler = (argv: string[], scheduler: string) => argv.map((a, i) => (argv[i - 1] === '--scheduler' ? scheduler : a));

  it('hwnas search --trainer --scheduler sh - trials train rung by rung, the best 1/eta resume from their checkpoints; same seed same decisions', async () => {
    const run = async (dir: string) => {
      const res = await runCli(withScheduler(args(path.join(root, dir), 2), 'sh'));
      expect(res.code).toBe(0);
      return { r: JSON.parse(res.out), err: res.err };
    };
    const { r, err } = await run('sh-a');
    expect(r.evaluations).toBe(8);
    // Rungs 1, 3, 9 (min epochs 1, eta 3); the bracket of 9 is cut to the budget's 8 trials: the
    // best floor(8/3) = 2 go on to epoch 3 (those over the latency bound are never trained: no
    // curve, no score), and the best of those to epoch 9.
    const curves = Object.values(r.curves) as { epoch: number; valid_accuracy: number }[][];
    const reached = curves.map((c) => c[c.length - 1].epoch).sort((a, b) => a - b);
    const atRung = (e: number) => reached.filter((x) => x >= e).length;
    expect(atRung(1)).toBe(curves.length);
    expect(atRung(3)).toBe(Math.min(2, curves.length));
    expect(atRung(9)).toBe(1);
    expect(reached.every((e) => e === 1 || e === 3 || e === 9)).toBe(true);
    // A promoted trial resumed from its checkpoint: its curve has each epoch once, in order.
    for (const c of curves) expect(c.map((p) => p.epoch)).toEqual(c.map((_p, i) => i + 1));
    expect(err).toMatch(/\[trial \d+\] resumed from checkpoint at epoch 1/);
    expect(err).toMatch(/\[trial \d+\] resumed from checkpoint at epoch 3/);
    // The best is the one trial trained to the top rung; every other trained trial was stopped.
    const full = curves.find((c) => c.length === 9)!;
    expect(r.best.accuracy.test).toBe(full[8].valid_accuracy);
    expect(r.stoppedEarly).toBe(curves.length - 1);
    const again = (await run('sh-b')).r;
    expect(again.best).toEqual(r.best);
    expect(again.curves).toEqual(r.curves);
    expect(trainersUnder(root)).toEqual([]);
  });

  it('hwnas search --trainer --scheduler budget-sh - one bracket of the whole budget, promoted to the top rung', async () => {
    const res = await runCli(withScheduler(args(path.join(root, 'bsh'), 1), 'budget-sh'));
    expect(res.code).toBe(0);
    const r = JSON.parse(res.out);
    expect(r.evaluations).toBe(8);
    const curves = Object.values(r.curves) as { epoch: number; valid_accuracy: number }[][];
    const full = curves.filter((c) => c[c.length - 1].epoch === 9);
    expect(full.length).toBeGreaterThan(0);
    expect(full.length).toBeLessThan(curves.length);
    expect(full.map((c) => c[8].valid_accuracy)).toContain(r.best.accuracy.test);
  });

  it('hwnas search --trainer - an unknown scheduler is refused, --epochs is required', async () => {
    const bad = await runCli(withScheduler(args(path.join(root, 'd'), 1), 'pbt'));
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--scheduler must be one of asha, hyperband, sh, budget-sh, got "pbt"');
    const noEpochs = await runCli(args(path.join(root, 'e'), 1).filter((a, i, all) => a !== '--epochs' && all[i - 1] !== '--epochs'));
    expect(noEpochs.code).toBe(2);
    expect(noEpochs.err).toContain('epochs');
  });
});
