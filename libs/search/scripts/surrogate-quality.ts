/**
 * How well gp-bo's Gaussian process ranks architectures it has not seen, by encoding: n random
 * NAS-Bench-201 cells (n = 20, 50, 100; 10 draws each) are fitted as gp-bo fits them (targets
 * winsorised at their 10 % quantile, hyperparameters by marginal likelihood over the grid), and
 * the predicted CIFAR-10 accuracy of the unseen cells under a latency bound (task C's 25th
 * percentile) is compared with the true one: Spearman rank correlation over all of them and over
 * those at >= 85 % accuracy (the region a search ends in), and the regret of the best of the 5
 * cells the model ranks highest. Encodings:
 *
 * - `decisions`: the decisions as they are, no feature term (gp-bo before the encoder);
 * - `effective`: dead edges set to `none` (archEncoder's arch), no feature term;
 * - `encoded`: archEncoder's arch and features, the full grid (what gp-bo uses).
 *
 *   node --import tsx libs/search/scripts/surrogate-quality.ts [--device raspi4_latency] [--data DIR]
 *
 * `--device` is a latency column of the table (`*_latency`) or one of HELP's devices in
 * device-latency/nb201-devices.json.
 */
import { Benchmark, knownDevices, loadDeviceLatency, NB201_SIZE, nb201Space, resolveDataDir, Rng } from '@hwnas/bench-core';
import type { Arch } from '@hwnas/bench-core';
import { archEncoder } from '../src/arch-features';
import type { ArchEncoding } from '../src/arch-features';
import { CategoricalGp, HYPER_GRID, selectHyper } from '../src/gaussian-process';
import { taskC } from '../src/index';
import { runScript, scriptArgs } from './script-args';

const USAGE = `node --import tsx libs/search/scripts/surrogate-quality.ts [--device raspi4_latency] [--data DIR]

  --device NAME  a latency column of the NAS-Bench-201 table (*_latency) or one of HELP's devices
  --data DIR     benchmark data directory (default: $HWNAS_DATA, else the data pack)`;
const values = scriptArgs(USAGE, { data: { type: 'string' }, device: { type: 'string', default: 'raspi4_latency' } });

function ranks(v: readonly number[]): number[] {
  const order = v.map((_, i) => i).sort((a, b) => v[a] - v[b]);
  const r = new Array<number>(v.length);
  order.forEach((i, k) => (r[i] = k));
  return r;
}

function spearman(a: readonly number[], b: readonly number[]): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const n = a.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += (ra[i] - rb[i]) ** 2;
  return 1 - (6 * s) / (n * (n * n - 1));
}

void runScript(USAGE, () => {
  const dataDir = resolveDataDir(values.data);
  const tables = Benchmark.open({ dataDir }).nb201;
  const accuracy = tables.column('cifar10', 'accuracy');
  const device = values.device!;
  // HELP's devices through bench-core's loader, so that the data pack serves them when no directory is given.
  const cost: ArrayLike<number> = device.endsWith('_latency') ? tables.column('cifar10', device) : knownDevices(loadDeviceLatency(dataDir, 'nb201'), [device])[0].latencyMs;
  const info = taskC(accuracy, cost);
  const archs: Arch[] = Array.from({ length: NB201_SIZE }, (_, i) => tables.index.archAt(i));
  const feasible = archs.map((_, i) => i).filter((i) => cost[i] <= info.threshold);
  const good = feasible.filter((i) => accuracy[i] >= 85);

  const encoder = archEncoder(nb201Space);
  const decisionsOnly = HYPER_GRID.filter((h) => !h.features);
  const ENCODINGS: Record<string, { encode: (a: Arch) => ArchEncoding; grid: typeof HYPER_GRID }> = {
    decisions: { encode: (arch) => ({ arch, features: [] }), grid: decisionsOnly },
    effective: { encode: (arch) => ({ arch: encoder(arch).arch, features: [] }), grid: decisionsOnly },
    encoded: { encode: encoder, grid: HYPER_GRID },
  };


  console.log(`task C on ${device} (bound ${info.threshold.toFixed(4)}, ${feasible.length} feasible, ${good.length} at >= 85 %); 10 draws per n`);
  for (const n of [20, 50, 100]) {
    const sums: Record<string, number[]> = {};
    for (let draw = 0; draw < 10; draw++) {
      const rng = new Rng(1000 + draw);
      const chosen = new Set<number>();
      while (chosen.size < n) chosen.add(rng.int(NB201_SIZE));
      const train = [...chosen];
      let ys = train.map((i) => accuracy[i]);
      const floor = ys.slice().sort((a, b) => a - b)[Math.floor(0.1 * (n - 1))];
      ys = ys.map((y) => Math.max(y, floor));
      for (const [name, { encode, grid }] of Object.entries(ENCODINGS)) {
        const points = train.map((i) => encode(archs[i]));
        const gp = new CategoricalGp(points, ys, selectHyper(points, ys, grid));
        const predicted = new Map(feasible.map((i) => [i, gp.mean(encode(archs[i]))]));
        const all = spearman(feasible.map((i) => predicted.get(i)!), feasible.map((i) => accuracy[i]));
        const top = spearman(good.map((i) => predicted.get(i)!), good.map((i) => accuracy[i]));
        const best5 = feasible
          .filter((i) => !chosen.has(i))
          .sort((a, b) => predicted.get(b)! - predicted.get(a)!)
          .slice(0, 5);
        const regret = info.optimum - Math.max(...best5.map((i) => accuracy[i]));
        const s = (sums[name] ??= [0, 0, 0]);
        s[0] += all / 10;
        s[1] += top / 10;
        s[2] += regret / 10;
      }
    }
    for (const [name, [all, top, regret]] of Object.entries(sums)) {
      console.log(`n=${String(n).padStart(3)} ${name.padEnd(9)} Spearman feasible ${all.toFixed(3)}, at >= 85 % ${top.toFixed(3)}; regret of the best 5 predicted ${regret.toFixed(3)}`);
    }
  }
});
