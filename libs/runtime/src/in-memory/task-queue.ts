import type { ConsumeOptions, EvalTask, Subscription, TaskControl, TaskQueue } from '../ports/task-queue';

interface Consumer {
  readonly handler: (t: EvalTask, c: TaskControl) => Promise<void>;
  readonly opts: Required<ConsumeOptions>;
  active: number;
  stopped: boolean;
  readonly idle: Set<Promise<void>>;
}

interface Entry {
  readonly task: EvalTask;
  attempt: number;
}

/**
 * An in-process {@link TaskQueue}: FIFO, each task to one consumer at a time, redelivered after
 * `retry` and when a handler throws, dropped after `reject` or `maxDeliveries`. Consumers are
 * served round-robin. Used by the embedded mode and in tests; same contract as the NATS queue.
 */
export class InMemoryTaskQueue implements TaskQueue {
  private readonly ready: Entry[] = [];
  private readonly consumers: Consumer[] = [];
  private next = 0;
  private scheduled = false;

  async publish(task: EvalTask): Promise<void> {
    this.ready.push({ task, attempt: 0 });
    this.schedule();
  }

  /** Tasks waiting for a consumer (not counting those being handled). */
  get backlog(): number {
    return this.ready.length;
  }

  async consume(handler: (task: EvalTask, ctl: TaskControl) => Promise<void>, opts: ConsumeOptions = {}): Promise<Subscription> {
    const consumer = { handler, opts: { concurrency: opts.concurrency ?? 1, maxDeliveries: opts.maxDeliveries ?? 5 }, active: 0, stopped: false, idle: new Set<Promise<void>>() };
    this.consumers.push(consumer);
    this.schedule();
    return {
      stop: async () => {
        consumer.stopped = true;
        await Promise.all([...consumer.idle]);
        const i = this.consumers.indexOf(consumer);
        if (i >= 0) this.consumers.splice(i, 1);
      },
    };
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // Deliver on a later tick so that publish() never runs a handler re-entrantly.
    setImmediate(() => {
      this.scheduled = false;
      this.deliver();
    });
  }

  private deliver(): void {
    // Index-based, not shift(): a long ready list would be copied on every delivery.
    let head = 0;
    try {
      while (head < this.ready.length) {
        const consumer = this.pickConsumer();
        if (!consumer) return;
        const entry = this.ready[head++];
        this.start(consumer, entry);
      }
    } finally {
      this.ready.splice(0, head);
    }
  }

  /** Round robin over the consumers with a free slot. */
  private pickConsumer(): Consumer | undefined {
    const n = this.consumers.length;
    for (let i = 0; i < n; i++) {
      const c = this.consumers[this.next++ % n];
      if (!c.stopped && c.active < c.opts.concurrency) return c;
    }
    return undefined;
  }

  private start(consumer: Consumer, entry: Entry): void {
    entry.attempt++;
    consumer.active++;
    let settled = false;
    const settle = (again?: number) => {
      if (settled) return;
      settled = true;
      if (again !== undefined) {
        if (entry.attempt >= consumer.opts.maxDeliveries) return;
        setTimeout(() => {
          this.ready.push(entry);
          this.schedule();
        }, again);
      }
    };
    const ctl: TaskControl = {
      attempt: entry.attempt,
      ack: () => settle(),
      retry: (delayMs = 0) => settle(delayMs),
      reject: () => settle(),
      working: () => undefined,
    };
    const run = (async () => {
      try {
        await consumer.handler(entry.task, ctl);
      } catch {
        settle(0);
      }
      // A handler that returns without settling is treated as a crash: deliver again.
      settle(0);
      consumer.active--;
      this.schedule();
    })();
    consumer.idle.add(run);
    void run.finally(() => consumer.idle.delete(run));
  }
}
