import type { Clock } from './ports/clock';
import type { TaskResult } from './events';
import type { CoordinatorLog } from './coordinator-options';
import type { LiveWorkers } from './ports/live-workers';
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
  /** Called once for each overdue task, with its failed result (the coordinator records it). */
  readonly onOverdue: (result: TaskResult) => void;
  /** The live workers: a task one of them reports running is not counted (see the class). */
  readonly workers?: LiveWorkers;
  /** Where each overdue task is logged (a warning). */
  readonly log?: CoordinatorLog;
}

/**
 * Task deadlines: a sweep every quarter of the timeout over the pending tasks (nothing per task on
 * the hot path); a task seen pending in more than four sweeps in a row is overdue, so it is failed
 * between the timeout and 1.25 times the timeout after it was dispatched (or re-dispatched after a
 * restart), or after the last sweep that found it held by a live worker (`workers`). Time comes from the {@link Clock}, so the check is tested with a simulated one.
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
        // A task being evaluated by a live worker is not late, however long it takes (hours of
        // training): its deadline runs from the last sweep that saw it held, i.e. from its worker's end.
        if (this.opts.workers?.isRunning(task.taskId)) continue;
        const sweeps = (this.seen.get(task.taskId) ?? 0) + 1;
        next.set(task.taskId, sweeps);
        if (sweeps === SWEEPS_PER_TIMEOUT + 1) this.overdue(searchId, task);
      }
    }
    this.seen = next;
  }

  private overdue(searchId: string, task: EvalTask): void {
    const { timeoutMs } = this.opts;
    this.opts.log?.warn({ searchId, taskId: task.taskId, trialId: task.trialId, arch: task.arch, timeoutMs }, 'evaluation timed out: recorded as failed (deadline_exceeded)');
    this.opts.onOverdue(overdueResult(searchId, task, timeoutMs));
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
