/**
 * How well the cost model predicts the architectures that decide a constrained search: those whose
 * true latency is near the bound. For each device (replay raspi4 and pixel3, NAS-Bench-201 CIFAR-10,
 * the device left out of the references as in bench-cost-screening.ts) and bound (the device's
 * 25th percentile, task C): fit on HELP's ten probe cells plus N cells drawn (seed 1) from those
 * within 25 % of the bound (what a screened search measures), then score 2,000 other such cells:
 * quantiles of |predicted - true| / true, the mean signed relative error, the root mean square of
 * (true - predicted) / std (1 for a calibrated std) and the share outside the 2-std band decided on
 * the wrong side of the bound.
 *
 *   node --import tsx libs/cost-model/scripts/near-bound-errors.ts [--data DIR] [--devices raspi4,pixel3]
 */
import { loadavg } from 'node:os';
import { Benchmark, resolveDataDir, Rng } from '@hwnas/bench-core';
import { taskC } from '@hwnas/search';
import { calibrationReferences, FittedCostModel, loadEvalSpace, metaLearnNoise } from '../src/index';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const dataDir = resolveDataDir(process.argv.includes('--data') ? flag('data', '') : undefined);
const devices = flag('devices', 'raspi4,pixel3').split(',');
const load0 = loadavg()[0];
const tables = Benchmark.open({ dataDir }).nb201;
const data = loadEvalSpace(dataDir, 'nb201');
const accuracy = tables.column('cifar10', 'accuracy');
const lines = [
  '| device | samples (probe + near bound) | abs. relative error 50 / 80 / 90 / 95 / 99 % | mean signed relative error | rms standardised error | decided outside the band, wrong side |',
  '| --- | ---: | ---: | ---: | ---: | ---: |',
];
for (const device of devices) {
  const truth = tables.column('cifar10', `${device}_latency`);
  const bound = taskC(accuracy, truth).threshold;
  const refs = calibrationReferences(data, [device]);
  const hyper = metaLearnNoise(refs, { devices: data.table.devices.map((d) => d.name).filter((n) => refs.names.includes(n)) });
  const near: number[] = [];
  for (let i = 0; i < truth.length; i++) if (Math.abs(truth[i] / bound - 1) < 0.25) near.push(i);
  const rng = new Rng(1);
  for (let i = near.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [near[i], near[j]] = [near[j], near[i]];
  }
  const probe = data.table.probeIndex!.slice(0, 10);
  const scored = near.slice(200, 2200).filter((r) => !probe.includes(r));
  const scoredRefs = { names: refs.names, columns: refs.columns.map((c) => Float64Array.from(scored, (i) => c[i])), size: scored.length };
  for (const extra of [0, 20, 40, 60]) {
    const samples = [...probe, ...near.slice(0, extra)].map((row) => ({ row, value: truth[row] }));
    const p = FittedCostModel.fit(device, refs, samples, hyper).predictRows(scoredRefs);
    const rel = scored.map((row, k) => (p.mean[k] - truth[row]) / truth[row]);
    const abs = rel.map(Math.abs).sort((a, b) => a - b);
    const q = (f: number) => abs[Math.floor(f * (abs.length - 1))].toFixed(2);
    const z = scored.map((row, k) => (truth[row] - p.mean[k]) / p.std[k]);
    const wrong = scored.filter((row, k) => Math.abs(p.mean[k] - bound) >= 2 * p.std[k] && p.mean[k] <= bound !== truth[row] <= bound).length;
    lines.push(
      `| ${device} | 10 + ${extra} | ${[0.5, 0.8, 0.9, 0.95, 0.99].map(q).join(' / ')} | ${(rel.reduce((a, b) => a + b, 0) / rel.length).toFixed(3)} | ${Math.sqrt(z.reduce((a, b) => a + b * b, 0) / z.length).toFixed(2)} | ${((100 * wrong) / scored.length).toFixed(1)} % |`,
    );
  }
}
console.log(`cells within 25 % of the bound, 2,000 scored per device; load average ${load0.toFixed(1)} -> ${loadavg()[0].toFixed(1)}\n`);
console.log(lines.join('\n'));
