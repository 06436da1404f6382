import { isNasError } from '@hwnas/bench-core';
import type { MetricInfo } from '@hwnas/bench-core';
import type { Coordinator, DeviceCatalog, EvaluatedArch, SearchView, TrialJournal } from '@hwnas/runtime';
import { isFeasible } from '@hwnas/search';
import type { SearchProblem } from '@hwnas/search';
import type { DeviceRow, DevicesView, MetricDescription, SearchDetail, SearchSummary, TrialRow } from './model';
import type { DashboardSource } from './source';
import { higherIsBetter, metricUnit } from './units';

/** Options of {@link CoordinatorDashboardSource}. */
export interface CoordinatorDashboardSourceOptions {
  readonly coordinator: Pick<Coordinator, 'list' | 'get' | 'trials' | 'problem' | 'watch'>;
  /** The coordinator's journal: the trace id of a search is read from its first event. Without it, no trace links. */
  readonly journal?: TrialJournal;
  /** Which metrics each device reports (marks measured costs in the trial table). */
  readonly catalog?: DeviceCatalog;
  /** The devices to list (agents with heartbeats, or in-process backends). Default: none. */
  readonly listDevices?: () => readonly DeviceRow[];
  /** Tasks waiting in the work queue, when the queue can tell. */
  readonly backlog?: () => Promise<number>;
  /** Descriptions (units) of the metrics of a space and dataset, e.g. from `Benchmark.metrics`. */
  readonly metricInfo?: (space: string, dataset: string) => readonly MetricInfo[];
  /** How often new searches are looked for, milliseconds (default 500). */
  readonly pollMs?: number;
}

/**
 * The devices of an embedded search: the in-process backends the coordinator's searches use, one
 * row each (`kind` in-process, one "agent": this process), with the metrics `catalog` gives them.
 */
export function inProcessDeviceRows(coordinator: Pick<Coordinator, 'list'>, catalog: DeviceCatalog): DeviceRow[] {
  const rows = new Map<string, DeviceRow>();
  for (const v of coordinator.list()) {
    for (const d of v.spec.devices) {
      if (rows.has(d)) continue;
      let metrics: string[] = [];
      try {
        metrics = catalog.metrics(d, v.spec.space, v.spec.dataset).map((m) => m.name);
      } catch {
        // Listed without metrics: the search that named it failed its validation.
      }
      rows.set(d, { deviceId: d, kind: 'in-process', description: 'backend in this process', metrics, agents: 1 });
    }
  }
  return [...rows.values()];
}

/** The first objective's metric name of a spec entry (`accuracy:max` -> `accuracy`). */
const metricOf = (objective: string) => objective.replace(/:(max|min)$/, '');

/**
 * A {@link DashboardSource} over a running `Coordinator`: the coordinator process and an embedded
 * search (`hwnas search --dashboard`) both read through it. Everything is computed from the
 * coordinator's views when asked; only trace ids (read once from the journal) are cached.
 */
export class CoordinatorDashboardSource implements DashboardSource {
  private readonly traceIds = new Map<string, Promise<string | undefined>>();

  constructor(private readonly opts: CoordinatorDashboardSourceOptions) {}

  async listSearches(): Promise<readonly SearchSummary[]> {
    return this.opts.coordinator.list().map((v) => this.summary(v, this.problemOf(v.searchId)));
  }

  async getSearch(searchId: string, trialsFrom = 0): Promise<SearchDetail> {
    const view = this.opts.coordinator.get(searchId);
    const problem = this.problemOf(searchId);
    const all = this.opts.coordinator.trials(searchId);
    const measured = this.measuredMetrics(view);
    const from = Math.max(0, Math.min(trialsFrom, all.length));
    const trials = all.slice(from).map((t) => this.trialRow(t, problem, measured));
    const units: Record<string, string> = {};
    const known = this.knownMetrics(view);
    for (const t of trials) for (const m of Object.keys(t.metrics)) units[m] ??= known.get(m)?.unit ?? this.unitOf(m, problem);
    const better = Object.keys(units).filter((m) => problem?.metricInfo[m]?.higherIsBetter ?? known.get(m)?.higherIsBetter ?? higherIsBetter(m));
    const traceId = await this.traceId(searchId);
    return {
      summary: this.summary(view, problem),
      objectives: this.objectives(view, problem),
      constraints: (problem?.constraints ?? []).map((c) => ({ metric: c.metric, bound: c.bound, unit: this.unitOf(c.metric, problem) })),
      units,
      higherIsBetter: better,
      devices: [...view.spec.devices],
      trialsFrom: from,
      trials,
      trialCount: all.length,
      frontIds: problem && problem.objectives.length > 1 ? (view.pareto ?? []).map((p) => p.trialId) : [],
      ...(view.best ? { bestId: view.best.trialId } : {}),
      ...(traceId ? { traceId } : {}),
    };
  }

  async devices(): Promise<DevicesView> {
    const devices = this.opts.listDevices?.() ?? [];
    let queues: DevicesView['queues'] = [];
    if (this.opts.backlog) {
      try {
        queues = [{ name: 'evaluation tasks', waiting: await this.opts.backlog() }];
      } catch {
        // The queue is unreachable for now (NATS down): the page shows the devices without it.
      }
    }
    return { devices, queues };
  }

  subscribe(listener: (searchId: string) => void): () => void {
    const unwatch = new Map<string, () => void>();
    let initial = true;
    const look = () => {
      for (const v of this.opts.coordinator.list()) {
        if (unwatch.has(v.searchId)) continue;
        // A search that ended before this subscription is old news; one that appeared (and perhaps ended)
        // between two polls is news, however fast it ran.
        let quiet = initial && v.finishedAt !== undefined;
        unwatch.set(
          v.searchId,
          this.opts.coordinator.watch(v.searchId, () => {
            // The coordinator replays the current state at once.
            if (quiet) {
              quiet = false;
              return;
            }
            listener(v.searchId);
          }),
        );
      }
      initial = false;
    };
    look();
    const timer = setInterval(look, this.opts.pollMs ?? 500);
    timer.unref();
    return () => {
      clearInterval(timer);
      for (const stop of unwatch.values()) stop();
      unwatch.clear();
    };
  }

  private problemOf(searchId: string): SearchProblem | undefined {
    try {
      return this.opts.coordinator.problem(searchId);
    } catch (e) {
      // A search whose setup failed has no problem; it is listed all the same.
      if (isNasError(e) && e.code === 'not_found') return undefined;
      throw e;
    }
  }

  /** The metrics the benchmark describes for the search's space and dataset, by name. */
  private knownMetrics(view: SearchView): Map<string, MetricInfo> {
    try {
      return new Map((this.opts.metricInfo?.(view.spec.space, view.spec.dataset) ?? []).map((m) => [m.name, m]));
    } catch {
      // Units are a nicety: a space the benchmark cannot describe shows bare metric names.
      return new Map();
    }
  }

  private unitOf(metric: string, problem: SearchProblem | undefined): string {
    return problem?.metricInfo[metric]?.unit ?? metricUnit(metric);
  }

  private objectives(view: SearchView, problem: SearchProblem | undefined): MetricDescription[] {
    if (problem) return problem.objectives.map((o) => ({ metric: o.metric, unit: this.unitOf(o.metric, problem), direction: o.direction }));
    return view.spec.objectives.map((o) => ({ metric: metricOf(o), unit: this.unitOf(metricOf(o), undefined) }));
  }

  private summary(v: SearchView, problem: SearchProblem | undefined): SearchSummary {
    const objective = this.objectives(v, problem)[0] ?? { metric: 'accuracy', unit: '%' };
    return {
      searchId: v.searchId,
      state: v.state,
      space: v.spec.space,
      dataset: v.spec.dataset,
      strategy: v.spec.strategy,
      budget: v.spec.budget,
      evaluationsDone: v.counts.evaluationsDone,
      evaluationsFailed: v.counts.evaluationsFailed,
      inFlight: v.counts.inFlight,
      submittedAtMs: v.submittedAt,
      ...(v.startedAt !== undefined ? { startedAtMs: v.startedAt } : {}),
      ...(v.finishedAt !== undefined ? { finishedAtMs: v.finishedAt } : {}),
      ...(v.finishReason ? { finishReason: v.finishReason } : {}),
      ...(v.etaMs !== undefined && Number.isFinite(v.etaMs) ? { etaMs: v.etaMs } : {}),
      evaluationsPerSecond: v.evaluationsPerSecond,
      objective,
      ...(v.spec.objectives.length > 1 ? { frontSize: v.pareto?.length ?? 0 } : {}),
      ...(v.best ? { best: { trialId: v.best.trialId, arch: v.best.key, ...(v.best.metrics?.[objective.metric] !== undefined ? { value: v.best.metrics[objective.metric] } : {}) } } : {}),
    };
  }

  /** Metric names the search's devices report (measured, not looked up). */
  private measuredMetrics(view: SearchView): ReadonlySet<string> {
    const out = new Set<string>();
    for (const d of view.spec.devices) {
      try {
        for (const m of this.opts.catalog?.metrics(d, view.spec.space, view.spec.dataset) ?? []) out.add(m.name);
      } catch {
        // A device that went away since the search started: its columns are shown unmarked.
      }
    }
    return out;
  }

  private trialRow(t: EvaluatedArch, problem: SearchProblem | undefined, measured: ReadonlySet<string>): TrialRow {
    const metrics = t.metrics ?? {};
    return {
      trialId: t.trialId,
      ...(t.tellIndex !== undefined ? { tellIndex: t.tellIndex } : {}),
      arch: t.key,
      need: t.need,
      status: t.status,
      feasible: t.status === 'ok' && (problem ? isFeasible(problem, metrics) : true),
      metrics,
      measured: Object.keys(metrics).filter((m) => measured.has(m) && metrics[`${m}_measured`] !== 0),
      ...(Object.keys(metrics).some((m) => metrics[`${m}_measured`] === 0) ? { predicted: Object.keys(metrics).filter((m) => metrics[`${m}_measured`] === 0) } : {}),
      ...(t.error ? { error: `${t.error.code}: ${t.error.message}` } : {}),
      ...(t.toldAt !== undefined || t.at !== undefined ? { finishedAtMs: t.toldAt ?? t.at } : {}),
      ...(t.cached ? { cached: true } : {}),
    };
  }

  /** The trace id in the W3C traceparent of the search's first journal event. */
  private traceId(searchId: string): Promise<string | undefined> {
    const journal = this.opts.journal;
    if (!journal) return Promise.resolve(undefined);
    let id = this.traceIds.get(searchId);
    if (!id) {
      id = (async () => {
        for await (const { event } of journal.read(searchId, 1)) {
          if (event.type !== 'search_submitted') return undefined;
          return /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(event.traceparent ?? '')?.[1];
        }
        return undefined;
      })().catch(() => undefined);
      this.traceIds.set(searchId, id);
    }
    return id;
  }
}
