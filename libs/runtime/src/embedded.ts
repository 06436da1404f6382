import { Coordinator } from './coordinator';
import type { SearchFactory } from './coordinator-options';
import { InMemoryResultChannel } from './in-memory/result-channel';
import { InMemoryTaskQueue } from './in-memory/task-queue';
import { InMemoryTrialJournal } from './in-memory/trial-journal';
import type { CostModels } from './ports/cost-models';
import type { Subscription } from './ports/task-queue';
import type { TrialEvaluator } from './ports/trial-evaluator';
import type { TrialJournal } from './ports/trial-journal';
import { startWorker } from './worker-loop';

/** Options of {@link startEmbedded}. */
export interface EmbeddedOptions {
  readonly factory: SearchFactory;
  readonly evaluator: TrialEvaluator;
  /** In-process workers (default 1). */
  readonly workers?: number;
  /** Tasks each worker evaluates at once (default 1). */
  readonly concurrency?: number;
  /** Journal (default in memory; a `FileTrialJournal` makes runs resumable). */
  readonly journal?: TrialJournal;
  /** As the coordinator's `taskTimeoutMs` (default 10 minutes; 0 disables). */
  readonly taskTimeoutMs?: number;
  /** As the coordinator's `maxRunningSearches` (default 0: no limit). */
  readonly maxRunningSearches?: number;
  /** As the coordinator's `costModels` (searches with a cost model; default none). */
  readonly costModels?: CostModels;
  /** As the coordinator's `newId` (default random UUIDs). */
  readonly newId?: () => string;
}

/** A coordinator, its workers and in-memory transport in one process. */
export interface Embedded {
  readonly coordinator: Coordinator;
  stop(): Promise<void>;
}

/**
 * The embedded mode: coordinator, workers and in-memory queue, result channel and journal in one
 * process, with no network. It is the same coordinator and worker code as the cluster.
 */
export async function startEmbedded(opts: EmbeddedOptions): Promise<Embedded> {
  const queue = new InMemoryTaskQueue();
  const results = new InMemoryResultChannel();
  const journal = opts.journal ?? new InMemoryTrialJournal();
  const slots = (opts.workers ?? 1) * (opts.concurrency ?? 1);
  const coordinator = new Coordinator({
    queue,
    results,
    journal,
    factory: opts.factory,
    // In-process workers never die: their slots are fixed, and no task outlives its worker.
    workers: { slots: () => slots, isRunning: () => false },
    ...(opts.taskTimeoutMs !== undefined ? { taskTimeoutMs: opts.taskTimeoutMs } : {}),
    ...(opts.maxRunningSearches !== undefined ? { maxRunningSearches: opts.maxRunningSearches } : {}),
    ...(opts.costModels ? { costModels: opts.costModels } : {}),
    ...(opts.newId ? { newId: opts.newId } : {}),
  });
  await coordinator.start();
  const workers: Subscription[] = [];
  for (let i = 0; i < (opts.workers ?? 1); i++) {
    workers.push(await startWorker({ queue, results, evaluator: opts.evaluator, workerId: `embedded-${i}`, concurrency: opts.concurrency ?? 1 }));
  }
  return {
    coordinator,
    async stop() {
      await Promise.all(workers.map((w) => w.stop()));
      await coordinator.stop();
    },
  };
}
