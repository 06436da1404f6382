import { getSpace, InvalidArgumentError, isNasError, NasError } from '@hwnas/bench-core';
import type { Arch, Benchmark, MetricInfo, Metrics, SearchSpace } from '@hwnas/bench-core';
import { createProblem, createStrategy } from '@hwnas/search';
import type { SearchFactory } from './coordinator-options';
import type { EvalTask } from './ports/task-queue';
import type { AccuracyProxy, DeviceClient, TrialEvaluator } from './ports/trial-evaluator';
import type { SearchSetup } from './search-run';
import type { SearchSpec } from './search-spec';

/** The cost metrics each device contributes, for validating searches that use devices. */
export interface DeviceCatalog {
  /** Metrics `device` reports (HW-NAS-Bench naming); throws a NasError for an unknown device. */
  metrics(device: string, space: string, dataset: string): readonly MetricInfo[];
}

/** Re-throws a validation error with the request field it concerns in front of its message. */
function inField<T>(field: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (isNasError(e) && e.code === 'invalid_argument') throw new InvalidArgumentError(`${field}: ${e.message}`, { cause: e });
    throw e;
  }
}

/**
 * A {@link SearchFactory} over the benchmark tables (plus device metrics when a catalog is given,
 * and the proxy's metric for searches whose accuracy source is the training-free proxy):
 * metric names are checked against what the tables and devices provide, a constraint bound below
 * the least value of its table column over the space is rejected (no architecture could meet it),
 * and the strategy comes from the `@hwnas/search` registry.
 */
export function createTableSearchFactory(bench: Benchmark, devices?: DeviceCatalog, proxy?: Pick<AccuracyProxy, 'metric'>): SearchFactory {
  const minima = new Map<string, number | undefined>();
  /** Least value of a NAS-Bench-201 table column over the space (undefined: not a table column). */
  const tableMinimum = (dataset: string, metric: string): number | undefined => {
    const key = `${dataset}/${metric}`;
    if (!minima.has(key)) {
      const known = bench.nb201.metrics(dataset).some((m) => m.name === metric);
      let least = Infinity;
      if (known) {
        // An indexed loop: this runs once per search, unoptimised, and for-of over the 15,625
        // values would allocate an iterator result per value (1 to 2 ms of a start; 0.3 ms now).
        const column = bench.nb201.column(dataset, metric);
        for (let i = 0; i < column.length; i++) if (column[i] < least) least = column[i];
      }
      minima.set(key, Number.isFinite(least) ? least : undefined);
    }
    return minima.get(key);
  };
  return {
    setup(spec: SearchSpec): SearchSetup {
      const space = getSpace(spec.space);
      const available: MetricInfo[] = [...bench.metrics(space, spec.dataset)];
      if (spec.accuracySource === 'proxy') {
        if (!proxy) throw new InvalidArgumentError('accuracySource: the training-free proxy is not available here');
        available.push(proxy.metric);
      }
      for (const d of spec.devices) {
        if (!devices) throw new InvalidArgumentError(`devices: no device backends are available here (asked for "${d}")`);
        const ms = inField('devices', () => devices.metrics(d, spec.space, spec.dataset));
        for (const m of ms) if (!available.some((a) => a.name === m.name)) available.push(m);
      }
      const base = { objectives: spec.objectives, costFirst: spec.mode === 'cost-first' };
      // Validated in steps so that an error names the request field it concerns.
      inField('objectives', () => createProblem(base, available));
      if (spec.reward) inField('reward', () => createProblem({ ...base, reward: spec.reward }, available));
      const problem = inField('constraints', () =>
        createProblem({ ...base, constraints: spec.constraints, ...(spec.reward ? { reward: spec.reward } : {}) }, available),
      );
      for (const c of problem.constraints) {
        // Without the tables (a proxy search with no data) there is no column to check against.
        const least = space.id === 'nb201' && bench.hasTables(space) ? tableMinimum(spec.dataset, c.metric) : undefined;
        if (least !== undefined && c.bound < least) {
          const unit = problem.metricInfo[c.metric]?.unit ?? '';
          throw new InvalidArgumentError(
            `constraints: ${c.metric}<=${c.bound} can never be met: no architecture of the ${space.id} space on ${spec.dataset} has ${c.metric} below ${least}${unit ? ` ${unit}` : ''}`,
          );
        }
      }
      const strategy = inField('strategyOptions', () => createStrategy(spec.strategy, { space, problem, seed: spec.seed }, spec.strategyOptions));
      return { space, problem, strategy };
    },
  };
}

/**
 * A {@link TrialEvaluator} over the benchmark tables: a full evaluation returns every table metric
 * of the architecture (accuracies, costs, flops, params) plus each requested device's measured
 * costs; a cost query returns only the metrics it asks for.
 */
export class TableTrialEvaluator implements TrialEvaluator {
  /** Parsed architectures per space by arch string (parsing is a large part of a table lookup). */
  private readonly parsed = new Map<string, Map<string, Arch>>();

  /**
   * `proxy` answers tasks whose accuracy source is `proxy`; `parseCacheSize`: parsed
   * architectures kept (default 20,000; 0 disables the cache).
   */
  constructor(
    private readonly bench: Benchmark,
    private readonly devices?: DeviceClient,
    private readonly parseCacheSize = 20_000,
    private readonly proxy?: AccuracyProxy,
  ) {}

  private parse(space: SearchSpace, text: string): Arch {
    let cache = this.parsed.get(space.id);
    if (!cache) this.parsed.set(space.id, (cache = new Map()));
    let arch = cache.get(text);
    if (arch === undefined) {
      arch = space.parse(text);
      if (this.parseCacheSize > 0) {
        // Oldest first out (Maps iterate in insertion order); the cap is per space.
        if (cache.size >= this.parseCacheSize) cache.delete(cache.keys().next().value!);
        cache.set(text, arch);
      }
    }
    return arch;
  }

  /** Synchronous for a table-only task (no proxy, no devices), a promise otherwise. */
  evaluate(task: EvalTask, signal?: AbortSignal): Metrics | Promise<Metrics> {
    const space = getSpace(task.space);
    const arch = this.parse(space, task.arch);
    if (task.accuracySource === 'proxy' && !this.proxy) {
      throw new NasError('accuracy source "proxy" is not available in this worker', 'failed_precondition');
    }
    // metricsOf returns a fresh record: filled in place, not copied.
    const out = this.bench.metricsOf(space, task.dataset, arch) as Record<string, number>;
    const proxied = task.accuracySource === 'proxy' && task.need === 'full';
    if (!proxied && task.devices.length === 0) return this.select(task, out);
    return this.measure(task, out, signal);
  }

  /** Adds the proxy's score (full evaluations only) and each device's measured costs. */
  private async measure(task: EvalTask, out: Record<string, number>, signal?: AbortSignal): Promise<Metrics> {
    // The proxy is an accuracy: computed for full evaluations only, never for cost queries.
    if (task.accuracySource === 'proxy' && task.need === 'full') {
      out[this.proxy!.metric.name] = await this.proxy!.score({ space: task.space, dataset: task.dataset, arch: task.arch }, signal);
    }
    for (const d of task.devices) {
      if (!this.devices) throw new NasError(`device "${d}" requested but this worker has no device client`, 'failed_precondition');
      Object.assign(out, await this.devices.measure(d, { space: task.space, dataset: task.dataset, arch: task.arch }, signal));
    }
    return this.select(task, out);
  }

  /** Everything for a full evaluation; only the metrics asked for by a cost query. */
  private select(task: EvalTask, out: Record<string, number>): Metrics {
    if (task.need === 'full') return out;
    const costs: Record<string, number> = {};
    for (const m of task.metrics) if (out[m] !== undefined) costs[m] = out[m];
    return costs;
  }

}
