/**
 * How well any per-layer model could rank each FBNet device, as a ceiling for the K = 10 figures of
 * `hwnas cost-model eval`. FBNet latencies are close to additive over the 22 layers (HW-NAS-Bench
 * composes them from per-layer lookup tables), so the best a device-specific lookup table can do is
 * a least-squares fit of intercept + 22 x 9 layer/block one-hots to the device's own latencies:
 * - `additive, all rows`: fitted and scored on all 5,000 architectures (in-sample);
 * - `additive, held-out half`: fitted on the even rows, scored on the odd rows;
 * - `best single known device`: the best Spearman of one other known device's latencies alone
 *   (what the model-averaging cost model converges to when one reference takes over).
 * A noisy device (the phones stored in whole milliseconds) stays low for all three: its ranking is
 * limited by its measurement noise, not by the model.
 *
 *   node --import tsx libs/cost-model/scripts/fbnet-ceiling.ts [--data DIR]
 */
import { fbnetSpace } from '@hwnas/bench-core';
import { LayerTable, loadEvalSpace, spearman } from '../src/index';
import { scriptFlags } from './script-flags';

const USAGE = `node --import tsx libs/cost-model/scripts/fbnet-ceiling.ts [--data DIR]

  Spearman of a per-layer lookup table fitted to each FBNet device's own latencies, a ceiling for
  the cost model (see the comment at the top of this file).`;
const data = loadEvalSpace(scriptFlags(USAGE, {}).dataDir(), 'fbnet');
const archs = data.table.archs!;

/** Spearman on `scored` rows of a per-layer table fitted on `fitted` rows of `latencyMs`. */
function additive(latencyMs: Float64Array | readonly number[], fitted: readonly number[], scored: readonly number[]): number {
  const table = new LayerTable(
    fbnetSpace,
    fitted.map((r) => archs[r]),
    fitted.map((r) => latencyMs[r]),
  );
  return spearman(Float64Array.from(scored, (r) => table.predict(archs[r])), Float64Array.from(scored, (r) => latencyMs[r]));
}

const all = archs.map((_, r) => r);
const even = all.filter((r) => r % 2 === 0);
const odd = all.filter((r) => r % 2 === 1);
const rows = data.table.devices.map((d) => {
  const others = data.table.devices.filter((o) => o !== d).map((o) => ({ name: o.name, spearman: spearman(o.latencyMs, d.latencyMs) }));
  const best = others.reduce((a, b) => (b.spearman > a.spearman ? b : a));
  return { device: d.name, inSample: additive(d.latencyMs, all, all), heldOut: additive(d.latencyMs, even, odd), best };
});
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log('| device | additive, all rows | additive, held-out half | best single known device |');
console.log('| --- | ---: | ---: | --- |');
for (const r of rows) console.log(`| ${r.device} | ${r.inSample.toFixed(3)} | ${r.heldOut.toFixed(3)} | ${r.best.spearman.toFixed(3)} (${r.best.name}) |`);
console.log(`| mean | ${mean(rows.map((r) => r.inSample)).toFixed(3)} | ${mean(rows.map((r) => r.heldOut)).toFixed(3)} | ${mean(rows.map((r) => r.best.spearman)).toFixed(3)} |`);
