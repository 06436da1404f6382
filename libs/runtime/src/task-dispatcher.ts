import type { Clock } from './ports/clock';
import type { EvalTask, TaskQueue } from './ports/task-queue';

/** Options of {@link TaskDispatcher}. */
export interface TaskDispatcherOptions {
  readonly queue: TaskQueue;
  readonly clock: Clock;
  /** Pause before publishing again tasks whose publish failed, milliseconds. */
  readonly redispatchMs: number;
  /** Whether a task held back is still wanted when its turn to be published again comes. */
  readonly stillWanted: (task: EvalTask) => boolean;
  /** Called for each failed publish (the task is kept and published again). */
  readonly onPublishFailed: (task: EvalTask, err: unknown) => void;
}

/**
 * Publishes tasks concurrently. A task whose publish fails (NATS down for longer than the queue's
 * own retries) is kept and published again after `redispatchMs`: its search's result is already
 * journalled, so no redelivered result would trigger it again.
 */
export class TaskDispatcher {
  private readonly heldBack: EvalTask[] = [];
  private retryScheduled = false;
  private readonly stopped = new AbortController();

  constructor(private readonly opts: TaskDispatcherOptions) {}

  async dispatch(tasks: readonly EvalTask[]): Promise<void> {
    const outcomes = await Promise.allSettled(tasks.map((t) => this.opts.queue.publish(t)));
    outcomes.forEach((o, i) => {
      if (o.status === 'rejected') {
        this.opts.onPublishFailed(tasks[i], o.reason);
        this.heldBack.push(tasks[i]);
      }
    });
    if (!this.heldBack.length || this.retryScheduled || this.stopped.signal.aborted) return;
    this.retryScheduled = true;
    this.opts.clock.sleep(this.opts.redispatchMs, this.stopped.signal).then(
      () => {
        this.retryScheduled = false;
        void this.dispatch(this.heldBack.splice(0).filter(this.opts.stillWanted));
      },
      () => undefined,
    );
  }

  /** Tasks waiting to be published again. */
  get heldBackCount(): number {
    return this.heldBack.length;
  }

  stop(): void {
    this.stopped.abort();
  }
}
