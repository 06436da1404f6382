import { NasError, nb201Space } from '@hwnas/bench-core';
import type { Benchmark } from '@hwnas/bench-core';
import type { CostModels, CostScreener } from '../ports/cost-models';

/** Options of {@link ratioCostModels}. */
export interface RatioCostModelsOptions {
  /** The one device with a stored model. */
  readonly device: string;
  /** The metric it predicts (e.g. `raspi4_latency`). */
  readonly metric: string;
  /** The table metric it predicts from (e.g. `pixel3_latency`). */
  readonly reference: string;
  /** The stored ratio metric / reference, before any measurement. */
  readonly ratio: number;
  /** Standard deviation relative to the mean (default 0.15). */
  readonly relativeStd?: number;
}

/**
 * A plain {@link CostModels} for tests of the runtime (which may not use `@hwnas/cost-model`, the
 * real one): a NAS-Bench-201 architecture's cost is predicted as its `reference` table value
 * times a ratio, the stored one until the first measurement and then the ratio of the sums over
 * the architectures measured; the band is z relative std around each bound. Deterministic.
 */
export function ratioCostModels(bench: Benchmark, opts: RatioCostModelsOptions): CostModels {
  const tables = bench.nb201;
  const relativeStd = opts.relativeStd ?? 0.15;
  return {
    async load(spec) {
      if (spec.device !== opts.device) throw new NasError(`no cost model for device "${spec.device}"`, 'not_found');
      return { device: opts.device, metric: opts.metric, document: { ratio: opts.ratio }, summary: `${opts.reference} x ${opts.ratio}` };
    },
    screen(model, o): CostScreener {
      const reference = tables.column(o.dataset, opts.reference);
      const rowOf = (arch: string) => tables.indexOf(nb201Space.parse(arch));
      const known = new Map<string, number>();
      let ratio = (model.document as { ratio: number }).ratio;
      let sums = [0, 0];
      const predict = (arch: string) => {
        const mean = ratio * reference[rowOf(arch)];
        return { mean, std: relativeStd * mean };
      };
      return {
        metric: model.metric,
        predict,
        mustMeasure: (arch) => {
          const p = predict(arch);
          return !known.has(arch) && o.bounds.some((b) => Math.abs(p.mean - b) < o.z * p.std);
        },
        optimistic: (arch) => known.get(arch) ?? predict(arch).mean - o.z * predict(arch).std,
        record: (arch, value) => {
          if (known.has(arch)) return;
          known.set(arch, value);
          sums = [sums[0] + value, sums[1] + reference[rowOf(arch)]];
          ratio = sums[0] / sums[1];
        },
        measured: (arch) => known.get(arch),
      };
    },
  };
}
