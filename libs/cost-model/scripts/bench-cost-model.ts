/**
 * Times the cost model on NAS-Bench-201 (15,625 cells, 15 references: 12 known devices, MACs and
 * both simulators), for one held-out device (default pixel3):
 * - fit: FittedCostModel.fit on K = 10 samples (median of 200 fits over different draws);
 * - predict: predictRows over all 15,625 cells (median of 50);
 * - meta-learning of the noise and prior variances on the 12 reference devices (once per reference pool;
 *   3 runs);
 * - building the references (IR, MACs and both simulators over every cell), once;
 * - the cost screen with its residual model (as calibrationScreen builds it) on 10 and on 100
 *   measurements: building it (mixture and residual GP fits; median of 5) and predicting all 15,625
 *   cells one by one through CostScreen.predict (median of 5), and the latter without the residual model.
 *
 *   node --import tsx libs/cost-model/scripts/bench-cost-model.ts [--data DIR] [--device NAME]
 */
import { loadavg } from 'node:os';
import { knownDevices, nb201Space } from '@hwnas/bench-core';
import { archEncoder } from '@hwnas/search/internal';
import { CostScreen, FittedCostModel, knownDeviceReferences, loadEvalSpace, median, metaLearnNoise, sampleRows } from '../src/index';
import { scriptFlags } from './script-flags';

const USAGE = `node --import tsx libs/cost-model/scripts/bench-cost-model.ts [--data DIR] [--device NAME]

  Times fitting, predicting and meta-learning the cost model and the cost screen on NAS-Bench-201.
  --device NAME  the held-out known device (default pixel3)`;
const flags = scriptFlags(USAGE, { device: { type: 'string' } });

const load0 = loadavg()[0];
const data = loadEvalSpace(flags.dataDir(), 'nb201');
const [target] = knownDevices(data.table, [flags.string('device', 'pixel3')]);
const refDevices = data.table.devices.filter((d) => d !== target);
const refs = knownDeviceReferences(data, refDevices);

const metaSeconds: number[] = [];
let hyper = { noiseVariance: 0, priorVariance: 0 };
for (let r = 0; r < 3; r++) {
  const t0 = performance.now();
  const { noiseVariance, priorVariance } = metaLearnNoise(refs, { devices: refDevices.map((d) => d.name) });
  hyper = { noiseVariance, priorVariance };
  metaSeconds.push((performance.now() - t0) / 1000);
}
const fitMs: number[] = [];
let model: FittedCostModel | undefined;
for (let seed = 0; seed < 200; seed++) {
  const samples = sampleRows(refs.size, 10, seed).map((row) => ({ row, value: target.latencyMs[row] }));
  const t0 = performance.now();
  model = FittedCostModel.fit(target.name, refs, samples, hyper);
  fitMs.push(performance.now() - t0);
}
const predictMs: number[] = [];
for (let r = 0; r < 50; r++) {
  const t0 = performance.now();
  model!.predictRows(refs);
  predictMs.push(performance.now() - t0);
}
const encode = archEncoder(nb201Space);
const residualEncoding = (row: number) => encode(data.archs[row]);
const screenTimes = [10, 100].map((k) => {
  const samples = sampleRows(refs.size, k, 1).map((row) => ({ row, value: target.latencyMs[row] }));
  const buildMs: number[] = [];
  const predictAll: number[] = [];
  const predictAllMixture: number[] = [];
  for (let r = 0; r < 5; r++) {
    const mixture = new CostScreen(target.name, refs, samples, hyper);
    const t = performance.now();
    for (let row = 0; row < refs.size; row++) mixture.predict(row);
    predictAllMixture.push(performance.now() - t);
    const t0 = performance.now();
    const screen = new CostScreen(target.name, refs, samples, { ...hyper, residualEncoding });
    const t1 = performance.now();
    for (let row = 0; row < refs.size; row++) screen.predict(row);
    buildMs.push(t1 - t0);
    predictAll.push(performance.now() - t1);
  }
  return { measurements: k, buildMsMedian: +median(buildMs).toFixed(1), predictAllMsMedian: +median(predictAll).toFixed(1), withoutResidualPredictAllMsMedian: +median(predictAllMixture).toFixed(1) };
});
const result = {
  device: target.name,
  architectures: refs.size,
  references: refs.names.length,
  fitMsMedian: +median(fitMs).toFixed(3),
  fitMsMax: +Math.max(...fitMs).toFixed(3),
  predictAllMsMedian: +median(predictMs).toFixed(2),
  predictAllMsMax: +Math.max(...predictMs).toFixed(2),
  metaLearnSecondsMedian: +median(metaSeconds).toFixed(2),
  referencesSeconds: +data.computeSeconds.toFixed(2),
  screenWithResidual: screenTimes,
  loadAverage1mBefore: +load0.toFixed(2),
  loadAverage1mAfter: +loadavg()[0].toFixed(2),
};
console.log(JSON.stringify(result, null, 2));
