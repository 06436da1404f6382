import type { TaskResult } from '../events';
import type { ResultChannel } from '../ports/result-channel';
import type { Subscription } from '../ports/task-queue';

/**
 * An in-process {@link ResultChannel}: each result is handed to every subscriber at once, in
 * publish order, without waiting for earlier handlers to finish (several may run together); a
 * handler that throws gets the same result again after a short delay.
 */
export class InMemoryResultChannel implements ResultChannel {
  private readonly handlers = new Set<(r: TaskResult) => Promise<void>>();
  private readonly inFlight = new Set<Promise<void>>();

  async publish(result: TaskResult): Promise<void> {
    // Handed over at once and concurrently (in publish order), so that a consumer may batch what
    // lands together; not awaited by the publisher, as a broker would not be.
    for (const h of this.handlers) {
      const p = deliver(h, result);
      this.inFlight.add(p);
      void p.finally(() => this.inFlight.delete(p));
    }
  }

  async subscribe(handler: (result: TaskResult) => Promise<void>): Promise<Subscription> {
    this.handlers.add(handler);
    return {
      stop: async () => {
        this.handlers.delete(handler);
        await Promise.all([...this.inFlight]);
      },
    };
  }
}

async function deliver(handler: (r: TaskResult) => Promise<void>, result: TaskResult): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await handler(result);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 10 * 2 ** attempt));
    }
  }
}
