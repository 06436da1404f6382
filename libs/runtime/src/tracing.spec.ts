import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Benchmark, costMetricInfo, nb201Space } from '@hwnas/bench-core';
import { describeWithData } from '@hwnas/bench-core/testing';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { startEmbedded } from './embedded';
import { FileTrialJournal } from './file/trial-journal';
import { SPAN_NAMES } from './search-trace';
import { createTableSearchFactory, TableTrialEvaluator } from './tabular';
import { ratioCostModels } from './testing/ratio-cost-models';
import { stallingAfter } from './testing/stalling-evaluator';
import { contextFromTraceparent, formatTraceparent } from './trace-context';
import { WORKER_SPAN_NAME } from './worker-loop';

const SPEC = {
  space: 'nb201',
  dataset: 'cifar10',
  strategy: 'rea',
  objectives: ['accuracy'],
  constraints: ['raspi4_latency<=15.7228'],
  budget: 12,
  seed: 7,
  maxInFlight: 4,
};

const CALLER = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' };

const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

describe('runtime: trace context strings', () => {
  it('formatTraceparent and contextFromTraceparent round-trip; malformed strings give undefined', () => {
    const tp = `00-${CALLER.traceId}-${CALLER.spanId}-01`;
    const ctx = contextFromTraceparent(tp)!;
    expect(trace.getSpanContext(ctx)).toEqual({ ...CALLER, traceFlags: 1, isRemote: true });
    expect(formatTraceparent(trace.getSpanContext(ctx))).toBe(tp);
    for (const bad of [undefined, '', 'x', `ff-${CALLER.traceId}-${CALLER.spanId}-01`, `00-${'0'.repeat(32)}-${CALLER.spanId}-01`, `00-${CALLER.traceId}-${CALLER.spanId}-01-extra`]) {
      expect(contextFromTraceparent(bad)).toBeUndefined();
    }
    expect(formatTraceparent(undefined)).toBeUndefined();
  });
});

describeWithData('runtime: tracing of a search (in-memory exporter)', (dataDir) => {
  const bench = Benchmark.open({ dataDir });
  const exporter = new InMemorySpanExporter();
  const sdk = new NodeSDK({ spanProcessors: [new SimpleSpanProcessor(exporter)], metricReaders: [], logRecordProcessors: [], autoDetectResources: false });
  beforeAll(() => sdk.start());
  afterAll(async () => {
    await sdk.shutdown().catch(() => undefined);
    trace.disable();
    metrics.disable();
    propagation.disable();
    context.disable();
  });
  beforeEach(() => exporter.reset());

  it('strategy steps (a FOX-NAS fit) are spans inside the search trace', async () => {
    const embedded = await startEmbedded({ factory: createTableSearchFactory(bench), evaluator: new TableTrialEvaluator(bench) });
    try {
      const id = await embedded.coordinator.submit({ ...SPEC, strategy: 'fox-nas', budget: 40, maxInFlight: 1 });
      await embedded.coordinator.waitFor(id);
    } finally {
      await embedded.stop();
    }
    const spans = exporter.getFinishedSpans();
    const search = spans.find((s) => s.name === SPAN_NAMES.search);
    const fits = spans.filter((s) => s.name === 'fox-nas.fit-anneal');
    expect(search).toBeDefined();
    expect(fits.length).toBeGreaterThan(0);
    for (const f of fits) {
      expect(f.spanContext().traceId).toBe(search!.spanContext().traceId);
      expect(f.attributes['hwnas.samples']).toBeGreaterThan(0);
    }
  });

  it('one trace: the search span (child of the caller) has one evaluate span per evaluation, each with a worker span', async () => {
    const embedded = await startEmbedded({ factory: createTableSearchFactory(bench), evaluator: new TableTrialEvaluator(bench), workers: 2 });
    try {
      const id = await embedded.coordinator.submit(SPEC, { traceparent: `00-${CALLER.traceId}-${CALLER.spanId}-01` });
      const view = await embedded.coordinator.waitFor(id);
      expect(view.counts.evaluationsDone).toBe(12);
    } finally {
      await embedded.stop();
    }
    const spans = exporter.getFinishedSpans();
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([CALLER.traceId]));
    const search = spans.filter((s) => s.name === SPAN_NAMES.search);
    expect(search).toHaveLength(1);
    expect(parentOf(search[0])).toBe(CALLER.spanId);
    expect(search[0].attributes).toMatchObject({ 'hwnas.search.strategy': 'rea', 'hwnas.search.budget': 12, 'hwnas.search.status': 'succeeded', 'hwnas.evaluations.done': 12 });
    expect(search[0].events.map((e) => e.name)).toEqual(expect.arrayContaining(['best.changed', 'progress']));
    const searchSpanId = search[0].spanContext().spanId;
    const evals = spans.filter((s) => s.name === SPAN_NAMES.evaluate);
    expect(evals).toHaveLength(12);
    expect(new Set(evals.map((e) => e.attributes['hwnas.arch'])).size).toBe(12);
    for (const e of evals) {
      expect(parentOf(e)).toBe(searchSpanId);
      expect(e.attributes).toMatchObject({ 'hwnas.need': 'full', 'hwnas.result.status': 'ok', 'hwnas.retry_count': 0 });
      expect(e.attributes['hwnas.metric.accuracy']).toEqual(expect.any(Number));
      const workers = spans.filter((s) => s.name === WORKER_SPAN_NAME && parentOf(s) === e.spanContext().spanId);
      expect(workers.length).toBeGreaterThanOrEqual(1);
      expect(e.attributes['hwnas.worker.traceparent']).toBe(formatTraceparent(workers[0].spanContext()));
    }
    // Table asks take microseconds: no span of their own, counted on the progress spans.
    expect(spans.filter((s) => s.name === SPAN_NAMES.strategyAsk)).toEqual([]);
    const progress = spans.filter((s) => s.name === SPAN_NAMES.searchProgress);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    for (const p of progress) expect(parentOf(p)).toBe(searchSpanId);
    const done = progress.map((p) => p.attributes['hwnas.evaluations.done'] as number);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(done.at(-1)).toBe(12);
    expect(progress.reduce((n, p) => n + (p.attributes['hwnas.ask.count'] as number), 0)).toBeGreaterThan(0);
    expect(progress.at(-1)!.attributes).toMatchObject({ 'hwnas.search.budget': 12, 'hwnas.best.trial_id': expect.any(Number), 'hwnas.metric.accuracy': expect.any(Number) });
    // At most two spans per table evaluation; the rest is per search (search, progress).
    const perEvaluation = spans.filter((s) => s.name !== SPAN_NAMES.search && s.name !== SPAN_NAMES.searchProgress);
    expect(perEvaluation.length).toBeLessThanOrEqual(2 * 12);
  });

  it('a screened search marks each evaluate span with hwnas.cost.predicted: whether its device cost is the model\'s prediction', async () => {
    const raspi4 = bench.nb201.column('cifar10', 'raspi4_latency');
    const devices = { measure: async (_d: string, req: { arch: string }) => ({ raspi4_latency: raspi4[bench.nb201.indexOf(nb201Space.parse(req.arch))] }), metrics: () => [costMetricInfo('raspi4_latency')] };
    const costModels = ratioCostModels(bench, { device: 'raspi4', metric: 'raspi4_latency', reference: 'pixel3_latency', ratio: 2.4 });
    const embedded = await startEmbedded({ factory: createTableSearchFactory(bench, devices), evaluator: new TableTrialEvaluator(bench, devices), costModels });
    try {
      await embedded.coordinator.waitFor(await embedded.coordinator.submit({ ...SPEC, strategy: 'random', mode: 'cost-first', devices: ['raspi4'], costModel: { device: 'raspi4', z: 2 }, budget: 10 }));
    } finally {
      await embedded.stop();
    }
    const evals = exporter.getFinishedSpans().filter((s) => s.name === SPAN_NAMES.evaluate);
    const marks = evals.map((s) => s.attributes['hwnas.cost.predicted']);
    expect(marks).toContain(true);
    expect(marks).toContain(false);
    expect(marks.every((m) => m === true || m === false)).toBe(true);
  });

  it('without a caller context the search span is the root of its own trace', async () => {
    const embedded = await startEmbedded({ factory: createTableSearchFactory(bench), evaluator: new TableTrialEvaluator(bench) });
    try {
      await embedded.coordinator.waitFor(await embedded.coordinator.submit({ ...SPEC, budget: 3 }));
    } finally {
      await embedded.stop();
    }
    const spans = exporter.getFinishedSpans();
    const search = spans.find((s) => s.name === SPAN_NAMES.search)!;
    expect(search.parentSpanContext).toBeUndefined();
    expect(spans.every((s) => s.spanContext().traceId === search.spanContext().traceId)).toBe(true);
  });

  it('a restarted coordinator keeps the search in one trace: search.resumed and later evaluations hang under the logged search span', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hwnas-trace-'));
    try {
      const file = path.join(dir, 'journal.jsonl');
      const factory = createTableSearchFactory(bench);
      const table = new TableTrialEvaluator(bench);
      const stalling = stallingAfter(5, table);
      const first = await startEmbedded({ factory, evaluator: stalling, journal: new FileTrialJournal(file) });
      const id = await first.coordinator.submit(SPEC);
      while (first.coordinator.get(id).counts.evaluationsDone < 5) await new Promise((r) => setTimeout(r, 5));
      // A graceful stop ends the open search span (suspended) so that it is exported.
      await first.coordinator.stop();
      const second = await startEmbedded({ factory, evaluator: table, journal: new FileTrialJournal(file) });
      expect((await second.coordinator.waitFor(id)).counts.evaluationsDone).toBe(12);
      await second.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const spans = exporter.getFinishedSpans();
    const search = spans.filter((s) => s.name === SPAN_NAMES.search);
    expect(search).toHaveLength(1);
    expect(search[0].attributes['hwnas.search.suspended']).toBe(true);
    const searchSpanId = search[0].spanContext().spanId;
    const traceId = search[0].spanContext().traceId;
    for (const name of [SPAN_NAMES.searchResumed, SPAN_NAMES.searchFinished]) {
      const s = spans.filter((x) => x.name === name);
      expect(s).toHaveLength(1);
      expect(parentOf(s[0])).toBe(searchSpanId);
    }
    expect(spans.find((s) => s.name === SPAN_NAMES.searchFinished)!.attributes).toMatchObject({ 'hwnas.search.status': 'succeeded', 'hwnas.evaluations.done': 12 });
    const evals = spans.filter((s) => s.name === SPAN_NAMES.evaluate);
    expect(evals.every((e) => e.spanContext().traceId === traceId && parentOf(e) === searchSpanId)).toBe(true);
    // 12 landed, plus the ones in flight at the stop (ended as suspended, re-dispatched later).
    expect(evals.filter((e) => e.attributes['hwnas.result.status'] === 'ok')).toHaveLength(12);
    expect(evals.filter((e) => e.attributes['hwnas.suspended'] === true).length).toBeGreaterThan(0);
  });
});
