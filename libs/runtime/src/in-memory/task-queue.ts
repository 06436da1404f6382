import type { ConsumeOptions, EvalTask, TaskControl, TaskQueue, TaskSubscription } from '../ports/task-queue';

type Handler = (t: EvalTask, c: TaskControl) => Promise<void>;

/** What publishing resolves to: nothing waits in memory, and one settled promise serves every call. */
const DONE: Promise<void> = Promise.resolve();

interface Consumer {
  readonly handler: Handler;
  readonly concurrency: number;
  readonly maxDeliveries: number;
  active: number;
  /** Deliveries whose handler has not returned yet (to hand back). */
  readonly deliveries: Set<Delivery>;
  /**
   * Aborted by `handBack()`: the `signal` of every delivery of this consumer. One per consumer,
   * not per delivery: an AbortController costs microseconds, and the embedded mode evaluates a
   * table lookup in about as long.
   */
  readonly handedBack: AbortController;
  stopped: boolean;
  /** Settled by `stop()`: resolves once the last handler in progress has returned. */
  drained?: { readonly promise: Promise<void>; readonly resolve: () => void };
}

interface Entry {
  readonly task: EvalTask;
  attempt: number;
}

/**
 * One delivery of a task to a consumer, and its {@link TaskControl}. A class rather than closures:
 * the embedded mode makes tens of thousands of deliveries per second.
 */
class Delivery implements TaskControl {
  private settled = false;

  constructor(
    private readonly queue: InMemoryTaskQueue,
    private readonly consumer: Consumer,
    private readonly entry: Entry,
  ) {}

  get attempt(): number {
    return this.entry.attempt;
  }

  ack(): void {
    this.settle();
  }

  retry(delayMs = 0): void {
    this.settle(delayMs);
  }

  reject(): void {
    this.settle();
  }

  working(): void {
    // Nothing expires in memory.
  }

  get signal(): AbortSignal {
    return this.consumer.handedBack.signal;
  }

  /** Gives the task back to the queue now, unless its handler already settled it. */
  handBack(): void {
    if (!this.settled) this.settle(0);
  }

  run(): void {
    this.consumer.deliveries.add(this);
    let p: Promise<void>;
    try {
      p = this.consumer.handler(this.entry.task, this);
    } catch {
      this.finish();
      return;
    }
    p.then(
      () => this.finish(),
      () => this.finish(),
    );
  }

  /** The handler returned: one that did not settle (or threw) is treated as a crash and delivered again. */
  private finish(): void {
    this.settle(0);
    const c = this.consumer;
    c.deliveries.delete(this);
    c.active--;
    if (c.stopped && c.active === 0) c.drained?.resolve();
    this.queue.schedule();
  }

  private settle(again?: number): void {
    if (this.settled) return;
    this.settled = true;
    if (again === undefined || this.entry.attempt >= this.consumer.maxDeliveries) return;
    if (again <= 0) this.queue.requeue(this.entry);
    else setTimeout(() => this.queue.requeue(this.entry), again);
  }
}

/**
 * An in-process {@link TaskQueue}: FIFO, each task to one consumer at a time, redelivered after
 * `retry` and when a handler throws, dropped after `reject` or `maxDeliveries`. Consumers are
 * served round-robin. Nothing expires (`working()` is a no-op); `handBack()` puts the tasks in
 * progress back at the end of the line at once. Used by the embedded mode and in tests; same
 * contract as the NATS queue (both pass `describeTaskQueueConformance`).
 */
export class InMemoryTaskQueue implements TaskQueue {
  private ready: Entry[] = [];
  private readonly consumers: Consumer[] = [];
  private next = 0;
  private scheduled = false;

  publish(task: EvalTask): Promise<void> {
    this.ready.push({ task, attempt: 0 });
    this.schedule();
    return DONE;
  }

  /** Tasks waiting for a consumer (not counting those being handled). */
  get backlog(): number {
    return this.ready.length;
  }

  async consume(handler: Handler, opts: ConsumeOptions = {}): Promise<TaskSubscription> {
    const consumer: Consumer = { handler, concurrency: opts.concurrency ?? 1, maxDeliveries: opts.maxDeliveries ?? 5, active: 0, deliveries: new Set(), handedBack: new AbortController(), stopped: false };
    this.consumers.push(consumer);
    this.schedule();
    const stop = async () => {
      consumer.stopped = true;
      if (consumer.active > 0) {
        if (!consumer.drained) {
          let resolve!: () => void;
          const promise = new Promise<void>((r) => (resolve = r));
          consumer.drained = { promise, resolve };
        }
        await consumer.drained.promise;
      }
      const i = this.consumers.indexOf(consumer);
      if (i >= 0) this.consumers.splice(i, 1);
    };
    return {
      stop,
      handBack: async () => {
        consumer.stopped = true;
        for (const d of [...consumer.deliveries]) d.handBack();
        consumer.handedBack.abort();
        await stop();
      },
    };
  }

  async discard(searchId: string): Promise<number> {
    const before = this.ready.length;
    this.ready = this.ready.filter((e) => e.task.searchId !== searchId);
    return before - this.ready.length;
  }

  /** Puts a task back at the end of the line (a retry or a crashed handler). */
  requeue(entry: Entry): void {
    this.ready.push(entry);
    this.schedule();
  }

  /** Delivers on a later tick, so that publish() never runs a handler re-entrantly. */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.deliver();
    });
  }

  private deliver(): void {
    // Index-based, not shift(): a long ready list would be copied on every delivery.
    let head = 0;
    const ready = this.ready;
    try {
      while (head < ready.length) {
        const consumer = this.pickConsumer();
        if (!consumer) return;
        const entry = ready[head++];
        entry.attempt++;
        consumer.active++;
        new Delivery(this, consumer, entry).run();
      }
    } finally {
      this.ready = head === ready.length ? [] : ready.slice(head);
    }
  }

  /** Round robin over the consumers with a free slot. */
  private pickConsumer(): Consumer | undefined {
    const n = this.consumers.length;
    for (let i = 0; i < n; i++) {
      const c = this.consumers[this.next++ % n];
      if (!c.stopped && c.active < c.concurrency) return c;
    }
    return undefined;
  }
}
