import type { TaskResult } from '../events';
import type { ResultChannel } from '../ports/result-channel';
import type { Subscription } from '../ports/task-queue';

type Handler = (r: TaskResult) => Promise<void>;

/** What publishing resolves to: one settled promise serves every call. */
const DONE: Promise<void> = Promise.resolve();

/** Deliveries of one result before it is dropped, and the first pause between them. */
const ATTEMPTS = 5;
const FIRST_RETRY_MS = 10;

/**
 * An in-process {@link ResultChannel}: each result is handed to every subscriber at once, in
 * publish order, without waiting for earlier handlers to finish (several may run together); a
 * handler that throws or rejects gets the same result again after a short, growing delay.
 */
export class InMemoryResultChannel implements ResultChannel {
  private readonly handlers = new Set<Handler>();
  /** Deliveries not yet settled, and who waits for them to reach zero. */
  private pending = 0;
  private idle: (() => void)[] = [];

  publish(result: TaskResult): Promise<void> {
    // Handed over at once and concurrently (in publish order), so that a consumer may batch what
    // lands together; not awaited by the publisher, as a broker would not be.
    for (const h of this.handlers) this.deliver(h, result, 0);
    return DONE;
  }

  async subscribe(handler: Handler): Promise<Subscription> {
    this.handlers.add(handler);
    return {
      stop: async () => {
        this.handlers.delete(handler);
        if (this.pending > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
      },
    };
  }

  private deliver(handler: Handler, result: TaskResult, attempt: number): void {
    this.pending++;
    let p: Promise<void>;
    try {
      p = handler(result);
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(
      () => this.settled(),
      () => {
        if (attempt + 1 < ATTEMPTS) {
          // Still pending while it waits: stop() waits for the redelivery too.
          this.pending++;
          setTimeout(() => {
            this.pending--;
            this.deliver(handler, result, attempt + 1);
          }, FIRST_RETRY_MS * 2 ** attempt);
        }
        this.settled();
      },
    );
  }

  private settled(): void {
    if (--this.pending > 0) return;
    for (const resolve of this.idle.splice(0)) resolve();
  }
}
