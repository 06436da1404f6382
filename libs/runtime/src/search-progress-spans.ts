import { trace } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import type { EvaluatedArch, RunCounts } from './search-run';
import { metricAttributes, PROGRESS_STEP, SPAN_NAMES } from './search-trace-attributes';
import { quietly, RUNTIME_SCOPE } from './trace-context';

const tracer = trace.getTracer(RUNTIME_SCOPE);

/**
 * A `search.progress` span is emitted at each step of {@link PROGRESS_STEP}, and otherwise at
 * most this often while results land, milliseconds: short spans that end (and so export) while
 * the search runs, unlike the search span, which a crash loses.
 */
const PROGRESS_SPAN_INTERVAL_MS = 2000;

/**
 * The `search.progress` spans of one search: short spans (start = end) under the search span that
 * export while the search runs, so that it can be watched live and its progress outlives a
 * coordinator crash. Not thread-safe (one per search, called by its `SearchTrace`).
 */
export class SearchProgressSpans {
  /** When the last span was emitted (Date.now), and the count it reported. */
  private lastAt = 0;
  private lastDone = -1;
  /** Asks (and their time, ms) since the last span. */
  private asks = 0;
  private askMs = 0;

  constructor(
    private readonly searchId: string,
    private readonly budget: number,
  ) {}

  /** Counts one `ask` of the strategy (reported on the next span). */
  countAsk(tookMs: number): void {
    this.asks++;
    this.askMs += tookMs;
  }

  /**
   * Emits a `search.progress` span (start = end) under the search span when the budget passed a
   * tenth, or {@link PROGRESS_SPAN_INTERVAL_MS} went by with new results: evaluations done,
   * failed and in flight, the best architecture so far, and the asks since the last one.
   */
  emit(parent: Context, counts: RunCounts, best: EvaluatedArch | undefined): void {
    if (counts.evaluationsDone === this.lastDone) return;
    const now = Date.now();
    const stepSize = Math.max(1, Math.ceil(this.budget * PROGRESS_STEP));
    const newStep = Math.floor(counts.evaluationsDone / stepSize) > Math.floor(Math.max(0, this.lastDone) / stepSize);
    if (!newStep && now - this.lastAt < PROGRESS_SPAN_INTERVAL_MS) return;
    quietly(() => {
      this.lastAt = now;
      this.lastDone = counts.evaluationsDone;
      const span = tracer.startSpan(
        SPAN_NAMES.searchProgress,
        {
          startTime: now,
          attributes: {
            'hwnas.search.id': this.searchId,
            'hwnas.search.budget': this.budget,
            'hwnas.evaluations.done': counts.evaluationsDone,
            'hwnas.evaluations.failed': counts.evaluationsFailed,
            'hwnas.in_flight': counts.inFlight,
            'hwnas.cost_queries': counts.costQueries,
            'hwnas.ask.count': this.asks,
            'hwnas.ask.duration_ms': this.askMs,
            ...(best ? { 'hwnas.best.trial_id': best.trialId, 'hwnas.best.arch': best.key, ...metricAttributes(best.metrics) } : {}),
          },
        },
        parent,
      );
      span.end(now);
      this.asks = 0;
      this.askMs = 0;
    });
  }
}
