import { context, INVALID_SPAN_CONTEXT, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, Context, Link, Span } from '@opentelemetry/api';
import type { SearchStrategy } from '@hwnas/search';
import type { TaskResult } from './events';
import type { EvalTask } from './ports/task-queue';
import type { EvaluatedArch, RunCounts, SearchSetup } from './search-run';
import type { SearchSpec } from './search-spec';
import { evaluations, LANDED_ATTRIBUTES, metricAttributes, PROGRESS_STEP, resultAttributes, SPAN_NAMES, specAttributes, taskAttributes } from './search-trace-attributes';
import { SearchProgressSpans } from './search-progress-spans';
import { contextFromTraceparent, formatTraceparent, quietly, RUNTIME_SCOPE } from './trace-context';

export { metricAttributes, SPAN_NAMES } from './search-trace-attributes';

const tracer = trace.getTracer(RUNTIME_SCOPE);

/**
 * An `ask` slower than this gets its own `strategy.ask` span, milliseconds; faster ones (a table
 * search asks in microseconds) are only counted on the next `search.progress` span, which keeps
 * a table evaluation at two spans (`evaluate` and `worker.evaluate`).
 */
const SLOW_ASK_MS = 20;

/**
 * The tracing of one search in the coordinator: a `search` span from submission to the end, an
 * `evaluate` span per dispatched task (child of the search span) from dispatch until its result is
 * applied, `strategy.ask` spans for slow asks, progress events on the search span, and short
 * `search.progress` spans (each tenth of the budget, and every 2 s while results land) that export
 * as the search goes, so it can be watched live and its progress survives a coordinator crash.
 * A table evaluation costs two spans: `evaluate` here and `worker.evaluate` in the worker. Every
 * method swallows its own failures, so tracing can never break a search; without an
 * OpenTelemetry SDK all of it does nothing.
 *
 * Across coordinator restarts: the search span's context is kept in the journal
 * (`search_submitted.traceparent`). A restarted coordinator cannot end the original span object:
 * it emits a short `search.resumed` span under the logged context, parents new `evaluate` spans on
 * the logged context (so the search stays one trace), and emits a `search.finished` span under it
 * when the search ends. A graceful stop ends the open search span (attribute
 * `hwnas.search.suspended`) so that it is exported; after a crash it is lost, and its children
 * point to a parent that was never exported.
 *
 * Not thread-safe (the coordinator serializes calls per search).
 */
export class SearchTrace {
  private readonly evaluations = new Map<string, { readonly span: Span; readonly need: 'full' | 'costs' }>();
  private lastBest?: number;
  private lastPareto?: string;
  private progressStep = 0;
  private asking = false;
  private readonly progressSpans: SearchProgressSpans;
  /**
   * Whether this search has a valid trace context to hang spans on and propagate. False when no
   * OpenTelemetry SDK is registered: then nothing per evaluation is built at all (the hot path of
   * an embedded search runs tens of thousands of evaluations per second).
   */
  private enabled: boolean;

  private constructor(
    private readonly searchId: string,
    private readonly spec: SearchSpec,
    /** Parent of evaluation and step spans: the search span, or its logged context after a restart. */
    private parent: Context,
    /** The open search span (absent after a restart). */
    private span?: Span,
  )  {
    this.enabled = trace.isSpanContextValid(trace.getSpanContext(parent) ?? INVALID_SPAN_CONTEXT);
    this.progressSpans = new SearchProgressSpans(searchId, spec.budget);
  }

  /**
   * Starts the trace of a new search. `traceparent` (W3C) makes the search span a child of the
   * caller's span (e.g. the client of SubmitSearch); without it the search span is a root. The
   * span active right now (e.g. the SubmitSearch server span) is linked, not parented, so that
   * the search's trace outlives the request.
   */
  static begin(searchId: string, spec: SearchSpec, traceparent?: string): SearchTrace {
    try {
      const active = trace.getSpan(context.active())?.spanContext();
      const links: Link[] = active && trace.isSpanContextValid(active) ? [{ context: active, attributes: { 'hwnas.link': 'submit_request' } }] : [];
      const parent = contextFromTraceparent(traceparent) ?? ROOT_CONTEXT;
      const span = tracer.startSpan(SPAN_NAMES.search, { kind: SpanKind.INTERNAL, attributes: specAttributes(searchId, spec), links }, parent);
      return new SearchTrace(searchId, spec, trace.setSpan(ROOT_CONTEXT, span), span);
    } catch {
      return new SearchTrace(searchId, spec, ROOT_CONTEXT);
    }
  }

  /**
   * The trace of a search being rebuilt from its journal by a restarted coordinator, parented on
   * the logged `traceparent` of its search span. Emits nothing until {@link SearchTrace.resumed}.
   */
  static fromJournal(searchId: string, spec: SearchSpec, traceparent: string | undefined): SearchTrace {
    return new SearchTrace(searchId, spec, contextFromTraceparent(traceparent) ?? ROOT_CONTEXT);
  }

  /**
   * A rebuilt search goes on running here: emits a short `search.resumed` span under the logged
   * search span; when none was logged (tracing was off at submission), starts a new `search` span
   * (attribute `hwnas.search.resumed`) that the search's later spans hang under.
   */
  resumed(attributes: Attributes = {}): void {
    quietly(() => {
      if (this.span) return;
      if (trace.getSpanContext(this.parent) === undefined) {
        const span = tracer.startSpan(SPAN_NAMES.search, { attributes: { ...specAttributes(this.searchId, this.spec), ...attributes, 'hwnas.search.resumed': true } }, ROOT_CONTEXT);
        this.span = span;
        this.parent = trace.setSpan(ROOT_CONTEXT, span);
        this.enabled = trace.isSpanContextValid(span.spanContext());
        return;
      }
      tracer.startSpan(SPAN_NAMES.searchResumed, { attributes: { ...specAttributes(this.searchId, this.spec), ...attributes } }, this.parent).end();
    });
  }

  /** W3C traceparent of the search span (to log in `search_submitted`); undefined when not traced. */
  get traceparent(): string | undefined {
    try {
      return formatTraceparent(trace.getSpanContext(this.parent));
    } catch {
      return undefined;
    }
  }

  /**
   * Starts an `evaluate` span for each task that has none yet and returns the tasks with their
   * `traceparent` set (tasks already traced are returned as they are).
   */
  dispatching(tasks: readonly EvalTask[]): readonly EvalTask[] {
    if (tasks.length === 0 || !this.enabled) return tasks;
    try {
      return tasks.map((t) => {
        if (t.traceparent !== undefined) return t;
        let span = this.evaluations.get(t.taskId)?.span;
        if (!span) {
          span = tracer.startSpan(
            SPAN_NAMES.evaluate,
            {
              kind: SpanKind.PRODUCER,
              attributes: taskAttributes(this.spec.strategy, t),
            },
            this.parent,
          );
          this.evaluations.set(t.taskId, { span, need: t.need });
        }
        const traceparent = formatTraceparent(span.spanContext());
        return traceparent ? { ...t, traceparent } : t;
      });
    } catch {
      return tasks;
    }
  }

  /** Marks a task whose publish failed (it will be dispatched again). */
  dispatchFailed(taskId: string, err: unknown): void {
    quietly(() => this.evaluations.get(taskId)?.span.addEvent('dispatch_failed', { 'exception.message': err instanceof Error ? err.message : String(err) }));
  }

  /**
   * Counts an applied result (`need`: of its task); ends its `evaluate` span with what the worker
   * reported. `costPredicted` (screened searches): whether its device cost is the model's
   * prediction, recorded as `hwnas.cost.predicted`.
   */
  landed(result: TaskResult, need: 'full' | 'costs' | undefined, costPredicted?: boolean): void {
    try {
      evaluations().add(1, LANDED_ATTRIBUTES[result.status][need ?? 'unknown']);
    } catch {
      // Telemetry never breaks search logic (not through quietly(): this runs per evaluation).
    }
    if (!this.enabled) return;
    quietly(() => {
      const e = this.evaluations.get(result.taskId);
      if (!e) return;
      this.evaluations.delete(result.taskId);
      const span = e.span;
      // Without an SDK (the embedded default) the span records nothing: skip building attributes.
      if (span.isRecording()) span.setAttributes(resultAttributes(result));
      if (span.isRecording() && costPredicted !== undefined) span.setAttribute('hwnas.cost.predicted', costPredicted);
      if (span.isRecording() && result.status === 'failed') {
        span.setAttribute('error.type', result.error?.code ?? 'internal');
        span.setStatus({ code: SpanStatusCode.ERROR, message: result.error?.message ?? 'evaluation failed' });
      }
      span.end();
    });
  }

  /**
   * Adds progress events to the search span after results were applied: `best.changed` (new best
   * feasible architecture), `pareto.changed` (the Pareto set changed) and `progress` (each tenth
   * of the budget done). Cheap when the span is not recording.
   */
  progress(counts: RunCounts, best: EvaluatedArch | undefined, pareto: () => readonly EvaluatedArch[] | undefined): void {
    if (this.enabled) this.progressSpans.emit(this.parent, counts, best);
    quietly(() => {
      const span = this.span;
      if (!span || !span.isRecording()) return;
      if (best && best.trialId !== this.lastBest) {
        this.lastBest = best.trialId;
        span.addEvent('best.changed', { 'hwnas.trial.id': best.trialId, 'hwnas.arch': best.key, ...metricAttributes(best.metrics) });
      }
      const front = pareto();
      if (front) {
        const key = front.map((e) => e.trialId).sort((a, b) => a - b).join(',');
        if (key !== this.lastPareto) {
          this.lastPareto = key;
          span.addEvent('pareto.changed', { 'hwnas.pareto.size': front.length, 'hwnas.pareto.trial_ids': front.map((e) => e.trialId) });
        }
      }
      const step = Math.floor(counts.evaluationsDone / Math.max(1, Math.ceil(this.spec.budget * PROGRESS_STEP)));
      if (step > this.progressStep) {
        this.progressStep = step;
        span.addEvent('progress', { 'hwnas.evaluations.done': counts.evaluationsDone, 'hwnas.evaluations.failed': counts.evaluationsFailed, 'hwnas.search.budget': this.spec.budget, 'hwnas.in_flight': counts.inFlight });
      }
    });
  }

  /** Ends the search span (or emits `search.finished` after a restart) with the outcome. */
  finished(status: 'succeeded' | 'failed' | 'cancelled', reason: string, counts: RunCounts | undefined): void {
    quietly(() => {
      const attributes: Attributes = {
        'hwnas.search.status': status,
        'hwnas.search.finish_reason': reason,
        ...(counts
          ? { 'hwnas.evaluations.done': counts.evaluationsDone, 'hwnas.evaluations.failed': counts.evaluationsFailed, 'hwnas.cost_queries': counts.costQueries }
          : {}),
      };
      const span = this.span ?? tracer.startSpan(SPAN_NAMES.searchFinished, { attributes: specAttributes(this.searchId, this.spec) }, this.parent);
      span.setAttributes(attributes);
      if (status === 'failed') span.setStatus({ code: SpanStatusCode.ERROR, message: reason });
      span.end();
      this.span = undefined;
      // Results that never land (cancelled search drained, failed setup) end their spans here.
      for (const { span: s } of this.evaluations.values()) {
        s.addEvent('search_finished');
        s.end();
      }
      this.evaluations.clear();
    });
  }

  /** Graceful coordinator stop: ends the open spans so they are exported, marked suspended. */
  suspend(): void {
    quietly(() => {
      for (const { span: s } of this.evaluations.values()) {
        s.setAttribute('hwnas.suspended', true);
        s.end();
      }
      this.evaluations.clear();
      if (!this.span) return;
      this.span.setAttribute('hwnas.search.suspended', true);
      this.span.addEvent('coordinator_stopped');
      this.span.end();
      this.span = undefined;
    });
  }

  /**
   * The setup with its strategy wrapped so that each `ask` that returned candidates and took at
   * least {@link SLOW_ASK_MS} (or threw) becomes a `strategy.ask` span under the search span
   * (attributes: strategy, n asked, returned); every ask is counted on the next
   * `search.progress` span. Calls made while `replaying()` is true (a restart's replay) are not
   * traced.
   */
  traced(setup: SearchSetup, replaying: () => boolean = () => false): SearchSetup {
    const strategy = setup.strategy;
    const ask = (n: number) => {
      if (this.asking || !this.enabled || replaying()) return strategy.ask(n);
      const startTime = Date.now();
      const t0 = performance.now();
      this.asking = true;
      let out: ReturnType<SearchStrategy['ask']> | undefined;
      try {
        // Strategy-internal spans (libs/search, if it adds them) nest under the search span.
        out = context.with(this.parent, () => strategy.ask(n));
        return out;
      } finally {
        this.asking = false;
        const returned = out?.length ?? 0;
        const tookMs = performance.now() - t0;
        this.progressSpans.countAsk(tookMs);
        if ((returned > 0 && tookMs >= SLOW_ASK_MS) || out === undefined) {
          quietly(() => {
            const span = tracer.startSpan(
              SPAN_NAMES.strategyAsk,
              { startTime, attributes: { 'hwnas.search.id': this.searchId, 'hwnas.search.strategy': this.spec.strategy, 'hwnas.ask.n': n, 'hwnas.ask.returned': returned } },
              this.parent,
            );
            if (out === undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: 'strategy.ask threw' });
            span.end(startTime + tookMs);
          });
        }
      }
    };
    // A plain delegate rather than a Proxy: tell() runs once per evaluation, and a Proxy would bind
    // a fresh function on every call.
    const wrapped: SearchStrategy = {
      ask,
      tell: (result) => strategy.tell(result),
      snapshot: () => strategy.snapshot(),
      ...(strategy.recommend ? { recommend: () => strategy.recommend!() } : {}),
      ...(strategy.explain ? { explain: () => strategy.explain!() } : {}),
    };
    return { ...setup, strategy: wrapped };
  }
}
