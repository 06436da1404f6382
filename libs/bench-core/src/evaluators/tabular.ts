import type { Benchmark } from '../data/benchmark';
import type { Evaluator } from '../evaluator';
import type { MetricInfo, Metrics } from '../metrics';
import type { Arch, SearchSpace } from '../space/space';
import { datasetSpec } from '../space/space';

/**
 * An {@link Evaluator} that looks architectures up in the benchmark tables (plus FLOPs/params
 * from the IR). `evaluateSync` skips the promise for in-process loops over thousands of lookups.
 */
export class TabularEvaluator implements Evaluator {
  readonly metrics: readonly MetricInfo[];

  constructor(
    private readonly benchmark: Benchmark,
    readonly space: SearchSpace,
    readonly dataset: string,
  ) {
    datasetSpec(space, dataset);
    this.metrics = benchmark.metrics(space, dataset);
  }

  /** Table lookup, synchronously. */
  evaluateSync(arch: Arch): Metrics {
    return this.benchmark.metricsOf(this.space, this.dataset, arch);
  }

  async evaluate(arch: Arch): Promise<Metrics> {
    return this.evaluateSync(arch);
  }
}
