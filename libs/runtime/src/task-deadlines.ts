import type { Clock } from './ports/clock';
import type { TaskResult } from './events';
import type { EvalTask } from './ports/task-queue';

/** Sweeps of the deadline check per timeout (a task fails once seen pending in more of them). */
const SWEEPS_PER_TIMEOUT = 4;

/** Options of {@link TaskDeadlines}. */
export interface TaskDeadlinesOptions {
  readonly clock: Clock;
  /** A task pending this long (milliseconds) is overdue; 0 disables the check. */
  readonly timeoutMs: number;
  /** Tasks dispatched and not answered, by search (running searches only). */
  readonly pending: () => Iterable<readonly [searchId: string, tasks: readonly EvalTask[]]>;
  /** Called once for each overdue task (the coordinator records it as failed). */
  readonly onOverdue: (searchId: string, task: EvalTask) => void;
}

/**
 * Task deadlines: a sweep every quarter of the timeout over the pending tasks (nothing per task on
 * the hot path); a task seen pending in more than four sweeps in a row is overdue, so it is failed
 * between the timeout and 1.25 times the timeout after it was dispatched (or re-dispatched after a
 * restart). Time comes from the {@link Clock}, so the check is tested with a simulated one.
 */
export class TaskDeadlines {
  private seen = new Map<string, number>();
  private readonly stopped = new AbortController();

  constructor(private readonly opts: TaskDeadlinesOptions) {}

  start(): void {
    if (this.opts.timeoutMs <= 0) return;
    void this.loop();
  }

  stop(): void {
    this.stopped.abort();
  }

  private async loop(): Promise<void> {
    for (;;) {
      try {
        await this.opts.clock.sleep(this.opts.timeoutMs / SWEEPS_PER_TIMEOUT, this.stopped.signal);
      } catch {
        return;
      }
      this.sweep();
    }
  }

  /** One sweep: counts how long each pending task has been seen, and reports the overdue ones. */
  sweep(): void {
    const next = new Map<string, number>();
    for (const [searchId, tasks] of this.opts.pending()) {
      for (const task of tasks) {
        const sweeps = (this.seen.get(task.taskId) ?? 0) + 1;
        next.set(task.taskId, sweeps);
        if (sweeps === SWEEPS_PER_TIMEOUT + 1) this.opts.onOverdue(searchId, task);
      }
    }
    this.seen = next;
  }
}

/** The failed result an overdue task is recorded with (`deadline_exceeded`, from the coordinator). */
export function overdueResult(searchId: string, task: EvalTask, timeoutMs: number): TaskResult {
  const limit = timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`;
  return {
    taskId: task.taskId,
    searchId,
    trialId: task.trialId,
    workerId: 'coordinator',
    status: 'failed',
    error: { code: 'deadline_exceeded', message: `no result within ${limit} of dispatch: no worker finished this task (a worker crashing on it, or its deliveries used up)` },
  };
}
