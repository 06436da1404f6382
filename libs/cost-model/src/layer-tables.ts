import type { Arch, SearchSpace } from '@hwnas/bench-core';
import { fitRidge, LinearFeatures, RidgeSolver } from '@hwnas/search';

/**
 * A per-layer lookup table of one device's latency: intercept plus one value per (decision,
 * option), least-squares fitted to the device's measurements (`scripts/fbnet-ceiling.ts` measures
 * how close FBNet's latencies are to that: Spearman 0.93 on held-out architectures, 0.99+ on the
 * GPUs and two of the CPUs). Where it fits, its prediction is the device's latency without the
 * measurement noise of single architectures (whole-millisecond phones, run-to-run spread), and it
 * gives the device's latency for architectures it was never measured on.
 */
export class LayerTable {
  private readonly features: LinearFeatures;
  private readonly coefficients: Float64Array;
  /** The smallest prediction it returns: half the cheapest measurement, so a reference stays positive. */
  private readonly floor: number;

  constructor(space: SearchSpace, archs: readonly Arch[], values: ArrayLike<number>) {
    this.features = new LinearFeatures(space, 'none');
    // A tiny ridge (never on the intercept) keeps the solve well posed when an option never occurs.
    const solver = new RidgeSolver(this.features.count, (f) => (f === 0 ? 0 : 1e-6));
    const rows = archs.map((a) => this.features.active(a));
    for (const r of rows) solver.addRow(r);
    this.coefficients = fitRidge(solver, rows, Array.from(values)).coefficients;
    let cheapest = Infinity;
    for (let i = 0; i < values.length; i++) cheapest = Math.min(cheapest, values[i]);
    this.floor = cheapest / 2;
  }

  /** The table's latency of `arch`. */
  predict(arch: Arch): number {
    return Math.max(this.features.predictArch(this.coefficients, arch), this.floor);
  }
}
