import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { DeviceInfo, ListDevicesResponse, SubmitSearchResponse } from '@hwnas/proto';
import { startNatsServer } from '@hwnas/testing-nats';
import { startOtlpReceiver } from './otlp-receiver';
import type { ReceivedSpan } from './otlp-receiver';
import { auth, rpc, runCliProcess, searchRequest, spawnApp, startCoordinator, uniquePrefix, waitFor, waitForSearch } from './support';
import type { AppProcess, CoordinatorHandle } from './support';

const BUDGET = 8;

describe('tracing across processes (coordinator, worker, device agent, real nats-server, OTLP/HTTP receiver)', () => {
  it('tracing - one search is one trace: the search span under the caller, one evaluate span per evaluation, worker and agent spans below each', async () => {
    await using nats = await startNatsServer({ jetstream: true });
    const otlp = await startOtlpReceiver();
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint,
      // JSON, so that the test can read the spans without a protobuf decoder.
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_METRIC_EXPORT_INTERVAL: '1000',
    };
    const prefix = uniquePrefix();
    const procs: AppProcess[] = [];
    let coord: CoordinatorHandle | undefined;
    // The client's own span: the test plays a traced gRPC caller.
    const caller = { traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex') };
    let searchId = '';
    try {
      procs.push(spawnApp('device-agent', ['--device', 'asic-eyeriss', '--nats', nats.url, '--prefix', prefix, '--heartbeat-ms', '300'], env));
      coord = await startCoordinator(nats.url, prefix, [], env);
      procs.push(spawnApp('worker', ['--nats', nats.url, '--prefix', prefix], env));
      const c = coord;
      await waitFor(async () => (await rpc<object, ListDevicesResponse>(c.bench, 'listDevices', {})).devices.some((d: DeviceInfo) => d.deviceId === 'asic-eyeriss'), 'the device agent to be live');

      const md = auth();
      md.set('traceparent', `00-${caller.traceId}-${caller.spanId}-01`);
      const req = searchRequest({ budget: BUDGET, maxInFlight: 4, seed: 3, deviceIds: ['asic-eyeriss'] });
      searchId = (await rpc<typeof req, SubmitSearchResponse>(c.search, 'submitSearch', req, md)).searchId;
      const done = await waitForSearch(() => c.search, searchId);
      expect(done.counts?.evaluationsDone).toBe(BUDGET);
    } finally {
      // SIGTERM: each process flushes its spans before exiting.
      await coord?.close();
      await Promise.all(procs.map((p) => p.kill('SIGTERM')));
      await otlp.close();
    }
    for (const p of [coord!.proc, ...procs]) expect(await p.exited).toBe(0);

    const spans = otlp.spans;
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const ancestors = (s: ReceivedSpan): string[] => {
      const out: string[] = [];
      for (let p = s.parentSpanId; p !== undefined; p = byId.get(p)?.parentSpanId) out.push(p);
      return out;
    };

    // The search span: a child of the caller's span (not exported: it lives in the "client").
    const search = spans.filter((s) => s.name === 'search' && s.attributes['hwnas.search.id'] === searchId);
    expect(search).toHaveLength(1);
    expect(search[0]).toMatchObject({ service: 'hwnas-coordinator', traceId: caller.traceId, parentSpanId: caller.spanId });
    expect(search[0].attributes).toMatchObject({ 'hwnas.search.strategy': 'rea', 'hwnas.search.dataset': 'cifar10', 'hwnas.search.budget': BUDGET, 'hwnas.search.devices': ['asic-eyeriss'], 'hwnas.search.status': 'succeeded' });
    expect(search[0].events.map((e) => e.name)).toEqual(expect.arrayContaining(['progress']));
    const searchSpanId = search[0].spanId;

    // The SubmitSearch server span: also under the caller; the search span links to it.
    const rpcSpan = spans.find((s) => s.name === 'hwnas.v1.SearchService/SubmitSearch');
    expect(rpcSpan).toMatchObject({ traceId: caller.traceId, parentSpanId: caller.spanId, attributes: expect.objectContaining({ 'hwnas.search.id': searchId, 'rpc.grpc.status_code': 0 }) });
    expect(search[0].links).toContainEqual({ traceId: caller.traceId, spanId: rpcSpan!.spanId });

    // One trace: every span about this search, in every process, has the caller's trace id, and
    // the root of the exported tree is the search span (whose parent is the caller's span).
    const ours = spans.filter((s) => s.traceId === caller.traceId);
    expect(spans.filter((s) => s.attributes['hwnas.search.id'] === searchId).every((s) => s.traceId === caller.traceId)).toBe(true);
    expect(spans.filter((s) => ['worker.evaluate', 'device.request', 'device.measure'].includes(s.name)).every((s) => s.traceId === caller.traceId)).toBe(true);
    for (const s of ours) if (s !== rpcSpan && s.spanId !== searchSpanId) expect(ancestors(s)).toContain(searchSpanId);
    expect(new Set(ours.map((s) => s.service))).toEqual(new Set(['hwnas-coordinator', 'hwnas-worker', 'hwnas-device-agent']));

    // Exactly one evaluate span per evaluation, each a child of the search span, each with a
    // worker span and (for the device) an agent span below it.
    const evals = ours.filter((s) => s.name === 'evaluate');
    expect(evals).toHaveLength(BUDGET);
    expect(new Set(evals.map((e) => e.attributes['hwnas.arch'])).size).toBe(BUDGET);
    for (const e of evals) {
      expect(e.parentSpanId).toBe(searchSpanId);
      expect(e.attributes).toMatchObject({ 'hwnas.need': 'full', 'hwnas.result.status': 'ok', 'hwnas.search.id': searchId });
      expect(e.attributes['hwnas.metric.eyeriss_latency']).toEqual(expect.any(Number));
      const below = ours.filter((s) => ancestors(s).includes(e.spanId));
      const workers = below.filter((s) => s.name === 'worker.evaluate');
      expect(workers.length).toBeGreaterThanOrEqual(1);
      expect(workers.every((w) => w.service === 'hwnas-worker' && w.parentSpanId === e.spanId && w.attributes['hwnas.task.id'] === e.attributes['hwnas.task.id'])).toBe(true);
      const agents = below.filter((s) => s.name === 'device.measure');
      expect(agents.length).toBeGreaterThanOrEqual(1);
      expect(agents[0]).toMatchObject({ service: 'hwnas-device-agent', attributes: expect.objectContaining({ 'hwnas.device': 'asic-eyeriss', 'hwnas.cache_hit': expect.any(Boolean), 'hwnas.arch': e.attributes['hwnas.arch'] }) });
      // The measured values, each with its unit (the eyeriss model reports ms and mJ).
      expect(agents[0].attributes).toMatchObject({ 'hwnas.measurement.eyeriss_latency': e.attributes['hwnas.metric.eyeriss_latency'], 'hwnas.measurement.eyeriss_latency.unit': 'ms', 'hwnas.measurement.eyeriss_energy.unit': 'mJ' });
      // The agent span hangs under the worker's device.request client span.
      expect(byId.get(agents[0].parentSpanId!)?.name).toBe('device.request');
    }
    expect(ours.filter((s) => s.name === 'strategy.ask').every((s) => s.parentSpanId === searchSpanId)).toBe(true);

    // Metrics went out through OTLP too.
    expect([...(otlp.metrics.get('hwnas-coordinator') ?? [])]).toEqual(expect.arrayContaining(['hwnas.evaluations', 'hwnas.evaluations.in_flight', 'hwnas.queue.depth']));
    expect([...(otlp.metrics.get('hwnas-worker') ?? [])]).toEqual(expect.arrayContaining(['hwnas.worker.evaluation.duration', 'hwnas.device.request.duration']));
    expect([...(otlp.metrics.get('hwnas-device-agent') ?? [])]).toEqual(expect.arrayContaining(['hwnas.device.measure.duration']));
  });

  it('tracing - progress spans export while the search runs and are there after the coordinator is SIGKILLed; two spans per table evaluation', async () => {
    await using nats = await startNatsServer({ jetstream: true });
    const otlp = await startOtlpReceiver();
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '200', OTEL_METRIC_EXPORT_INTERVAL: '60000' };
    const prefix = uniquePrefix();
    const caller = { traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex') };
    let worker: AppProcess | undefined;
    let coord: CoordinatorHandle | undefined;
    const BIG = 15_000;
    try {
      coord = await startCoordinator(nats.url, prefix, [], env);
      worker = spawnApp('worker', ['--nats', nats.url, '--prefix', prefix], env);
      const md = auth();
      md.set('traceparent', `00-${caller.traceId}-${caller.spanId}-01`);
      const req = searchRequest({ budget: BIG, maxInFlight: 4, seed: 5, constraints: [] });
      const searchId = (await rpc<typeof req, SubmitSearchResponse>(coord.search, 'submitSearch', req, md)).searchId;
      const progressOf = () => otlp.spans.filter((s) => s.name === 'search.progress' && s.attributes['hwnas.search.id'] === searchId);
      await waitFor(() => progressOf().length >= 2, 'two search.progress spans while the search runs', 40_000, 20);
      // Still running: the search span has not ended (so was not exported), progress was.
      expect(otlp.spans.some((s) => s.name === 'search' && s.attributes['hwnas.search.id'] === searchId)).toBe(false);
      coord.proc.child.kill('SIGKILL');
      expect(await coord.proc.exited).toBe('SIGKILL');
      const progress = progressOf();
      expect(progress.length).toBeGreaterThanOrEqual(2);
      // All in the caller's trace, under one parent: the search span (lost with the crash).
      expect(new Set(progress.map((p) => p.traceId))).toEqual(new Set([caller.traceId]));
      expect(new Set(progress.map((p) => p.parentSpanId)).size).toBe(1);
      expect(progress[0].parentSpanId).not.toBe(caller.spanId);
      const done = progress.map((p) => p.attributes['hwnas.evaluations.done'] as number);
      expect(done).toEqual([...done].sort((a, b) => a - b));
      expect(done.at(-1)!).toBeLessThan(BIG);
      expect(progress.at(-1)!.attributes).toMatchObject({ 'hwnas.search.budget': BIG, 'hwnas.best.trial_id': expect.any(Number) });
      // A slow ask (over 20 ms of wall time, which a loaded machine can give even a random search)
      // gets its own strategy.ask span, beside the progress spans under the search span.
      const slowAsks = otlp.spans.filter((s) => s.traceId === caller.traceId && s.name === 'strategy.ask');
      for (const ask of slowAsks) expect(ask.parentSpanId).toBe(progress[0].parentSpanId);
      // Per evaluation: the coordinator's evaluate span and the worker's worker.evaluate span.
      const perEvaluation = otlp.spans.filter((s) => s.traceId === caller.traceId && !['search', 'search.progress', 'strategy.ask', 'hwnas.v1.SearchService/SubmitSearch'].includes(s.name));
      expect(new Set(perEvaluation.map((s) => s.name))).toEqual(new Set(['evaluate', 'worker.evaluate']));
      const evaluations = perEvaluation.filter((s) => s.name === 'evaluate').length;
      expect(evaluations).toBeGreaterThan(0);
      // One worker span per coordinator evaluation: no evaluate span is the parent of two. Counts alone
      // do not compare: the coordinator's last evaluate spans die unexported with it, in a batch of
      // any size, while the worker goes on exporting.
      const evaluateIds = new Set(perEvaluation.filter((s) => s.name === 'evaluate').map((s) => s.spanId));
      const workerParents = perEvaluation.filter((s) => s.name === 'worker.evaluate').map((s) => s.parentSpanId);
      expect(new Set(workerParents).size).toBe(workerParents.length);
      expect(workerParents.filter((p) => p !== undefined && evaluateIds.has(p)).length).toBeGreaterThan(0);
    } finally {
      await worker?.kill('SIGTERM');
      coord?.search.close();
      coord?.bench.close();
      await otlp.close();
    }
  }, 60_000);

  it('tracing - one CLI run (hwnas search --coordinator --watch) is one trace with the search it submits', async () => {
    await using nats = await startNatsServer({ jetstream: true });
    const otlp = await startOtlpReceiver();
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '200', OTEL_METRIC_EXPORT_INTERVAL: '60000' };
    const prefix = uniquePrefix();
    let worker: AppProcess | undefined;
    let coord: CoordinatorHandle | undefined;
    try {
      coord = await startCoordinator(nats.url, prefix, [], env);
      worker = spawnApp('worker', ['--nats', nats.url, '--prefix', prefix], env);
      const cli = await runCliProcess(['search', '--space', 'nb201', '--dataset', 'cifar10', '--strategy', 'random', '--budget', '5', '--coordinator', `127.0.0.1:${coord.port}`, '--watch']);
      expect(cli.code).toBe(0);
      await waitFor(() => otlp.spans.some((s) => s.name === 'search'), 'the search span', 20_000, 20);
    } finally {
      await coord?.close();
      await worker?.kill('SIGTERM');
      await otlp.close();
    }
    const submit = otlp.spans.find((s) => s.name === 'hwnas.v1.SearchService/SubmitSearch');
    const watch = otlp.spans.find((s) => s.name === 'hwnas.v1.SearchService/WatchSearch');
    const search = otlp.spans.find((s) => s.name === 'search');
    expect(submit).toBeDefined();
    expect(watch).toBeDefined();
    // The CLI's context is the parent of all three: one trace per CLI run.
    expect(watch!.traceId).toBe(submit!.traceId);
    expect(search!.traceId).toBe(submit!.traceId);
    expect(search!.parentSpanId).toBe(submit!.parentSpanId);
  }, 60_000);

  it('tracing - a collector that is down changes nothing: the search finishes and every process stops cleanly', async () => {
    await using nats = await startNatsServer({ jetstream: true });
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const { port } = srv.address() as AddressInfo;
    await new Promise<void>((r) => srv.close(() => r()));
    // Default protocol (http/protobuf) to a port nothing listens on.
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_METRIC_EXPORT_INTERVAL: '500' };
    const prefix = uniquePrefix();
    const coord = await startCoordinator(nats.url, prefix, [], env);
    const worker = spawnApp('worker', ['--nats', nats.url, '--prefix', prefix], env);
    try {
      const req = searchRequest({ budget: 6, maxInFlight: 3, seed: 5 });
      const { searchId } = await rpc<typeof req, SubmitSearchResponse>(coord.search, 'submitSearch', req);
      expect((await waitForSearch(() => coord.search, searchId)).counts?.evaluationsDone).toBe(6);
    } finally {
      const started = Date.now();
      await Promise.all([coord.close(), worker.kill('SIGTERM')]);
      // Bounded: the exporter retries a refused connection, and shutdown gives up after 5 s.
      expect(Date.now() - started).toBeLessThan(12_000);
    }
    expect(await coord.proc.exited).toBe(0);
    expect(await worker.exited).toBe(0);
  });
});
