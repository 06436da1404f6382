import type { TaskResult } from './events';

/** Results received and not yet applied, and the promise every one of their deliveries waits on. */
export interface Inbox {
  readonly results: TaskResult[];
  readonly applied: Promise<void>;
  resolve(): void;
  reject(e: unknown): void;
}

/**
 * A fresh inbox. Results that arrive while a batch is being applied wait in the next inbox, so a
 * burst of results costs one journal append: the result channel's deliveries settle together
 * when their batch is applied (or fail together, and are delivered again).
 */
export function newInbox(): Inbox {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const applied = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A failed batch is redelivered by the channel; nobody else needs to observe the rejection.
  applied.catch(() => undefined);
  return { results: [], applied, resolve, reject };
}

/** The results of a batch that the run still expects, each task once, in arrival order. */
export function freshResults(results: readonly TaskResult[], expects: (taskId: string) => boolean): TaskResult[] {
  const fresh: TaskResult[] = [];
  const seen = new Set<string>();
  for (const r of results) {
    if (!expects(r.taskId) || seen.has(r.taskId)) continue;
    seen.add(r.taskId);
    fresh.push(r);
  }
  return fresh;
}
