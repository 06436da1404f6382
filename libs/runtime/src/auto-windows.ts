import type { LaterEvent } from './search-record';
import type { SearchSpec } from './search-spec';
import type { Clock } from './ports/clock';
import type { LiveWorkers } from './ports/live-workers';
import type { Live } from './search-directory';

/** `SearchSpec.maxInFlight` of a search that uses every live worker slot. */
export const ALL_WORKER_SLOTS = 0;

/** Options of {@link AutoWindows}. */
export interface AutoWindowsOptions {
  readonly clock: Clock;
  /** Absent: no worker is known, and a search without a window runs one evaluation at a time. */
  readonly workers?: LiveWorkers;
  /** How often the windows are checked against the live slots, milliseconds. */
  readonly everyMs: number;
  /** The searches (running ones are resized). */
  readonly searches: () => Iterable<Live>;
  /** Journals and applies a new window for one search (the coordinator's `window_resized`). */
  readonly resize: (live: Live, maxInFlight: number) => void;
}

/**
 * The in-flight windows of searches submitted without one (`maxInFlight` 0): each is set to the
 * live worker slots when the search starts, then follows them, checked every `everyMs`, as
 * workers come and go. Each change is a journalled `window_resized` event, so a replay rebuilds
 * the same run. While no worker is known the window stays where it is (at least 1).
 */
export class AutoWindows {
  private readonly stopped = new AbortController();

  constructor(private readonly opts: AutoWindowsOptions) {}

  /** The window a search without one gets now: the live slots, or undefined when none are known. */
  liveSlots(): number | undefined {
    const slots = this.opts.workers?.slots() ?? 0;
    return slots > 0 ? slots : undefined;
  }

  /**
   * The events that start a search: one without a window of its own first gets the live worker
   * slots (when any are known; else it starts with one evaluation in flight).
   */
  startEvents(spec: SearchSpec, at: number): LaterEvent[] {
    const slots = spec.maxInFlight === ALL_WORKER_SLOTS ? this.liveSlots() : undefined;
    return [...(slots !== undefined ? [{ type: 'window_resized', maxInFlight: slots, at } as const] : []), { type: 'search_started', at }];
  }

  start(): void {
    if (!this.opts.workers) return;
    void this.loop();
  }

  stop(): void {
    this.stopped.abort();
  }

  private async loop(): Promise<void> {
    for (;;) {
      try {
        await this.opts.clock.sleep(this.opts.everyMs, this.stopped.signal);
      } catch {
        return;
      }
      this.check();
    }
  }

  /** Resizes every running search without a window of its own whose window differs from the live slots. */
  check(): void {
    const slots = this.liveSlots();
    if (slots === undefined) return;
    for (const live of this.opts.searches()) {
      const { record } = live;
      if (record.spec.maxInFlight !== ALL_WORKER_SLOTS || record.state !== 'running' || !record.run || record.run.maxInFlight === slots) continue;
      this.opts.resize(live, slots);
    }
  }
}
