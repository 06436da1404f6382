/**
 * Hardware-aware one-shot search, swept over the cost weight: for each method (DARTS, NA-DARTS)
 * and seed, the reference trainer's one-shot search (trainers/pytorch/oneshot/search.py) runs on a
 * synthetic image set with the NB201 per-edge cost table of a device metric (HW-NAS-Bench costs
 * by difference), at increasing cost weights; each derived architecture is then measured on the
 * device backends (the raspi4 replay and the Eyeriss simulator), not taken from the supernet's
 * estimate. Writes docs/benchmarks/oneshot.md.
 *
 *   node --import tsx apps/cli/scripts/oneshot-cost-sweep.ts [--data DIR] [--weights 0,0.5,2]
 *        [--seeds 0,1,2] [--epochs 4] [--width 8] [--train 600] [--threads 2] [--metric raspi4_latency]
 *        [--out docs/benchmarks/oneshot.md]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Benchmark } from '@hwnas/bench-core';
import { InProcessDevices } from '@hwnas/device-backends';
import { TableTrialEvaluator } from '@hwnas/runtime';
import { isOneShotStrategyName } from '@hwnas/search';
import { ProcessTrainerEvaluator, runOneShotSearch } from '@hwnas/trainer-process';

const PYTHON = '/usr/bin/python3';
const ROOT = resolve(__dirname, '../../..');
const SEARCH = join(ROOT, 'trainers/pytorch/oneshot/search.py');
/** The devices each derived architecture is measured on: the raspi4 replay (the table's value) and the Eyeriss simulator. */
const DEVICES = ['raspi4', 'asic-eyeriss'];

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: process.env.HWNAS_DATA ?? join(ROOT, '../shared/data') },
    weights: { type: 'string', default: '0,0.5,2' },
    seeds: { type: 'string', default: '0,1,2' },
    epochs: { type: 'string', default: '4' },
    width: { type: 'string', default: '8' },
    train: { type: 'string', default: '600' },
    threads: { type: 'string', default: '2' },
    methods: { type: 'string', default: 'darts,na-darts' },
    metric: { type: 'string', default: 'raspi4_latency' },
    out: { type: 'string', default: join(ROOT, 'docs/benchmarks/oneshot.md') },
  },
});

interface Row {
  method: string;
  seed: number;
  weight: number;
  arch: string;
  expected: number;
  table: number;
  eyeriss: number;
  accuracy: number;
  seconds: number;
}

async function main(): Promise<void> {
  const bench = Benchmark.open({ dataDir: values.data });
  const metric = values.metric!;
  const backends = new InProcessDevices(bench);
  const costs = new TableTrialEvaluator(bench, backends);
  const tmp = mkdtempSync(join(tmpdir(), 'hwnas-oneshot-sweep-'));
  const npz = join(tmp, 'synthetic.npz');
  // the reference trainer's class-pattern set: --train training and 200 test images, 4 classes, 16x16
  const script = `import sys; sys.path.insert(0, ${JSON.stringify(join(ROOT, 'trainers/pytorch'))}); from hwnas_trainer.synthetic import make_synthetic; make_synthetic(${JSON.stringify(tmp)}, train=${Number(values.train)}, test=200, num_classes=4, size=16, seed=0, formats=("npz",))`;
  const made = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`cannot make the synthetic set: ${made.stderr}`);
  const rows: Row[] = [];
  for (const method of values.methods!.split(',')) {
    if (!isOneShotStrategyName(method)) throw new Error(`unknown one-shot method ${method}`);
    for (const seed of values.seeds!.split(',').map(Number)) {
      // One evaluator per seed (the seed is the trainer's); each weight is its own search id, so its own work dir.
      const trainer = new ProcessTrainerEvaluator({
        command: `${PYTHON} ${SEARCH} --data ${npz} --width ${Number(values.width)} --cells 1 --batch-size 32 --threads ${Number(values.threads)}`,
        workRoot: join(tmp, 'work'),
        epochs: Number(values.epochs),
        seed,
      });
      for (const weight of values.weights!.split(',').map(Number)) {
        const t0 = Date.now();
        const result = await runOneShotSearch(
          {
            searchId: `${method}-${seed}-${weight}`, space: 'nb201', dataset: 'cifar10', method, epochs: Number(values.epochs),
            devices: DEVICES, costMetric: metric, costWeight: weight, options: { alphaLr: 0.05, neighbours: 2 },
          },
          { trainer, costs },
        );
        rows.push({
          method, seed, weight, arch: result.arch.string, expected: result.supernet.expected_cost,
          table: result.measured.raspi4_latency, eyeriss: result.measured.eyeriss_latency, accuracy: result.supernet.accuracy, seconds: (Date.now() - t0) / 1000,
        });
        process.stderr.write(`${method} seed ${seed} weight ${weight}: ${result.arch.string} ${result.measured.raspi4_latency.toFixed(2)} ms\n`);
        // Written after every search: a sweep stopped half-way still leaves what it measured.
        writeDoc(rows, metric, false);
      }
    }
  }
  await backends.close();
  rmSync(tmp, { recursive: true, force: true });
  writeDoc(rows, metric, true);
  process.stdout.write(readFileSync(values.out!, 'utf8'));
}

function writeDoc(rows: readonly Row[], metric: string, complete: boolean): void {
  const lines = [
    '# One-shot searches: latency of the derived architecture against the cost weight',
    '',
    `Generated by \`node --import tsx apps/cli/scripts/oneshot-cost-sweep.ts\` (runOneShotSearch of libs/trainer-process, what \`hwnas search --strategy darts|na-darts\` runs) (${new Date().toISOString().slice(0, 10)}).`,
    `NB201 supernet (width ${values.width}, 1 cell per stage, ${values.threads} threads) on the reference trainer's synthetic 4-class set (${values.train} training images, 16x16), ${values.epochs} epochs,`,
    `architecture Adam lr 0.05; per-edge cost table = HW-NAS-Bench \`${metric}\` by difference from the all-\`none\` cell;`,
    'the derived architecture (argmax per edge) is measured on the `raspi4` replay backend (the table\'s value) and the',
    '`asic-eyeriss` simulator, not estimated by the supernet.',
    ...(complete ? [] : ['', '**Partial: the sweep had not finished when this was written.**']),
    '',
    '| method | seed | cost weight | derived architecture | expected cost (supernet) | raspi4 latency (backend), ms | eyeriss latency, ms | supernet accuracy of derived arch, % | seconds |',
    '| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.method} | ${r.seed} | ${r.weight} | \`${r.arch.replace(/\|/g, '\\|')}\` | ${r.expected.toFixed(2)} | ${r.table.toFixed(2)} | ${r.eyeriss.toFixed(3)} | ${r.accuracy.toFixed(1)} | ${r.seconds.toFixed(1)} |`),
    '',
  ];
  const monotone = new Map<string, { raspi4: boolean; eyeriss: boolean }>();
  for (const r of rows) {
    const key = `${r.method} seed ${r.seed}`;
    const prev = rows.filter((q) => q.method === r.method && q.seed === r.seed && q.weight < r.weight).at(-1);
    const m = monotone.get(key) ?? { raspi4: true, eyeriss: true };
    monotone.set(key, { raspi4: m.raspi4 && (prev === undefined || r.table <= prev.table), eyeriss: m.eyeriss && (prev === undefined || r.eyeriss <= prev.eyeriss) });
  }
  lines.push('Latency non-increasing in the cost weight (measured by the backends):', '');
  for (const [k, v] of monotone) lines.push(`- ${k}: raspi4 ${v.raspi4 ? 'yes' : 'no'}, eyeriss ${v.eyeriss ? 'yes' : 'no'}`);
  writeFileSync(values.out!, lines.join('\n') + '\n');
}

main().catch((e) => {
  process.stderr.write(`oneshot-cost-sweep: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
