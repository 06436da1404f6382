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

  it('hwnas search --trainer - sh is refused with the reason, --epochs is required', async () => {
    const sh = await runCli([...args(path.join(root, 'd'), 1), '--scheduler', 'sh']);
    expect(sh.code).toBe(2);
    expect(sh.err).toContain('--scheduler must be asha or hyperband with --trainer (synchronous successive halving');
    const noEpochs = await runCli(args(path.join(root, 'e'), 1).filter((a, i, all) => a !== '--epochs' && all[i - 1] !== '--epochs'));
    expect(noEpochs.code).toBe(2);
    expect(noEpochs.err).toContain('epochs');
  });
});
