/**
 * How well the cost model predicts the architectures that decide a constrained search: those whose
 * true latency is near the bound. For each device (NAS-Bench-201 CIFAR-10; `--devices all`: HW-NAS-Bench's
 * raspi4 and pixel3 and every known device of the device-latency table but its pixel3, each left
 * out of the references as in bench-cost-screening.ts) and bound (the device's 25th percentile,
 * task C): fit on HELP's ten probe cells plus N cells drawn (seed 1) from those within 25 % of the
 * bound (what a screened search measures), then score 2,000 other such cells: quantiles of
 * |predicted - true| / true, the mean signed relative error, the root mean square of
 * (true - predicted) / std (1 for a calibrated std) and the share outside the 2-std band decided
 * on the wrong side of the bound. `--residual` adds the rows of the same model corrected by the
 * residual GP as CostScreen corrects it (CostScreenOptions.residualEncoding: mean and std scaled by
 * exp of the GP's mean), and with the GP's sd added to the relative std in quadrature, and, last, a
 * table of the means over the devices.
 *
 *   node --import tsx libs/cost-model/scripts/near-bound-errors.ts [--data DIR] [--devices raspi4,pixel3|all] [--residual]
 */
import { loadavg } from 'node:os';
import { Benchmark, nb201Space, Rng } from '@hwnas/bench-core';
import { taskC } from '@hwnas/search';
import { archEncoder } from '@hwnas/search/internal';
import { REPLAY_DEVICE_IDS } from '@hwnas/device-backends';
import { calibrationReferences, FittedCostModel, loadEvalSpace, metaLearnNoise } from '../src/index';
import { ResidualModel } from '../src/residual';
import { scriptFlags } from './script-flags';

const USAGE = `node --import tsx libs/cost-model/scripts/near-bound-errors.ts [--data DIR] [--devices raspi4,pixel3|all] [--residual]

  Errors of the cost model on the NAS-Bench-201 cells near a task-C bound (see the comment at the
  top of this file). --residual adds the rows corrected by the residual GP.`;
const flags = scriptFlags(USAGE, { devices: { type: 'string' }, residual: { type: 'boolean' } });
const dataDir = flags.dataDir();
const residual = flags.has('residual');
const load0 = loadavg()[0];
const tables = Benchmark.open({ dataDir }).nb201;
const data = loadEvalSpace(dataDir, 'nb201');
const replay = (REPLAY_DEVICE_IDS as readonly string[]).filter((d) => tables.has('cifar10', `${d}_latency`));
const devices = flags.string('devices', 'raspi4,pixel3') === 'all' ? [...replay, ...data.table.devices.map((d) => d.name).filter((n) => !replay.includes(n))] : flags.list('devices', 'raspi4,pixel3');
const accuracy = tables.column('cifar10', 'accuracy');
const encode = archEncoder(nb201Space);
const encodings = data.archs.map((a) => encode(a));
const lines = [
  '| device | model | samples (probe + near bound) | abs. relative error 50 / 80 / 90 / 95 / 99 % | mean signed relative error | rms standardised error | decided outside the band, wrong side |',
  '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
];
interface Score {
  q: number[];
  bias: number;
  rms: number;
  wrong: number;
}
const sums = new Map<string, { n: number; s: Score }>();
const extras = [0, 20, 40, 60];
let slowestFitMs = 0;
for (const device of devices) {
  // HW-NAS-Bench's raspi4 and pixel3 are replay devices; the others are columns of the device-latency table.
  const truth = replay.includes(device) ? tables.column('cifar10', `${device}_latency`) : data.table.devices.find((d) => d.name === device)!.latencyMs;
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
  for (const extra of extras) {
    const rows = [...probe, ...near.slice(0, extra)];
    const samples = rows.map((row) => ({ row, value: truth[row] }));
    const model = FittedCostModel.fit(device, refs, samples, hyper);
    const p = model.predictRows(scoredRefs);
    const score = (mean: ArrayLike<number>, std: ArrayLike<number>): Score => {
      const rel = scored.map((row, k) => (mean[k] - truth[row]) / truth[row]);
      const abs = rel.map(Math.abs).sort((a, b) => a - b);
      const z = scored.map((row, k) => (truth[row] - mean[k]) / std[k]);
      const wrong = scored.filter((row, k) => Math.abs(mean[k] - bound) >= 2 * std[k] && mean[k] <= bound !== truth[row] <= bound).length;
      return {
        q: [0.5, 0.8, 0.9, 0.95, 0.99].map((f) => abs[Math.floor(f * (abs.length - 1))]),
        bias: rel.reduce((a, b) => a + b, 0) / rel.length,
        rms: Math.sqrt(z.reduce((a, b) => a + b * b, 0) / z.length),
        wrong: (100 * wrong) / scored.length,
      };
    };
    const report = (name: string, s: Score): void => {
      lines.push(`| ${device} | ${name} | 10 + ${extra} | ${s.q.map((v) => v.toFixed(2)).join(' / ')} | ${s.bias.toFixed(3)} | ${s.rms.toFixed(2)} | ${s.wrong.toFixed(1)} % |`);
      const key = `${name} | 10 + ${extra}`;
      const acc = sums.get(key) ?? { n: 0, s: { q: [0, 0, 0, 0, 0], bias: 0, rms: 0, wrong: 0 } };
      acc.n++;
      acc.s = { q: acc.s.q.map((v, i) => v + s.q[i]), bias: acc.s.bias + Math.abs(s.bias), rms: acc.s.rms + s.rms, wrong: acc.s.wrong + s.wrong };
      sums.set(key, acc);
    };
    report('mixture', score(p.mean, p.std));
    if (residual) {
      const t0 = performance.now();
      const fitted = model.predictRows({ names: refs.names, columns: refs.columns.map((c) => Float64Array.from(rows, (i) => c[i])), size: rows.length });
      const gp = ResidualModel.fit(rows.map((r) => encodings[r]), rows.map((r, k) => Math.log(truth[r] / fitted.mean[k])));
      slowestFitMs = Math.max(slowestFitMs, performance.now() - t0);
      if (!gp) throw new Error(`${device}: the residual model did not fit`);
      const mean = new Float64Array(scored.length);
      const std = new Float64Array(scored.length);
      const stdWithGp = new Float64Array(scored.length);
      scored.forEach((row, k) => {
        const c = gp.predict(encodings[row]);
        const factor = Math.exp(c.shift);
        mean[k] = p.mean[k] * factor;
        std[k] = p.std[k] * factor;
        stdWithGp[k] = mean[k] * Math.hypot(c.sd, p.std[k] / p.mean[k]);
      });
      // What CostScreen does: mean and std scaled by the correction.
      report('+ residual GP', score(mean, std));
      // The GP's sd added to the relative std in quadrature (calibrated, but a much wider band).
      report('+ residual GP, its sd added', score(mean, stdWithGp));
    }
  }
}
console.log(`cells within 25 % of the bound, 2,000 scored per device; load average ${load0.toFixed(1)} -> ${loadavg()[0].toFixed(1)}${residual ? `; slowest residual fit ${slowestFitMs.toFixed(0)} ms` : ''}\n`);
console.log(lines.join('\n'));
if (residual) {
  console.log(`\nmeans over the ${devices.length} devices (signed error: mean of its absolute value)\n`);
  console.log('| model | samples | abs. relative error 50 / 80 / 90 / 95 / 99 % | abs. signed relative error | rms standardised error | wrong side outside the band |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const [k, { n, s }] of [...sums].sort(([a], [b]) => a.localeCompare(b))) {
    console.log(`| ${k} | ${s.q.map((v) => (v / n).toFixed(3)).join(' / ')} | ${(s.bias / n).toFixed(3)} | ${(s.rms / n).toFixed(2)} | ${(s.wrong / n).toFixed(2)} % |`);
  }
}
