import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EvalTask } from '@hwnas/runtime';
import { context, trace } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { EPOCH_EVENT_NAME, ProcessTrainerEvaluator } from '../src/trainer-evaluator';
import { tinyReferenceTrainerCommand, writeSyntheticSet } from '../src/testing/reference-trainer';

type OtlpValue = Record<string, unknown>;
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  events: { name: string; attributes: { key: string; value: OtlpValue }[] }[];
}

/** A minimal OTLP/HTTP JSON receiver on loopback: the spans POSTed to /v1/traces. */
async function startReceiver(): Promise<{ endpoint: string; spans: OtlpSpan[]; close: () => Promise<void> }> {
  const spans: OtlpSpan[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') {
        const doc = JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] };
        for (const rs of doc.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } else res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, spans, close: () => new Promise((r) => server.close(() => r())) };
}

const ARCH = '|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|';

describe('the reference trainer under the trainer evaluator (real PyTorch, real OTLP/HTTP)', () => {
  const exporter = new InMemorySpanExporter();
  const sdk = new NodeSDK({ spanProcessors: [new SimpleSpanProcessor(exporter)], metricReaders: [], logRecordProcessors: [], autoDetectResources: false });
  let dir: string;
  beforeAll(() => {
    sdk.start();
    dir = mkdtempSync(join(tmpdir(), 'hwnas-trainer-trace-'));
  });
  afterAll(async () => {
    await sdk.shutdown().catch(() => undefined);
    trace.disable();
    context.disable();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reference trainer - its trainer.train span sits under the evaluation span, with an event per epoch', async () => {
    const data = writeSyntheticSet(join(dir, 'data'));
    const receiver = await startReceiver();
    try {
      const ev = new ProcessTrainerEvaluator({
        command: tinyReferenceTrainerCommand(data),
        workRoot: join(dir, 'work'),
        epochs: 2,
        seed: 5,
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_SERVICE_NAME: 'hwnas-trainer' },
      });
      const task: EvalTask = { taskId: 's-tr.0', searchId: 's-tr', trialId: 0, space: 'nb201', dataset: 'cifar10', arch: ARCH, need: 'full', metrics: [], accuracySource: 'table', devices: [] };
      const span = trace.getTracer('test').startSpan('worker.evaluate');
      const metrics = await context.with(trace.setSpan(context.active(), span), () => ev.evaluate(task));
      span.end();
      expect(metrics.accuracy).toBeGreaterThan(20); // 10 classes: chance is 10%
      const { traceId, spanId } = span.spanContext();
      // The trainer exports when it ends, before it exits: the span is there once evaluate returns.
      const own = receiver.spans.filter((s) => s.name === 'trainer.train');
      expect(own).toHaveLength(1);
      expect(own[0]).toMatchObject({ traceId, parentSpanId: spanId });
      expect(own[0].spanId).not.toBe(spanId);
      expect(own[0].events.map((e) => e.name)).toEqual(['trainer.epoch', 'trainer.epoch']);
      // The worker side records the same epochs on the evaluation span itself.
      const evaluation = exporter.getFinishedSpans().find((s) => s.spanContext().spanId === spanId)!;
      expect(evaluation.events.filter((e) => e.name === EPOCH_EVENT_NAME).map((e) => e.attributes?.['hwnas.epoch'])).toEqual([1, 2]);
    } finally {
      await receiver.close();
    }
  });
});
