import { Benchmark, getSpace } from '@hwnas/bench-core';
import { InProcessDevices } from '@hwnas/device-backends';
import { createTableSearchFactory, InMemoryTrialJournal, startEmbedded, TableTrialEvaluator } from '@hwnas/runtime';
import type { Embedded, TrialEvaluator } from '@hwnas/runtime';
import { CoordinatorDashboardSource, inProcessDeviceRows } from '../coordinator-source';
import { startDashboardServer } from '../server';
import type { DashboardServer } from '../server';

/** Options of {@link startSlowSearch}. */
export interface SlowSearchOptions {
  readonly dataDir: string;
  /** Wait before each evaluation, milliseconds (what makes the search slow enough to watch). */
  readonly delayMs: number;
  readonly budget: number;
  /** Fields of the search request to override (default: REA on nb201 cifar10 with a raspi4 constraint). */
  readonly request?: Record<string, unknown>;
  /** Bearer token of the dashboard (default none). */
  readonly token?: string;
  /** Evaluations in flight at once (default 2). */
  readonly parallelism?: number;
}

/** An embedded search served by a dashboard, for tests and the screenshot script. */
export interface SlowSearch extends AsyncDisposable {
  readonly embedded: Embedded;
  readonly searchId: string;
  readonly server: DashboardServer;
  stop(): Promise<void>;
}

/**
 * Starts an embedded search over the real benchmark tables whose every evaluation waits
 * `delayMs` first, and a dashboard server (on 127.0.0.1, a free port) over it.
 */
export async function startSlowSearch(opts: SlowSearchOptions): Promise<SlowSearch> {
  const bench = Benchmark.open({ dataDir: opts.dataDir });
  const devices = new InProcessDevices(bench);
  const table = new TableTrialEvaluator(bench, devices);
  const evaluator: TrialEvaluator = {
    async evaluate(task, signal) {
      await new Promise((resolve) => setTimeout(resolve, opts.delayMs));
      return table.evaluate(task, signal);
    },
  };
  const journal = new InMemoryTrialJournal();
  const embedded = await startEmbedded({ factory: createTableSearchFactory(bench, devices), evaluator, journal, concurrency: opts.parallelism ?? 2 });
  const searchId = await embedded.coordinator.submit({
    space: 'nb201',
    dataset: 'cifar10',
    strategy: 'rea',
    objectives: ['accuracy'],
    constraints: ['raspi4_latency<=15.72'],
    budget: opts.budget,
    maxInFlight: opts.parallelism ?? 2,
    seed: 1,
    ordering: 'ordered',
    ...opts.request,
  });
  const source = new CoordinatorDashboardSource({ coordinator: embedded.coordinator, journal, catalog: devices, listDevices: () => inProcessDeviceRows(embedded.coordinator, devices), metricInfo: (space, dataset) => bench.metrics(getSpace(space), dataset), pollMs: 100 });
  const server = await startDashboardServer({ source, listen: '127.0.0.1:0', ...(opts.token !== undefined ? { token: opts.token } : {}), updateIntervalMs: 100 });
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await server.close();
      await embedded.stop();
      await devices.close();
    })());
  return { embedded, searchId, server, stop, [Symbol.asyncDispose]: stop };
}
