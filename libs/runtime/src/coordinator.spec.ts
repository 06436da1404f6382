import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Benchmark, InvalidArgumentError, NasError, Rng } from '@hwnas/bench-core';
import { describeWithData } from '@hwnas/bench-core/testing';
import { InMemoryTrialJournal } from './in-memory/trial-journal';
import { FileTrialJournal } from './file/trial-journal';
import { Coordinator } from './coordinator';
import { startEmbedded } from './embedded';
import { InMemoryResultChannel } from './in-memory/result-channel';
import { InMemoryTaskQueue } from './in-memory/task-queue';
import { startWorker } from './worker-loop';
import type { EvalTask } from './ports/task-queue';
import type { TrialEvaluator } from './ports/trial-evaluator';
import type { TrialJournal } from './ports/trial-journal';
import { SearchRun } from './search-run';
import { normalizeSearchSpec } from './search-spec';
import { createTableSearchFactory, TableTrialEvaluator } from './tabular';
import { stallingAfter } from './testing/stalling-evaluator';
import type { TaskResult } from './events';

const SPEC = {
  space: 'nb201',
  dataset: 'cifar10',
  strategy: 'rea',
  objectives: ['accuracy'],
  constraints: ['raspi4_latency<=15.7228'],
  budget: 60,
  seed: 7,
  maxInFlight: 4,
};

/** Drives a SearchRun to the end, answering in-flight tasks in an order drawn from `orderSeed`. */
async function driveRun(bench: Benchmark, spec: ReturnType<typeof normalizeSearchSpec>, orderSeed: number, log?: TaskResult[]) {
  const factory = createTableSearchFactory(bench);
  const evaluator = new TableTrialEvaluator(bench);
  const run = new SearchRun('s', spec, factory.setup(spec));
  const pending: EvalTask[] = [...run.start().dispatch];
  const rng = new Rng(orderSeed);
  while (pending.length) {
    const task = pending.splice(rng.int(pending.length), 1)[0];
    const result: TaskResult = { taskId: task.taskId, searchId: 's', trialId: task.trialId, status: 'ok', metrics: await evaluator.evaluate(task) };
    log?.push(result);
    pending.push(...run.accept(result).dispatch);
    // A duplicate delivery changes nothing.
    expect(run.accept(result)).toEqual({ dispatch: [], ignored: true });
  }
  return run;
}

describeWithData('runtime: SearchRun and Coordinator', (dataDir) => {
  const bench = Benchmark.open({ dataDir });

  it('SearchRun - ordered mode: the trajectory does not depend on which result lands first', async () => {
    const spec = normalizeSearchSpec(SPEC);
    const a = await driveRun(bench, spec, 1);
    const b = await driveRun(bench, spec, 2);
    expect(a.finished).toBe(true);
    expect(a.counts.evaluationsDone).toBe(60);
    const keys = (r: SearchRun) => r.history().map((h) => `${h.trialId}:${h.key}`).sort();
    expect(keys(a)).toEqual(keys(b));
    expect(a.best()?.key).toBe(b.best()?.key);
    expect(new Set(a.history().map((h) => h.key)).size).toBe(60);
  });

  it('SearchRun - replaying the logged results rebuilds the state and the pending tasks', async () => {
    const spec = normalizeSearchSpec({ ...SPEC, ordering: 'async' });
    const log: TaskResult[] = [];
    const full = await driveRun(bench, spec, 3, log);
    const factory = createTableSearchFactory(bench);
    const replay = new SearchRun('s', spec, factory.setup(spec));
    replay.start();
    for (const r of log.slice(0, 25)) replay.accept(r);
    // Continue from the replayed state with the rest of the log: every later result is for a
    // task the rebuilt run is waiting on (it re-derived the same asks), and the end state matches.
    for (const r of log.slice(25)) {
      expect(replay.expects(r.taskId)).toBe(true);
      replay.accept(r);
    }
    expect(replay.finished).toBe(true);
    expect(replay.history().map((h) => h.key)).toEqual(full.history().map((h) => h.key));
    expect(replay.best()?.key).toBe(full.best()?.key);
  });

  it('Coordinator - an embedded search with 2 workers evaluates exactly the budget and matches a direct run', async () => {
    const embedded = await startEmbedded({ factory: createTableSearchFactory(bench), evaluator: new TableTrialEvaluator(bench), workers: 2, concurrency: 2 });
    try {
      const id = await embedded.coordinator.submit(SPEC);
      const view = await embedded.coordinator.waitFor(id);
      expect(view.state).toBe('succeeded');
      expect(view.finishReason).toBe('budget');
      expect(view.counts.evaluationsDone).toBe(60);
      expect(new Set(embedded.coordinator.history(id).map((h) => h.key)).size).toBe(60);
      const direct = await driveRun(bench, normalizeSearchSpec(SPEC), 9);
      expect(view.best?.key).toBe(direct.best()?.key);
      expect(view.best?.metrics?.raspi4_latency).toBeLessThanOrEqual(15.7228);
    } finally {
      await embedded.stop();
    }
  });

  it('Coordinator - a restarted coordinator resumes from the journal file and ends as an uninterrupted run', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hwnas-journal-'));
    try {
      const file = path.join(dir, 'journal.jsonl');
      const factory = createTableSearchFactory(bench);
      const table = new TableTrialEvaluator(bench);
      // The first coordinator's workers stall after 20 evaluations, as if the process died.
      const stalling = stallingAfter(20, table);
      const first = await startEmbedded({ factory, evaluator: stalling, journal: new FileTrialJournal(file) });
      const id = await first.coordinator.submit(SPEC);
      while (first.coordinator.get(id).counts.evaluationsDone < 20) await new Promise((r) => setTimeout(r, 5));
      const second = await startEmbedded({ factory, evaluator: table, journal: new FileTrialJournal(file), workers: 2 });
      const view = await second.coordinator.waitFor(id);
      expect(view.state).toBe('succeeded');
      expect(view.counts.evaluationsDone).toBe(60);
      const direct = await driveRun(bench, normalizeSearchSpec(SPEC), 4);
      expect(view.best?.key).toBe(direct.best()?.key);
      expect(second.coordinator.history(id).slice(0, 20).map((h) => h.key)).toEqual(first.coordinator.history(id).slice(0, 20).map((h) => h.key));
      await second.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Coordinator - cancel stops dispatch, drains, and ends cancelled', async () => {
    const table = new TableTrialEvaluator(bench);
    const slow: TrialEvaluator = { evaluate: async (t) => (await new Promise((r) => setTimeout(r, 2)), table.evaluate(t)) };
    const embedded = await startEmbedded({ factory: createTableSearchFactory(bench), evaluator: slow });
    try {
      const id = await embedded.coordinator.submit({ ...SPEC, budget: 5000 });
      while (embedded.coordinator.get(id).counts.evaluationsDone < 5) await new Promise((r) => setTimeout(r, 2));
      await embedded.coordinator.cancel(id);
      const view = await embedded.coordinator.waitFor(id);
      expect(view.state).toBe('cancelled');
      expect(view.counts.inFlight).toBe(0);
      expect(view.counts.evaluationsDone).toBeLessThan(5000);
      expect(view.counts.evaluationsDone).toBe(view.counts.evaluationsDispatched);
    } finally {
      await embedded.stop();
    }
  });

  it('Coordinator - bad searches are rejected with the field named', async () => {
    const embedded = await startEmbedded({ factory: createTableSearchFactory(bench), evaluator: new TableTrialEvaluator(bench) });
    try {
      const submit = (patch: object) => embedded.coordinator.submit({ ...SPEC, ...patch });
      await expect(submit({ budget: 0 })).rejects.toThrow(/^budget: must be an integer in 1\.\.100000, got 0/);
      await expect(submit({ budget: undefined })).rejects.toThrow(/^budget: is required/);
      await expect(submit({ seed: undefined })).rejects.toThrow(/^seed: is required/);
      await expect(submit({ strategy: 'bogus' })).rejects.toThrow(/^strategy: unknown strategy "bogus"; known strategies: random, rea/);
      await expect(submit({ dataset: 'mnist' })).rejects.toThrow(/^dataset: unknown dataset "mnist"/);
      await expect(submit({ constraints: ['edgegpu_latency<=3'] })).rejects.toThrow(/^constraints: unknown metric "edgegpu_latency" \(constraint\); available metrics: accuracy, /);
      await expect(submit({ constraints: ['raspi4_latency<3'] })).rejects.toThrow(InvalidArgumentError);
      await expect(submit({ objectives: ['latency:min'] })).rejects.toThrow(/^objectives: unknown metric "latency"/);
      expect(() => embedded.coordinator.get('nope')).toThrow(/search "nope" not found/);
    } finally {
      await embedded.stop();
    }
  });

  it('Coordinator - a task no worker can finish fails after the task timeout and the search goes on', async () => {
    const queue = new InMemoryTaskQueue();
    const results = new InMemoryResultChannel();
    const logged: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
    const log = {
      info: (fields: object, msg: string) => void logged.push({ level: 'info', msg, fields: fields as Record<string, unknown> }),
      warn: (fields: object, msg: string) => void logged.push({ level: 'warn', msg, fields: fields as Record<string, unknown> }),
    };
    const coordinator = new Coordinator({ queue, results, journal: new InMemoryTrialJournal(), factory: createTableSearchFactory(bench), taskTimeoutMs: 200, log });
    await coordinator.start();
    const evaluator = new TableTrialEvaluator(bench);
    let crashes = 0;
    // A worker that dies on trial 2 every time (returns without settling: the queue redelivers it
    // until its deliveries are used up, then drops it, as JetStream does after max_deliver).
    const worker = await queue.consume(
      async (task, ctl) => {
        if (task.trialId === 2) {
          crashes++;
          return;
        }
        await results.publish({ taskId: task.taskId, searchId: task.searchId, trialId: task.trialId, status: 'ok', metrics: await evaluator.evaluate(task) });
        ctl.ack();
      },
      { concurrency: 4, maxDeliveries: 3 },
    );
    try {
      const id = await coordinator.submit({ ...SPEC, strategy: 'random', constraints: [], budget: 10 });
      const view = await coordinator.waitFor(id);
      expect(view.state).toBe('succeeded');
      expect(view.counts).toMatchObject({ evaluationsDone: 10, evaluationsFailed: 1, inFlight: 0 });
      expect(crashes).toBe(3);
      const failed = coordinator.history(id).filter((h) => h.status === 'failed');
      expect(failed.map((h) => [h.trialId, h.error?.code])).toEqual([[2, 'deadline_exceeded']]);
      expect(failed[0].error?.message).toMatch(/no result within 200 ms of dispatch/);
      // The lifecycle and the timeout are logged; nothing per evaluation otherwise.
      expect(logged.map((l) => [l.level, l.msg])).toEqual([
        ['info', 'search submitted'],
        ['warn', 'evaluation timed out: recorded as failed (deadline_exceeded)'],
        ['info', 'search finished'],
      ]);
      expect(logged[1].fields).toMatchObject({ searchId: id, trialId: 2, timeoutMs: 200 });
      expect(logged[2].fields).toMatchObject({ searchId: id, state: 'succeeded', reason: 'budget', evaluationsDone: 10, evaluationsFailed: 1 });
      // A late result of the timed-out task changes nothing.
      await results.publish({ taskId: `${id}.2`, searchId: id, trialId: 2, status: 'ok', metrics: { accuracy: 99 } });
      await new Promise((r) => setTimeout(r, 20));
      expect(coordinator.get(id).counts.evaluationsFailed).toBe(1);
    } finally {
      await worker.stop();
      await coordinator.stop();
    }
  });

  it('Coordinator - tasks left in the queue when a search ends are discarded', async () => {
    const queue = new InMemoryTaskQueue();
    const coordinator = new Coordinator({ queue, results: new InMemoryResultChannel(), journal: new InMemoryTrialJournal(), factory: createTableSearchFactory(bench), taskTimeoutMs: 100 });
    await coordinator.start();
    try {
      // No worker at all: both tasks wait in the queue until their timeout fails them.
      const id = await coordinator.submit({ ...SPEC, strategy: 'random', constraints: [], budget: 2, maxInFlight: 2 });
      expect(queue.backlog).toBe(2);
      const view = await coordinator.waitFor(id);
      expect(view.counts).toMatchObject({ evaluationsDone: 2, evaluationsFailed: 2 });
      await new Promise((r) => setImmediate(r));
      expect(queue.backlog).toBe(0);
    } finally {
      await coordinator.stop();
    }
  });

  it('Coordinator - every told trial is recorded in tell order, cost queries and cached answers included, and replays the same', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hwnas-trials-'));
    try {
      const file = path.join(dir, 'journal.jsonl');
      const factory = createTableSearchFactory(bench);
      const spec = { ...SPEC, strategy: 'nsga2', objectives: ['accuracy', 'raspi4_latency'], mode: 'cost-first', budget: 40, maxInFlight: 6 };
      const first = await startEmbedded({ factory, evaluator: new TableTrialEvaluator(bench), workers: 2, concurrency: 3, journal: new FileTrialJournal(file) });
      const id = await first.coordinator.submit(spec);
      const view = await first.coordinator.waitFor(id);
      await first.stop();
      const trials = first.coordinator.trials(id);
      const history = first.coordinator.history(id);
      expect(view.counts.costQueries).toBeGreaterThan(0);
      expect(trials.map((t) => t.tellIndex)).toEqual([...trials.keys()]);
      // The history is the full trials of that sequence, in the same order.
      expect(history).toEqual(trials.filter((t) => t.need === 'full'));
      expect(history).toHaveLength(40);
      expect(trials.filter((t) => t.need === 'costs').length).toBeGreaterThan(0);
      // Each trial without a task of its own was answered from another one's evaluation.
      expect(trials.filter((t) => !t.cached)).toHaveLength(view.counts.evaluationsDispatched + view.counts.costQueries);
      for (const t of trials) {
        expect(typeof t.askedAt).toBe('number');
        expect(t.toldAt!).toBeGreaterThanOrEqual(t.askedAt!);
      }
      // Rebuilt from the journal: the same trials, stamps included.
      const again = await startEmbedded({ factory, evaluator: new TableTrialEvaluator(bench), journal: new FileTrialJournal(file) });
      expect(again.coordinator.trials(id)).toEqual(trials);
      await again.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('SearchRun - a trial asking for what another trial evaluates is answered from it, marked cached, and told in ask order', async () => {
    const factory = createTableSearchFactory(bench);
    const spec = normalizeSearchSpec({ ...SPEC, strategy: 'random', mode: 'cost-first', budget: 4, maxInFlight: 4 });
    const setup = factory.setup(spec);
    const space = setup.space;
    const a = space.parse('|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|');
    const b = space.parse('|none~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|');
    // A scripted strategy: full a, costs a (answered by the full one), costs b twice (one task).
    const script: { arch: typeof a; need: 'full' | 'costs' }[] = [
      { arch: a, need: 'full' },
      { arch: a, need: 'costs' },
      { arch: b, need: 'costs' },
      { arch: b, need: 'costs' },
    ];
    let next = 0;
    const told: number[] = [];
    const strategy = {
      ask: (n: number) => script.splice(0, n).map((c) => ({ trialId: next++, ...c })),
      tell: (r: { trialId: number }) => void told.push(r.trialId),
      snapshot: () => ({ strategy: 'scripted', version: 1, data: {} }),
    };
    const run = new SearchRun('s', spec, { ...setup, strategy });
    const tasks = run.start(1000).dispatch;
    expect(tasks.map((t) => [t.trialId, t.need])).toEqual([
      [0, 'full'],
      [2, 'costs'],
    ]);
    const evaluator = new TableTrialEvaluator(bench);
    // The cost query lands first; nothing can be told before trial 0 (ordered).
    for (const t of [tasks[1], tasks[0]]) run.accept({ taskId: t.taskId, status: 'ok', metrics: await evaluator.evaluate(t) }, 2000 + t.trialId);
    expect(told).toEqual([0, 1, 2, 3]);
    expect(run.trials().map((t) => [t.trialId, t.need, t.tellIndex, t.cached === true, t.askedAt, t.toldAt])).toEqual([
      [0, 'full', 0, false, 1000, 2000],
      [1, 'costs', 1, true, 1000, 2000],
      [2, 'costs', 2, false, 1000, 2000],
      [3, 'costs', 3, true, 1000, 2000],
    ]);
    expect(run.history().map((t) => t.trialId)).toEqual([0]);
    expect(run.counts).toMatchObject({ evaluationsDispatched: 1, costQueries: 1 });
  });

  it('Coordinator - beyond maxRunningSearches searches wait as pending, first come first served, across a restart', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hwnas-pending-'));
    try {
      const file = path.join(dir, 'journal.jsonl');
      const factory = createTableSearchFactory(bench);
      const table = new TableTrialEvaluator(bench);
      // Workers of the first coordinator stall after 5 evaluations (as if it died mid-search).
      const stalling = stallingAfter(5, table);
      const spec = { ...SPEC, strategy: 'random', constraints: [], budget: 8, maxInFlight: 2 };
      const queue = new InMemoryTaskQueue();
      const results = new InMemoryResultChannel();
      const first = new Coordinator({ queue, results, journal: new FileTrialJournal(file), factory, maxRunningSearches: 1 });
      await first.start();
      // Its stalled evaluations never end, so this worker is left behind with its queue.
      await startWorker({ queue, results, evaluator: stalling, workerId: 'w' });
      const [a, b, c] = [await first.submit({ ...spec, seed: 1 }), await first.submit({ ...spec, seed: 2 }), await first.submit({ ...spec, seed: 3 })];
      expect([first.get(a).state, first.get(b).state, first.get(c).state]).toEqual(['running', 'pending', 'pending']);
      expect(first.get(b).startedAt).toBeUndefined();
      expect(first.get(b).counts.evaluationsDispatched).toBe(0);
      // Cancelling a pending search ends it at once, with nothing evaluated.
      const cancelled = await first.cancel(c, 'not needed');
      expect(cancelled).toMatchObject({ state: 'cancelled', finishReason: 'not needed', counts: { evaluationsDone: 0 } });
      expect(cancelled.finishedAt).toBeDefined();
      while (first.get(a).counts.evaluationsDone < 5) await new Promise((r) => setTimeout(r, 5));
      await first.stop();

      // A new coordinator: a resumes, b waits for it, then runs; both end as uninterrupted runs would.
      const second = await startEmbedded({ factory, evaluator: table, journal: new FileTrialJournal(file), workers: 2, maxRunningSearches: 1 });
      try {
        expect(second.coordinator.get(b).state).toBe('pending');
        const va = await second.coordinator.waitFor(a);
        const vb = await second.coordinator.waitFor(b);
        expect([va.state, vb.state, second.coordinator.get(c).state]).toEqual(['succeeded', 'succeeded', 'cancelled']);
        expect(vb.startedAt!).toBeGreaterThanOrEqual(va.finishedAt!);
        const reference = await startEmbedded({ factory, evaluator: table });
        try {
          for (const [id, seed] of [[a, 1], [b, 2]] as const) {
            const ref = await reference.coordinator.waitFor(await reference.coordinator.submit({ ...spec, seed }));
            expect(second.coordinator.history(id).map((h) => h.key)).toEqual(reference.coordinator.history(ref.searchId).map((h) => h.key));
          }
        } finally {
          await reference.stop();
        }
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Coordinator - a search stops asking once maxFailed evaluations failed, drains, and ends failed', async () => {
    const table = new TableTrialEvaluator(bench);
    // Every other evaluation fails for good (not retryable): a broken device, say.
    const flaky: TrialEvaluator = {
      evaluate: (task) => {
        if (task.trialId % 2 === 1) throw new NasError(`device broke on trial ${task.trialId}`, 'internal');
        return table.evaluate(task);
      },
    };
    const embedded = await startEmbedded({ factory: createTableSearchFactory(bench), evaluator: flaky, concurrency: 2 });
    try {
      const id = await embedded.coordinator.submit({ ...SPEC, strategy: 'random', constraints: [], budget: 30, maxInFlight: 2, maxFailed: 3 });
      const view = await embedded.coordinator.waitFor(id);
      expect(view).toMatchObject({ state: 'failed', failureCode: 'too_many_failures', counts: { inFlight: 0 } });
      expect(view.finishReason).toMatch(/^too many failed evaluations: [34] \(max_failed_evaluations 3\)$/);
      // Nothing was asked after the third failure: at most what was in flight then landed.
      expect(view.counts.evaluationsFailed).toBeGreaterThanOrEqual(3);
      expect(view.counts.evaluationsDone).toBeLessThanOrEqual(8);
    } finally {
      await embedded.stop();
    }
    expect(() => normalizeSearchSpec({ ...SPEC, budget: 5, maxFailed: 6 })).toThrow(/^maxFailed: must be an integer in 1\.\.5/);
  });

  it('Coordinator - a submission whose journal append fails leaves no search behind and no slot taken', async () => {
    const journal = new InMemoryTrialJournal();
    let down = true;
    const flaky: TrialJournal = {
      append: (id, events, expected) => (down ? Promise.reject(new NasError('journal unavailable', 'unavailable', true)) : journal.append(id, events, expected)),
      read: (id, from) => journal.read(id, from),
      list: () => journal.list(),
    };
    const coordinator = new Coordinator({ queue: new InMemoryTaskQueue(), results: new InMemoryResultChannel(), journal: flaky, factory: createTableSearchFactory(bench), maxRunningSearches: 1 });
    await coordinator.start();
    try {
      const spec = { ...SPEC, strategy: 'random', constraints: [], budget: 4 };
      await expect(coordinator.submit(spec, { requestId: 'r' })).rejects.toThrow('journal unavailable');
      expect(coordinator.list()).toEqual([]);
      down = false;
      const id = await coordinator.submit(spec, { requestId: 'r' });
      expect(coordinator.get(id).state).toBe('running');
    } finally {
      await coordinator.stop();
    }
  });

  it('Coordinator - a start or an end the journal refuses is tried again: the pending search goes back to the head of the line, the slot is freed later', async () => {
    const journal = new InMemoryTrialJournal();
    let refuseStarts = 0;
    let refuseFinishes = 0;
    const flaky: TrialJournal = {
      append: (id, events, expected) =>
        refuseStarts > 0 && events.some((e) => e.type === 'search_started') && expected === undefined
          ? (refuseStarts--, Promise.reject(new NasError('journal unavailable', 'unavailable', true)))
          : refuseFinishes > 0 && events.some((e) => e.type === 'search_finished')
            ? (refuseFinishes--, Promise.reject(new NasError('journal unavailable', 'unavailable', true)))
            : journal.append(id, events, expected),
      read: (id, from) => journal.read(id, from),
      list: () => journal.list(),
    };
    const queue = new InMemoryTaskQueue();
    const results = new InMemoryResultChannel();
    const coordinator = new Coordinator({ queue, results, journal: flaky, factory: createTableSearchFactory(bench), maxRunningSearches: 1, redispatchMs: 50 });
    await coordinator.start();
    const worker = await startWorker({ queue, results, evaluator: new TableTrialEvaluator(bench), workerId: 'w', concurrency: 2 });
    try {
      const spec = { ...SPEC, strategy: 'random', constraints: [], budget: 6, maxInFlight: 2 };
      refuseStarts = 2;
      // The first search's end cannot be logged at first either: it ends on a later try.
      refuseFinishes = 1;
      const a = await coordinator.submit({ ...spec, seed: 1 });
      const b = await coordinator.submit({ ...spec, seed: 2 });
      expect(coordinator.get(b).state).toBe('pending');
      await coordinator.waitFor(a);
      const vb = await coordinator.waitFor(b);
      expect([refuseStarts, refuseFinishes]).toEqual([0, 0]);
      expect(vb).toMatchObject({ state: 'succeeded', counts: { evaluationsDone: 6 } });
    } finally {
      await worker.stop();
      await coordinator.stop();
    }
  });
});
