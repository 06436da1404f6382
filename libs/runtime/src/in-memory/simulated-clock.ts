import type { Clock } from '../ports/clock';

interface Sleeper {
  readonly at: number;
  readonly order: number;
  readonly resolve: () => void;
}

/**
 * A {@link Clock} whose time moves only when told to ({@link SimulatedClock.advance}): sleeps end
 * in time order as the clock passes them, with the promise jobs they start run in between, so a
 * test of a ten-minute deadline takes milliseconds and never depends on the machine's speed.
 */
export class SimulatedClock implements Clock {
  private sleepers: Sleeper[] = [];
  private order = 0;

  constructor(private time = 0) {}

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        reject(signal!.reason);
      };
      // The listener goes with the sleep: a loop sleeping on one signal must not pile them up.
      const sleeper: Sleeper = { at: this.time + Math.max(ms, 0), order: this.order++, resolve: () => (signal?.removeEventListener('abort', onAbort), resolve()) };
      this.sleepers.push(sleeper);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Sleeps not yet over. */
  get sleeping(): number {
    return this.sleepers.length;
  }

  /** Moves time forward by `ms`, waking each sleep due on the way, earliest first. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      await settle();
      const due = this.sleepers.filter((s) => s.at <= end).sort((a, b) => a.at - b.at || a.order - b.order)[0];
      if (!due) break;
      this.sleepers = this.sleepers.filter((s) => s !== due);
      this.time = Math.max(this.time, due.at);
      due.resolve();
    }
    this.time = end;
    await settle();
  }
}

/** Lets pending promise jobs (and what they chain) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
