import type { Clock } from './ports/clock';
import type { TrialReportChannel } from './ports/trial-report-channel';

/** Default of {@link SearchStopOrdersOptions.resendMs}. */
export const DEFAULT_STOP_RESEND_MS = 3000;

/** Options of {@link SearchStopOrders}. */
export interface SearchStopOrdersOptions {
  readonly channel?: TrialReportChannel;
  readonly clock: Clock;
  /** Pause between two sends of one search's stop order, milliseconds (default 3000). */
  readonly resendMs?: number;
  readonly onError?: (err: unknown, context: string) => void;
}

/**
 * Whole-search stop orders of the coordinator: {@link order} publishes one at once and again every
 * `resendMs` for as long as its `stillRunning` says the search has evaluations running, because an
 * order is at most once (a worker that was reconnecting, or a task taken after the order, would
 * otherwise keep training). One resend loop per search however often it is ordered; `stop()` ends
 * them all. Publish failures go to `onError` and the next send tries again.
 */
export class SearchStopOrders {
  private readonly resending = new Set<string>();
  private readonly stopped = new AbortController();
  private readonly resendMs: number;

  constructor(private readonly opts: SearchStopOrdersOptions) {
    this.resendMs = opts.resendMs ?? DEFAULT_STOP_RESEND_MS;
  }

  /** Orders the search's evaluations stopped now, and again while `stillRunning()` is true. */
  order(searchId: string, stillRunning: () => boolean): void {
    if (!this.opts.channel || this.stopped.signal.aborted) return;
    this.send(searchId);
    if (this.resending.has(searchId)) return;
    this.resending.add(searchId);
    void this.resend(searchId, stillRunning).finally(() => this.resending.delete(searchId));
  }

  /** Searches whose order is being repeated now. */
  get repeating(): readonly string[] {
    return [...this.resending];
  }

  /** Ends every resend loop (the coordinator is stopping). */
  stop(): void {
    this.stopped.abort();
  }

  private async resend(searchId: string, stillRunning: () => boolean): Promise<void> {
    for (;;) {
      try {
        await this.opts.clock.sleep(this.resendMs, this.stopped.signal);
      } catch {
        return;
      }
      if (!stillRunning()) return;
      this.send(searchId);
    }
  }

  private send(searchId: string): void {
    this.opts.channel?.publishStop({ type: 'search', searchId }).catch((e: unknown) => this.opts.onError?.(e, `stop order for search ${searchId}`));
  }
}
