import { isNasError } from '@hwnas/bench-core';
import type { Metrics } from '@hwnas/bench-core';
import { context, metrics, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import type { TaskResult } from './events';
import type { ResultChannel } from './ports/result-channel';
import type { EvalTask, TaskControl, TaskQueue, TaskSubscription } from './ports/task-queue';
import type { TrialEvaluator } from './ports/trial-evaluator';
import { metricAttributes } from './search-trace';
import { contextFromTraceparent, formatTraceparent, quietly, RUNTIME_SCOPE, tracingRegistered } from './trace-context';

/** Name of the span a worker makes per delivery of a task (child of the task's `evaluate` span). */
export const WORKER_SPAN_NAME = 'worker.evaluate';

/** One tracer for every task (it follows whichever SDK is registered, or none). */
const tracer = trace.getTracer(RUNTIME_SCOPE);

/**
 * Starts the `worker.evaluate` span of one delivery, under the task's `traceparent` (or, without
 * one, under the active context, e.g. the one a transport extracted from message headers).
 */
function startTaskSpan(task: EvalTask, workerId: string, attempt: number): Span {
  const parent = contextFromTraceparent(task.traceparent, context.active()) ?? context.active();
  const span = tracer.startSpan(WORKER_SPAN_NAME, { kind: SpanKind.CONSUMER }, parent);
  // Attributes only for a span that records: without an SDK this runs per task for nothing.
  if (span.isRecording()) {
    span.setAttributes({
      'hwnas.search.id': task.searchId,
      'hwnas.task.id': task.taskId,
      'hwnas.trial.id': task.trialId,
      'hwnas.arch': task.arch,
      'hwnas.need': task.need,
      'hwnas.space': task.space,
      'hwnas.dataset': task.dataset,
      'hwnas.devices': [...task.devices],
      'hwnas.worker.id': workerId,
      'hwnas.attempt': attempt,
      'hwnas.retry_count': attempt - 1,
    });
  }
  return span;
}

/** Metric attributes per outcome, built once (recorded per task). */
const OUTCOME_ATTRIBUTES = {
  ok: Object.freeze({ 'hwnas.outcome': 'ok' }),
  failed: Object.freeze({ 'hwnas.outcome': 'failed' }),
  retry: Object.freeze({ 'hwnas.outcome': 'retry' }),
  handed_back: Object.freeze({ 'hwnas.outcome': 'handed_back' }),
} as const;

/** Options of {@link startWorker}. */
export interface WorkerOptions {
  readonly queue: TaskQueue;
  readonly results: ResultChannel;
  readonly evaluator: TrialEvaluator;
  readonly workerId: string;
  /** Tasks evaluated at once (default 1). */
  readonly concurrency?: number;
  /** Deliveries of a task before it is reported failed (default 5). */
  readonly maxDeliveries?: number;
  /** Backoff before a retry: `baseMs * 2^(attempt-1)`, capped at `maxMs` (defaults 100, 5000). */
  readonly backoff?: { readonly baseMs?: number; readonly maxMs?: number };
  /** Clock for durations (default performance.now). */
  readonly now?: () => number;
  /**
   * While an evaluation runs, `ctl.working()` is called this often, milliseconds (default 500),
   * so that the queue keeps the task leased to this worker for as long as it lives (hours of
   * training included) while its lease can stay short (NATS: 2 s ack wait). Must be well under
   * the queue's lease. Answers at hand (table lookups) start no timer.
   */
  readonly heartbeatMs?: number;
  /**
   * When given, the ids of the tasks being evaluated now are kept in this set (added when a
   * delivery starts, removed when it is settled), e.g. for the worker's heartbeat to the coordinator.
   */
  readonly running?: Set<string>;
}

/** Default of {@link WorkerOptions.heartbeatMs}. */
export const DEFAULT_HEARTBEAT_MS = 500;

/** Keeps `ctl`'s lease alive until `pending` settles. */
async function withHeartbeat<T>(pending: Promise<T>, ctl: TaskControl, everyMs: number): Promise<T> {
  const timer = setInterval(() => ctl.working(), everyMs);
  // The evaluation keeps the process busy, not its heartbeat.
  timer.unref?.();
  try {
    return await pending;
  } finally {
    clearInterval(timer);
  }
}

/**
 * A stateless worker: takes evaluation tasks off the queue, evaluates them, publishes the result
 * and only then acknowledges the task, so a worker killed mid-task loses nothing (the task is
 * delivered again). Transient failures (`retryable` NasErrors) are retried with exponential
 * backoff; a permanent failure, or the last allowed delivery, is published as a failed result so
 * the strategy is told. Long evaluations keep their task leased with a heartbeat (`heartbeatMs`).
 *
 * The returned subscription's `stop()` finishes the tasks in progress; `handBack()` (SIGTERM)
 * gives them back to the queue at once, aborts their evaluations (the evaluator's `signal`) and
 * publishes nothing for them.
 */
export async function startWorker(opts: WorkerOptions): Promise<TaskSubscription> {
  const maxDeliveries = opts.maxDeliveries ?? 5;
  const base = opts.backoff?.baseMs ?? 100;
  const cap = opts.backoff?.maxMs ?? 5000;
  const now = opts.now ?? (() => performance.now());
  const heartbeatMs = opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const meter = metrics.getMeter(RUNTIME_SCOPE);
  const durations = meter.createHistogram('hwnas.worker.evaluation.duration', { description: 'Time a worker spent evaluating one task delivery', unit: 'ms' });
  const settled = meter.createCounter('hwnas.worker.tasks', { description: 'Task deliveries a worker settled, by outcome (ok, failed, retry, handed_back)', unit: '{task}' });
  /** Records a settled delivery in the metrics and, when tracing, on its span (then ends it). */
  const done = (started: number, span: Span | undefined, outcome: keyof typeof OUTCOME_ATTRIBUTES, err?: unknown) => {
    // Not through quietly(): this runs per task, and a closure per call shows in the GC.
    try {
      durations.record(now() - started, OUTCOME_ATTRIBUTES[outcome]);
      settled.add(1, OUTCOME_ATTRIBUTES[outcome]);
      if (!span) return;
      span.setAttribute('hwnas.outcome', outcome);
      if (err !== undefined) {
        span.recordException(err instanceof Error ? err : String(err));
        if (isNasError(err)) span.setAttribute('error.type', err.code);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message ?? String(err) });
      }
      span.end();
    } catch {
      // Telemetry never fails a task.
    }
  };
  /** The task went back to the queue while being evaluated (the worker is stopping). */
  const handedBack = (started: number, span: Span | undefined) => {
    quietly(() => span?.addEvent('handed_back'));
    done(started, span, 'handed_back');
  };
  const backoffMs = (attempt: number) => Math.min(cap, base * 2 ** (attempt - 1));
  const handle = async (task: EvalTask, ctl: TaskControl): Promise<void> => {
    const started = now();
    let span: Span | undefined;
    let traceparent: string | undefined;
    try {
      // No SDK and no trace context from the coordinator: a span would be a no-op.
      if (task.traceparent !== undefined || tracingRegistered()) {
        span = startTaskSpan(task, opts.workerId, ctl.attempt);
        traceparent = formatTraceparent(span.spanContext());
      }
    } catch {
      // Telemetry never fails a task.
    }
    // Without a valid span context (no SDK) there is nothing to make active or propagate.
    if (traceparent === undefined) span = undefined;
    let result: TaskResult;
    try {
      // The evaluator (and the device clients it calls) see the worker span as the active one.
      const pending = span ? context.with(trace.setSpan(context.active(), span), () => opts.evaluator.evaluate(task, ctl.signal)) : opts.evaluator.evaluate(task, ctl.signal);
      // An answer at hand is not awaited: that would cost a promise and a microtask per task.
      let out: Metrics;
      if (pending instanceof Promise) {
        out = await withHeartbeat(pending, ctl, heartbeatMs);
        if (ctl.signal.aborted) {
          handedBack(started, span);
          return;
        }
      } else out = pending;
      result = { taskId: task.taskId, searchId: task.searchId, trialId: task.trialId, workerId: opts.workerId, attempts: ctl.attempt, traceparent, status: 'ok', metrics: out, durationMs: now() - started };
      if (span?.isRecording()) quietly(() => span!.setAttributes(metricAttributes(out)));
    } catch (e) {
      if (ctl.signal.aborted) {
        handedBack(started, span);
        return;
      }
      const retryable = isNasError(e) ? e.retryable : false;
      if (retryable && ctl.attempt < maxDeliveries) {
        const delayMs = backoffMs(ctl.attempt);
        quietly(() => span?.addEvent('retry', { 'hwnas.retry.delay_ms': delayMs }));
        done(started, span, 'retry', e);
        ctl.retry(delayMs);
        return;
      }
      const code = isNasError(e) ? e.code : 'internal';
      const message = (e as Error)?.message ?? String(e);
      const why = retryable ? `gave up after ${ctl.attempt} attempts: ${message}` : message;
      result = { taskId: task.taskId, searchId: task.searchId, trialId: task.trialId, workerId: opts.workerId, attempts: ctl.attempt, traceparent, status: 'failed', error: { code, message: why }, durationMs: now() - started };
      quietly(() => {
        span?.recordException(e instanceof Error ? e : String(e));
        span?.setAttribute('error.type', code);
      });
    }
    // Publish before acknowledging: if publishing fails, the task is delivered again.
    try {
      await opts.results.publish(result);
    } catch (e) {
      quietly(() => span?.addEvent('result_publish_failed'));
      done(started, span, 'retry', e);
      ctl.retry(backoffMs(ctl.attempt));
      return;
    }
    if (result.status === 'ok') {
      done(started, span, 'ok');
      ctl.ack();
    } else {
      quietly(() => span?.setStatus({ code: SpanStatusCode.ERROR, message: result.error!.message }));
      done(started, span, 'failed');
      ctl.reject(result.error!.message);
    }
  };
  const running = opts.running;
  // Tracked only when asked for (a heartbeat reads it): nothing extra per task otherwise.
  const tracked = running
    ? async (task: EvalTask, ctl: TaskControl) => {
        running.add(task.taskId);
        try {
          await handle(task, ctl);
        } finally {
          running.delete(task.taskId);
        }
      }
    : handle;
  return opts.queue.consume(tracked, { concurrency: opts.concurrency ?? 1, maxDeliveries });
}
