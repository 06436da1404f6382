import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Metrics } from '@hwnas/bench-core';
import type { EvalTask, TrialReport } from '@hwnas/runtime';
import { context, trace } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { TrainerCancelledError, TrainerCommandError, TrainerFailedError, TrainerTimeoutError } from './errors';
import { EPOCH_EVENT_NAME, ProcessTrainerEvaluator, TRIAL_FILE_NAME } from './trainer-evaluator';
import { TrainedWithCostsEvaluator } from './with-costs';
import { processGroupMembers as groupMembers } from './testing/process-list';
import type { ProcessTrainerOptions } from './trainer-evaluator';

const FAKE = join(__dirname, 'testing', 'fake-trainer.js');
const ARCH = '|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|avg_pool_3x3~0|none~1|nor_conv_1x1~2|';

function task(trialId: number, extra: Partial<EvalTask> = {}): EvalTask {
  return { taskId: `s-1.${trialId}`, searchId: 's-1', trialId, space: 'nb201', dataset: 'cifar10', arch: ARCH, need: 'full', metrics: [], accuracySource: 'table', devices: [], ...extra };
}

describe('ProcessTrainerEvaluator', () => {
  let root: string;
  const pids = new Map<number, number>();
  const logs: { trialId: number; stream: string; line: string }[] = [];
  const reports: TrialReport[] = [];
  const make = (mode: string, opts: Partial<ProcessTrainerOptions> = {}) =>
    new ProcessTrainerEvaluator({
      command: `"${process.execPath}" ${FAKE} ${mode}`,
      workRoot: root,
      epochs: 3,
      seed: 42,
      options: { width: 8 },
      killGraceMs: 300,
      onReport: (r) => reports.push(r),
      log: (e) => logs.push(e),
      onSpawn: (trialId, pid) => pids.set(trialId, pid),
      ...opts,
    });

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'hwnas-trainer-'));
    pids.clear();
    logs.length = 0;
    reports.length = 0;
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('ProcessTrainerEvaluator - a good trainer: final metrics, reports in order, trial file and environment per the contract', async () => {
    const ev = make('good');
    await expect(ev.evaluate(task(7))).resolves.toEqual({ accuracy: 25, valid_accuracy: 25 });
    expect(reports).toEqual([1, 2, 3].map((epoch) => ({ type: 'trial_report', searchId: 's-1', trialId: 7, epoch, metrics: { valid_accuracy: 10 + 5 * epoch, train_loss: 1 / epoch } })));
    const dir = join(root, 's-1', 'trial-7');
    const seen = JSON.parse(readFileSync(join(dir, 'env.json'), 'utf8'));
    expect(seen.cwd).toBe(dir);
    expect(seen.argv).toEqual(['good']);
    // Inherited HWNAS_* variables (e.g. HWNAS_DATA) pass through; no trace context without tracing.
    expect(seen.env.TRACEPARENT).toBeUndefined();
    expect(seen.env).toMatchObject({
      HWNAS_CONTRACT: 'hwnas.trainer/v1',
      HWNAS_TRIAL_FILE: join(dir, TRIAL_FILE_NAME),
      HWNAS_SEARCH_ID: 's-1',
      HWNAS_TRIAL_ID: '7',
      HWNAS_SPACE: 'nb201',
      HWNAS_DATASET: 'cifar10',
      HWNAS_ARCH: ARCH,
      HWNAS_EPOCHS: '3',
      HWNAS_SEED: '42',
      HWNAS_WORK_DIR: dir,
    });
    const trial = JSON.parse(readFileSync(join(dir, TRIAL_FILE_NAME), 'utf8'));
    expect(trial).toMatchObject({ contract: 'hwnas.trainer/v1', searchId: 's-1', trialId: 7, space: 'nb201', dataset: 'cifar10', fidelity: { epochs: 3 }, seed: 42, workDir: dir, options: { width: 8 } });
    // NB201 op order: none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3.
    expect(trial.arch).toEqual({ string: ARCH, encoding: [3, 3, 1, 4, 0, 2] });
    expect(Array.isArray(trial.ir.layers)).toBe(true);
    expect(logs).toEqual(
      expect.arrayContaining([
        { searchId: 's-1', trialId: 7, stream: 'stdout', line: 'a log line that is not a protocol line' },
        { searchId: 's-1', trialId: 7, stream: 'stdout', line: '{"loss": 1} (a brace line without the hwnas key is a log line too)' },
        { searchId: 's-1', trialId: 7, stream: 'stderr', line: 'warning: a stderr line' },
      ]),
    );
  });

  it('ProcessTrainerEvaluator - a promoted trial resumes in the same work dir and reports only the new epochs', async () => {
    const ev = make('good');
    await ev.evaluate(task(2, { fidelity: { epochs: 2 } }));
    reports.length = 0;
    await expect(ev.evaluate(task(2, { fidelity: { epochs: 5 } }))).resolves.toEqual({ accuracy: 35, valid_accuracy: 35 });
    expect(reports.map((r) => r.epoch)).toEqual([3, 4, 5]);
    expect(logs).toContainEqual({ searchId: 's-1', trialId: 2, stream: 'hwnas', line: 'resumed from checkpoint at epoch 2' });
  });

  it('ProcessTrainerEvaluator - exit 2 (a usage error) fails without retries, with the stderr tail', async () => {
    const err = await make('usage').evaluate(task(1)).catch((e) => e);
    expect(err).toBeInstanceOf(TrainerCommandError);
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/exited with code 2 \(a usage error: a retry would fail the same way\); stderr tail:\nusage: train.py \[-h\] --data DIR\n/);
  });

  it('ProcessTrainerEvaluator - exit 1 fails retryably with the stderr tail', async () => {
    const err = await make('exit1').evaluate(task(1)).catch((e) => e);
    expect(err).toBeInstanceOf(TrainerFailedError);
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/exited with code 1; stderr tail:\nTraceback \(most recent call last\):\nRuntimeError: CUDA out of memory/);
  });

  it('ProcessTrainerEvaluator - exit 0 without a final report fails', async () => {
    await expect(make('nofinal').evaluate(task(1))).rejects.toThrow(/exited 0 without a final report/);
  });

  it.each([
    ['garbage', /not valid JSON.*\n?.*stderr tail:\nabout to print garbage/s],
    ['nan', /non-finite value \(NaN\)/],
    ['unknown', /unknown type hwnas="progress"/],
  ])('ProcessTrainerEvaluator - a %s protocol line fails the evaluation and kills the trainer', async (mode, reason) => {
    const err = await make(mode).evaluate(task(1)).catch((e) => e);
    expect(err).toBeInstanceOf(TrainerFailedError);
    expect(err.message).toMatch(reason);
    expect(groupMembers(pids.get(1)!)).toEqual([]);
  });

  it('ProcessTrainerEvaluator - a hanging trainer is killed at the timeout', async () => {
    const err = await make('hang', { timeoutMs: 500 }).evaluate(task(1)).catch((e) => e);
    expect(err).toBeInstanceOf(TrainerTimeoutError);
    expect(err.code).toBe('deadline_exceeded');
    expect(groupMembers(pids.get(1)!)).toEqual([]);
  });

  it('ProcessTrainerEvaluator - cancel kills a trainer that ignores SIGTERM, and its grandchild, after the grace', async () => {
    const ac = new AbortController();
    const ev = make('stubborn', { onReport: () => ac.abort('early stop'), killGraceMs: 400 });
    const started = performance.now();
    let abortedAt = 0;
    ac.signal.addEventListener('abort', () => (abortedAt = performance.now()));
    const err = await ev.evaluate(task(4), ac.signal).catch((e) => e);
    expect(err).toBeInstanceOf(TrainerCancelledError);
    expect(err.message).toMatch(/cancelled: early stop/);
    // SIGTERM was ignored, so only the SIGKILL after the grace ended it.
    expect(performance.now() - abortedAt).toBeGreaterThanOrEqual(390);
    expect(abortedAt).toBeGreaterThan(started);
    expect(logs).toContainEqual({ searchId: 's-1', trialId: 4, stream: 'stderr', line: 'ignoring SIGTERM' });
    expect(groupMembers(pids.get(4)!)).toEqual([]);
  });

  it('ProcessTrainerEvaluator - an early stop ends the trainer and returns what it reached, without the objective', async () => {
    const ev = make('slow', { epochs: 20, earlyStop: (r) => (r.epoch === 2 ? 'stop' : 'continue') });
    await expect(ev.evaluate(task(6))).resolves.toEqual({ stopped_epoch: 2, last_valid_accuracy: 20, last_train_loss: 0.5 });
    expect(logs).toContainEqual({ searchId: 's-1', trialId: 6, stream: 'hwnas', line: 'stopped early at epoch 2' });
    expect(groupMembers(pids.get(6)!)).toEqual([]);
    // A rule that throws lets the trial finish.
    const ok = make('slow', { epochs: 2, earlyStop: () => { throw new Error('bug'); } });
    await expect(ok.evaluate(task(8))).resolves.toEqual({ accuracy: 20 });
  });

  it('ProcessTrainerEvaluator - stopTrial (a coordinator\'s stop order) ends that trial\'s trainer like an early stop; unknown trials are not touched', async () => {
    const ev = make('slow', { epochs: 20 });
    const pending = ev.evaluate(task(6));
    while (!reports.some((r) => r.trialId === 6 && r.epoch === 2)) await new Promise((r) => setTimeout(r, 10));
    expect(ev.stopTrial('s-1', 7, 2)).toBe(false);
    expect(ev.stopTrial('s-1', 6, 2)).toBe(true);
    const out = await pending;
    expect(out.stopped_epoch).toBe(2);
    expect(out.accuracy).toBeUndefined();
    expect(out.last_valid_accuracy).toBeGreaterThan(0);
    expect(groupMembers(pids.get(6)!)).toEqual([]);
    expect(ev.stopTrial('s-1', 6, 2)).toBe(false);
  });

  it('ProcessTrainerEvaluator - stopSearch ends every trainer of that search (failed as cancelled, not retried), leaves other searches alone, and refuses the search\'s later tasks at once', async () => {
    const ev = make('hang');
    const a = ev.evaluate(task(1)).catch((e: unknown) => e);
    const b = ev.evaluate(task(2)).catch((e: unknown) => e);
    const other = ev.evaluate(task(3, { searchId: 's-2', taskId: 's-2.3' })).catch((e: unknown) => e);
    while (reports.length < 3) await new Promise((r) => setTimeout(r, 10));
    expect(ev.stopSearch('s-1')).toBe(2);
    for (const err of [await a, await b]) {
      expect(err).toBeInstanceOf(TrainerCancelledError);
      expect((err as TrainerCancelledError).retryable).toBe(false);
      expect((err as Error).message).toMatch(/search s-1 was stopped by the coordinator/);
    }
    expect(groupMembers(pids.get(1)!)).toEqual([]);
    expect(groupMembers(pids.get(2)!)).toEqual([]);
    // The other search's trainer still runs.
    expect(groupMembers(pids.get(3)!).length).toBeGreaterThan(0);
    // A late task of the stopped search: refused without starting a trainer.
    pids.delete(4);
    await expect(ev.evaluate(task(4))).rejects.toThrow(/search s-1 was stopped by the coordinator/);
    expect(pids.has(4)).toBe(false);
    expect(ev.stopSearch('s-1')).toBe(0);
    ev.abortAll();
    expect(await other).toBeInstanceOf(TrainerCancelledError);
  });

  it('ProcessTrainerEvaluator - abortAll cancels every trainer in progress', async () => {
    const ev = make('hang');
    const a = ev.evaluate(task(1)).catch((e) => e);
    const b = ev.evaluate(task(2)).catch((e) => e);
    while (reports.length < 2) await new Promise((r) => setTimeout(r, 10));
    ev.abortAll('interrupted');
    for (const err of [await a, await b]) expect(err).toBeInstanceOf(TrainerCancelledError);
    expect(groupMembers(pids.get(1)!)).toEqual([]);
    expect(groupMembers(pids.get(2)!)).toEqual([]);
  });

  it('TrainedWithCostsEvaluator - trained accuracy over looked-up costs; cost queries never train', async () => {
    const costs = { evaluate: (t: EvalTask): Metrics => (t.need === 'costs' ? { raspi4_latency: 3 } : { accuracy: 99, valid_accuracy: 98, raspi4_latency: 3, flops: 7 }) };
    const ev = new TrainedWithCostsEvaluator(make('good'), costs);
    await expect(ev.evaluate(task(9))).resolves.toEqual({ accuracy: 25, valid_accuracy: 25, raspi4_latency: 3, flops: 7 });
    pids.clear();
    await expect(ev.evaluate(task(10, { need: 'costs' }))).resolves.toEqual({ raspi4_latency: 3 });
    expect(pids.size).toBe(0);
    // Costs that rule the architecture out: no training, no objective.
    const screened = new TrainedWithCostsEvaluator(make('good'), costs, (m) => m.raspi4_latency <= 2);
    await expect(screened.evaluate(task(11))).resolves.toEqual({ raspi4_latency: 3, flops: 7 });
    expect(pids.size).toBe(0);
    // A stopped search's late tasks fail before any cost lookup (a real measurement on a remote device).
    let lookups = 0;
    const trainer = make('good');
    const counted = new TrainedWithCostsEvaluator(trainer, { evaluate: (t: EvalTask) => (lookups++, costs.evaluate(t)) });
    trainer.stopSearch('s-1');
    await expect(counted.evaluate(task(12))).rejects.toThrow(/search s-1 was stopped by the coordinator/);
    await expect(counted.evaluate(task(13, { need: 'costs' }))).rejects.toThrow(TrainerCancelledError);
    expect(lookups).toBe(0);
    await expect(counted.evaluate(task(14, { searchId: 's-2', taskId: 's-2.14', need: 'costs' }))).resolves.toEqual({ raspi4_latency: 3 });
    expect(lookups).toBe(1);
  });

  it('ProcessTrainerEvaluator - bad commands and tasks fail clearly', async () => {
    expect(() => make('good', { command: `python3 'unbalanced` })).toThrow(TrainerCommandError);
    await expect(make('good', { command: 'no-such-trainer-program --x' }).evaluate(task(1))).rejects.toThrow(/cannot start trainer "no-such-trainer-program": program not found/);
    await expect(make('good').evaluate(task(1, { fidelity: { epochs: 0 } }))).rejects.toThrow(/fidelity epochs must be a positive integer; got 0/);
    await expect(make('good').evaluate(task(1, { arch: '|bogus~0|' }))).rejects.toThrow(/nb201/);
  });

  it('ProcessTrainerEvaluator - the example trainer of docs/trainer-contract.md works as documented', async () => {
    const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'trainer-contract.md'), 'utf8');
    const code = /## A complete example[\s\S]*?```python\n([\s\S]*?)```/.exec(doc)![1];
    const script = join(root, 'example-trainer.py');
    writeFileSync(script, code);
    const ev = make('', { command: `/usr/bin/python3 ${script}` });
    const first = await ev.evaluate(task(5, { fidelity: { epochs: 2 } }));
    const second = await ev.evaluate(task(5, { fidelity: { epochs: 4 } }));
    expect(second.accuracy).toBeGreaterThan(first.accuracy);
    expect(reports.map((r) => r.epoch)).toEqual([1, 2, 3, 4]);
    expect(logs).toContainEqual({ searchId: 's-1', trialId: 5, stream: 'hwnas', line: 'resumed from checkpoint at epoch 2' });
  });

  describe('with tracing', () => {
    const exporter = new InMemorySpanExporter();
    const sdk = new NodeSDK({ spanProcessors: [new SimpleSpanProcessor(exporter)], metricReaders: [], logRecordProcessors: [], autoDetectResources: false });
    beforeAll(() => sdk.start());
    afterAll(async () => {
      await sdk.shutdown().catch(() => undefined);
      trace.disable();
      context.disable();
    });

    it('ProcessTrainerEvaluator - TRACEPARENT names the active span, which gets an event per epoch', async () => {
      const span = trace.getTracer('test').startSpan('worker.evaluate');
      await context.with(trace.setSpan(context.active(), span), () => make('good').evaluate(task(3)));
      span.end();
      const { traceId, spanId } = span.spanContext();
      const seen = JSON.parse(readFileSync(join(root, 's-1', 'trial-3', 'env.json'), 'utf8'));
      expect(seen.env.TRACEPARENT).toBe(`00-${traceId}-${spanId}-01`);
      const done = exporter.getFinishedSpans().find((s) => s.spanContext().spanId === spanId)!;
      const epochs = done.events.filter((e) => e.name === EPOCH_EVENT_NAME);
      expect(epochs.map((e) => e.attributes?.['hwnas.epoch'])).toEqual([1, 2, 3]);
      expect(epochs[2].attributes?.['hwnas.metric.valid_accuracy']).toBe(25);
    });
  });
});
