import { metrics } from '@opentelemetry/api';
import type { Attributes, Counter } from '@opentelemetry/api';
import type { Metrics } from '@hwnas/bench-core';
import type { TaskResult } from './events';
import type { EvalTask } from './ports/task-queue';
import type { SearchSpec } from './search-spec';
import { RUNTIME_SCOPE } from './trace-context';

/** Span names of a search's trace (see `SearchTrace`). */
export const SPAN_NAMES = {
  search: 'search',
  searchResumed: 'search.resumed',
  searchFinished: 'search.finished',
  searchProgress: 'search.progress',
  evaluate: 'evaluate',
  strategyAsk: 'strategy.ask',
} as const;

/** Progress events on the search span: one each time this fraction of the budget is done. */
export const PROGRESS_STEP = 0.1;



/** Attributes of the `hwnas.evaluations` counter by status and need, built once (one add per result). */
function landedAttributes(status: 'ok' | 'failed'): Record<'full' | 'costs' | 'unknown', Attributes> {
  const of = (need: string): Attributes => Object.freeze({ 'hwnas.result.status': status, 'hwnas.need': need });
  return { full: of('full'), costs: of('costs'), unknown: of('unknown') };
}
export const LANDED_ATTRIBUTES = { ok: landedAttributes('ok'), failed: landedAttributes('failed') };

let evaluationsCounter: Counter | undefined;
/** Counter of evaluations applied by the coordinator, created on first use (after the SDK started). */
export function evaluations(): Counter {
  evaluationsCounter ??= metrics.getMeter(RUNTIME_SCOPE).createCounter('hwnas.evaluations', {
    description: 'Evaluation results applied by the coordinator (full evaluations and cost queries)',
    unit: '{evaluation}',
  });
  return evaluationsCounter;
}

/** Span attributes of a search's spec. */
export function specAttributes(searchId: string, spec: SearchSpec): Attributes {
  return {
    'hwnas.search.id': searchId,
    'hwnas.search.strategy': spec.strategy,
    'hwnas.search.space': spec.space,
    'hwnas.search.dataset': spec.dataset,
    'hwnas.search.budget': spec.budget,
    'hwnas.search.max_in_flight': spec.maxInFlight,
    'hwnas.search.seed': spec.seed,
    'hwnas.search.mode': spec.mode,
    'hwnas.search.ordering': spec.ordering,
    'hwnas.search.objectives': [...spec.objectives],
    'hwnas.search.constraints': [...spec.constraints],
    'hwnas.search.devices': [...spec.devices],
  };
}

/** Metrics as span attributes `hwnas.metric.<name>` (finite numbers only). */
export function metricAttributes(m: Metrics | undefined): Attributes {
  const out: Attributes = {};
  if (!m) return out;
  for (const [k, v] of Object.entries(m)) if (typeof v === 'number' && Number.isFinite(v)) out[`hwnas.metric.${k}`] = v;
  return out;
}

/** Attributes of a task's `evaluate` span. */
export function taskAttributes(strategy: string, t: EvalTask): Attributes {
  return {
    'hwnas.search.id': t.searchId,
    'hwnas.search.strategy': strategy,
    'hwnas.task.id': t.taskId,
    'hwnas.trial.id': t.trialId,
    'hwnas.arch': t.arch,
    'hwnas.need': t.need,
    'hwnas.space': t.space,
    'hwnas.dataset': t.dataset,
    'hwnas.devices': [...t.devices],
  };
}

/** What the worker reported, as attributes of the task's `evaluate` span. */
export function resultAttributes(result: TaskResult): Attributes {
  return {
    'hwnas.result.status': result.status,
    ...(result.workerId !== undefined ? { 'hwnas.worker.id': result.workerId } : {}),
    ...(result.attempts !== undefined ? { 'hwnas.attempts': result.attempts, 'hwnas.retry_count': Math.max(0, result.attempts - 1) } : {}),
    ...(result.durationMs !== undefined ? { 'hwnas.worker.duration_ms': result.durationMs } : {}),
    ...(result.traceparent !== undefined ? { 'hwnas.worker.traceparent': result.traceparent } : {}),
    ...metricAttributes(result.metrics),
  };
}
