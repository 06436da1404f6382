/**
 * How additive a device's latency is over NAS-Bench-201's decisions: the linear cost model gp-bo
 * and FOX-NAS use (Bayesian ridge regression on decision indicators, optionally with pairwise
 * terms: {@link LinearFeatures}) fitted on a uniform sample of cells, and its error over the whole
 * space and over the cheapest tenth of it. `--help` prints the usage.
 */
import { Benchmark, loadDeviceLatency, nb201Space, NB201_SIZE, resolveDataDir, Rng } from '@hwnas/bench-core';
import { fitRidge, LinearFeatures, RidgeSolver } from '../src/linear-model';
import { intFlag, latencyColumn, runScript, scriptArgs } from './script-args';

const USAGE = `node --import tsx libs/search/scripts/cost-additivity.ts [--devices LIST] [--sample 300] [--seed 1] [--data DIR]

  Fits the linear cost model (decision indicators alone, and with pairwise terms) on --sample
  uniformly drawn NAS-Bench-201 cells per device and prints its RMSE on the sample, over all
  15,625 cells and over the cheapest 10 %, with the device's latency range (ms).

  --devices   comma-separated latency columns of the table or HELP's measured devices
              (default raspi4_latency,pixel3_latency)
  --sample    cells the model is fitted on (default 300)
  --seed      seed of the sample (default 1)
  --data      the benchmark data directory (default: HWNAS_DATA or the data pack)`;

const values = scriptArgs(USAGE, {
  data: { type: 'string' },
  devices: { type: 'string', default: 'raspi4_latency,pixel3_latency' },
  sample: { type: 'string', default: '300' },
  seed: { type: 'string', default: '1' },
});

void runScript(USAGE, () => {
  const sample = intFlag('sample', values.sample, 2, NB201_SIZE);
  const seed = intFlag('seed', values.seed);
  const dataDir = resolveDataDir(values.data);
  const tables = Benchmark.open({ dataDir }).nb201;
  const help = loadDeviceLatency(dataDir, 'nb201');
  const archs = Array.from({ length: NB201_SIZE }, (_, i) => tables.index.archAt(i).slice());
  for (const device of values.devices.split(',').map((d) => d.trim()).filter(Boolean)) {
    const { cost } = latencyColumn(tables, help, device);
    const sorted = Array.from(cost).sort((a, b) => a - b);
    const cheap = sorted[Math.floor(0.1 * NB201_SIZE)];
    const rng = new Rng(seed);
    const drawn = new Set<number>();
    while (drawn.size < sample) drawn.add(rng.int(NB201_SIZE));
    const fitted = [...drawn];
    for (const mode of ['none', 'all'] as const) {
      const features = new LinearFeatures(nb201Space, mode);
      // The same penalties as gp-bo's cost models.
      const solver = new RidgeSolver(features.count, (i) => (i === 0 ? 0 : i < features.firstInteraction ? 1e-3 : 10));
      const rows = fitted.map((i) => features.active(archs[i]));
      for (const r of rows) solver.addRow(r);
      const model = fitRidge(solver, rows, fitted.map((i) => cost[i]), true);
      let all = 0;
      let low = 0;
      let lowCount = 0;
      for (let i = 0; i < NB201_SIZE; i++) {
        const e = features.predictArch(model.coefficients, archs[i]) - cost[i];
        all += e * e;
        if (cost[i] <= cheap) {
          low += e * e;
          lowCount++;
        }
      }
      const terms = mode === 'none' ? 'indicators' : 'indicators+pairs';
      console.log(
        `${device} ${terms}, ${sample} cells (seed ${seed}): RMSE fitted ${model.rmse.toFixed(2)}, all cells ${Math.sqrt(all / NB201_SIZE).toFixed(2)}, cheapest 10 % ${Math.sqrt(low / lowCount).toFixed(2)} ms; latency ${sorted[0].toFixed(2)}..${sorted[NB201_SIZE - 1].toFixed(2)} ms, 10th percentile ${cheap.toFixed(2)}`,
      );
    }
  }
});
