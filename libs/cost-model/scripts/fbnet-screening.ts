/**
 * Screened searches on FBNet (CIFAR-100), over the whole space: the cost model calibrated on ten
 * of the table's 5,000 networks, its references for any other network from the known devices'
 * per-layer tables (`SpaceReferences`). The devices are HW-NAS-Bench's lookup-table devices
 * (latency summed per block, which the backends replay), none of them in the pool of known devices
 * (pixel3, which equals HELP's pixel3, is left out of the references). For each device the problem
 * is the device matrix's FBNet one: most MACs under latency <= T, T the 25th percentile of the
 * device over the table. Each search runs twice, every cost measured and screened; printed per
 * device and strategy: same result, best MACs screened - full, and the device's measurements
 * screened (calibration included) against those of the fully measured run.
 *
 *   node --import tsx libs/cost-model/scripts/fbnet-screening.ts [--devices raspi4,edgegpu,pixel3]
 *        [--strategies random,rea] [--seeds 5] [--budget 100] [--z 2] [--data DIR]
 */
import { Benchmark, costMetricInfo, fbnetSpace } from '@hwnas/bench-core';
import type { Arch, Metrics } from '@hwnas/bench-core';
import { deviceSearchMetric } from '@hwnas/device-backends';
import { createProblem, createStrategy } from '@hwnas/search';
import { calibrateWith, loadEvalSpace, runScreenedSearch, spaceScreen } from '../src/index';
import { scriptFlags } from './script-flags';

const USAGE = `node --import tsx libs/cost-model/scripts/fbnet-screening.ts [--devices raspi4,edgegpu,pixel3]
     [--strategies random,rea] [--seeds 5] [--budget 100] [--z 2] [--data DIR]

  Screened against fully measured searches on FBNet CIFAR-100 (most MACs under the device's 25th
  percentile latency), calibrated on 10 table networks; see the comment at the top of this file.`;
const num = { type: 'string' } as const;
const flags = scriptFlags(USAGE, { devices: num, strategies: num, seeds: num, budget: num, z: num });
const dataDir = flags.dataDir();
const devices = flags.list('devices', 'raspi4,edgegpu,pixel3');
const strategies = flags.list('strategies', 'random,rea');
const seeds = flags.number('seeds', 5);
const budget = flags.number('budget', 100);
const z = flags.number('z', 2);
const DATASET = 'cifar100';

async function main(): Promise<void> {
  const bench = Benchmark.open({ dataDir });
  const data = loadEvalSpace(dataDir, 'fbnet');
  console.log(`| device | T (ms) | strategy | same result | best MACs (M), screened - full (mean, min) | measured, full (mean) | measured, screened incl. K = 10 (mean) | ratio (mean, max) |`);
  console.log('| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const device of devices) {
    const metric = deviceSearchMetric(device, 'latency_ms');
    const latency = (arch: Arch): number => bench.metricsOf(fbnetSpace, DATASET, arch)[metric];
    const sorted = data.archs.map(latency).sort((a, b) => a - b);
    const bound = sorted[Math.floor(0.25 * (sorted.length - 1))];
    // HELP's pixel3 is HW-NAS-Bench's pixel3: left out, so that the device is new to the model.
    const calibration = await calibrateWith(device, async (a) => latency(a), data, { samples: 10, excludeReferences: device === 'pixel3' ? ['pixel3'] : [] });
    const infos = bench.metrics(fbnetSpace, DATASET);
    const problem = createProblem({ objectives: ['flops:max'], constraints: [`${metric}<=${bound}`], costFirst: true }, infos.some((m) => m.name === metric) ? infos : [...infos, costMetricInfo(metric)]);
    const evaluate = (arch: Arch): Metrics => {
      const { [metric]: _device, ...rest } = bench.metricsOf(fbnetSpace, DATASET, arch);
      return rest;
    };
    for (const strategy of strategies) {
      const rows: { same: boolean; diff: number; fullMeasured: number; measured: number }[] = [];
      for (let seed = 0; seed < seeds; seed++) {
        const run = async (screened: boolean) => {
          // The full run needs rows too (its measurements are kept by row): the same references, unused.
          const s = spaceScreen(calibration, data, { bounds: [bound], z });
          return runScreenedSearch(createStrategy(strategy, { space: fbnetSpace, problem, seed }, {}), fbnetSpace, problem, { metric, measure: async (a) => latency(a), rowOf: s.rowOf, evaluate, ...(screened ? { screen: s.screen } : {}) }, { budget });
        };
        const full = await run(false);
        const screened = await run(true);
        const macs = (r: typeof full) => r.best?.metrics?.flops ?? 0;
        rows.push({ same: full.best?.key === screened.best?.key, diff: macs(screened) - macs(full), fullMeasured: full.deviceMeasurements, measured: screened.deviceMeasurements + 10 });
      }
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const ratios = rows.map((r) => r.measured / r.fullMeasured);
      console.log(
        `| ${device} | ${bound.toFixed(3)} | ${strategy} | ${rows.filter((r) => r.same).length}/${rows.length} | ${mean(rows.map((r) => r.diff)).toFixed(2)}, ${Math.min(...rows.map((r) => r.diff)).toFixed(2)} | ${mean(rows.map((r) => r.fullMeasured)).toFixed(1)} | ${mean(rows.map((r) => r.measured)).toFixed(1)} | ${mean(ratios).toFixed(3)}, ${Math.max(...ratios).toFixed(3)} |`,
      );
    }
  }
}

void main().catch((e) => {
  console.error(`fbnet-screening: ${(e as Error).message}`);
  process.exit(1);
});
