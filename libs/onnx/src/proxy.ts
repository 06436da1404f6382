import { buildNetworkIR, getSpace } from '@hwnas/bench-core';
import type { MetricInfo } from '@hwnas/bench-core';
import type { AccuracyProxy } from '@hwnas/runtime';
import { naswotScore } from './naswot';
import type { NaswotOptions } from './naswot';

/** The metric NASWOT scores are reported as: higher is better, unitless (log |det K|). */
export const NASWOT_METRIC: MetricInfo = {
  name: 'naswot',
  unit: '',
  kind: 'accuracy',
  higherIsBetter: true,
  description: 'NASWOT training-free score (Mellor et al. 2021): log|det| of the ReLU-pattern kernel of the untrained network on a fixed synthetic batch',
};

/**
 * The NASWOT score as the runtime's {@link AccuracyProxy}: what a search optimises when no
 * accuracy table exists. Each score is a real forward pass through ONNX Runtime on a fixed,
 * seeded synthetic batch, so it is deterministic for (architecture, dataset, options). Scores are
 * cached per architecture and dataset (the same architecture is never scored twice).
 */
export function createNaswotProxy(opts: NaswotOptions = {}): AccuracyProxy {
  const cache = new Map<string, Promise<number>>();
  return {
    metric: NASWOT_METRIC,
    score(req) {
      const key = `${req.space}|${req.dataset}|${req.arch}`;
      let score = cache.get(key);
      if (!score) {
        const space = getSpace(req.space);
        const ir = buildNetworkIR(space, space.parse(req.arch), req.dataset);
        score = naswotScore(ir, opts).then((r) => r.score);
        // A failed score is not cached: a retry computes it again.
        score.catch(() => cache.delete(key));
        cache.set(key, score);
      }
      return score;
    },
  };
}
