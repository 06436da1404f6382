import { Benchmark } from '@hwnas/bench-core';
import { describeWithData } from '@hwnas/bench-core/testing';
import { startEmbedded } from './embedded';
import { InMemoryTrialJournal } from './in-memory/trial-journal';
import { createTableSearchFactory, TableTrialEvaluator } from './tabular';

const SPEC = { space: 'nb201', dataset: 'cifar10', strategy: 'random', objectives: ['accuracy'], budget: 40, seed: 3, maxInFlight: 16 };

describeWithData('runtime: Coordinator submission and batching', (dataDir) => {
  const bench = Benchmark.open({ dataDir });
  const factory = createTableSearchFactory(bench);
  const evaluator = new TableTrialEvaluator(bench);

  it('Coordinator - a repeated request id returns the same search; a different request with it is already_exists', async () => {
    const journal = new InMemoryTrialJournal();
    const emb = await startEmbedded({ factory, evaluator, journal });
    try {
      const a = await emb.coordinator.submit(SPEC, { requestId: 'r1', attachment: { labels: { x: '1' } } });
      expect(await emb.coordinator.submit(SPEC, { requestId: 'r1', attachment: { labels: { x: '1' } } })).toBe(a);
      await expect(emb.coordinator.submit({ ...SPEC, seed: 4 }, { requestId: 'r1' })).rejects.toMatchObject({ code: 'already_exists' });
      expect(emb.coordinator.get(a)).toMatchObject({ requestId: 'r1', attachment: { labels: { x: '1' } } });
      await emb.coordinator.waitFor(a);
    } finally {
      await emb.stop();
    }
    // The key survives a restart (it is in the journal).
    const again = await startEmbedded({ factory, evaluator, journal });
    try {
      const [view] = again.coordinator.list();
      expect(await again.coordinator.submit(SPEC, { requestId: 'r1', attachment: { labels: { x: '1' } } })).toBe(view.searchId);
    } finally {
      await again.stop();
    }
  });

  it('Coordinator - results landing together are applied in batches, each evaluated once, and replay the same', async () => {
    const journal = new InMemoryTrialJournal();
    const emb = await startEmbedded({ factory, evaluator, journal, workers: 4, concurrency: 8 });
    let id: string;
    let keys: string[];
    try {
      id = await emb.coordinator.submit(SPEC);
      const view = await emb.coordinator.waitFor(id);
      expect(view.counts.evaluationsDone).toBe(40);
      keys = emb.coordinator.history(id).map((h) => h.key);
      expect(new Set(keys).size).toBe(40);
      expect(emb.coordinator.history(id).every((h) => typeof h.at === 'number')).toBe(true);
    } finally {
      await emb.stop();
    }
    const again = await startEmbedded({ factory, evaluator, journal });
    try {
      expect(again.coordinator.history(id).map((h) => h.key)).toEqual(keys);
    } finally {
      await again.stop();
    }
  });

  it('Coordinator - a bound below the metric\'s least value over the space is rejected at submit, saying why', async () => {
    const emb = await startEmbedded({ factory, evaluator });
    try {
      const least = Math.min(...bench.nb201.column('cifar10', 'raspi4_latency'));
      await expect(emb.coordinator.submit({ ...SPEC, constraints: ['raspi4_latency<=-1'] })).rejects.toMatchObject({
        code: 'invalid_argument',
        message: `constraints: raspi4_latency<=-1 can never be met: no architecture of the nb201 space on cifar10 has raspi4_latency below ${least} ms`,
      });
      // The least value itself is a bound some architecture meets: accepted.
      const id = await emb.coordinator.submit({ ...SPEC, constraints: [`raspi4_latency<=${least}`], budget: 5 });
      await emb.coordinator.waitFor(id);
      expect(emb.coordinator.list()).toHaveLength(1);
    } finally {
      await emb.stop();
    }
  });

  it('Coordinator - a search that evaluated nothing feasible ends failed (no_feasible_architecture), never succeeded', async () => {
    const emb = await startEmbedded({ factory, evaluator });
    try {
      const least = Math.min(...bench.nb201.column('cifar10', 'raspi4_latency'));
      const id = await emb.coordinator.submit({ ...SPEC, constraints: [`raspi4_latency<=${least}`], budget: 10 });
      const view = await emb.coordinator.waitFor(id);
      expect(view).toMatchObject({ state: 'failed', failureCode: 'no_feasible_architecture', counts: { evaluationsDone: 10 } });
      expect(view.finishReason).toBe(`no feasible architecture: none of the 10 evaluated architectures meets raspi4_latency<=${least}`);
      expect(view.best).toBeUndefined();
      // Without constraints the same search succeeds.
      const free = await emb.coordinator.waitFor(await emb.coordinator.submit({ ...SPEC, budget: 10 }));
      expect(free).toMatchObject({ state: 'succeeded', finishReason: 'budget' });
      expect(free.failureCode).toBeUndefined();
    } finally {
      await emb.stop();
    }
  });

  it('Coordinator - delete: a running search is refused, a finished one is gone, also after a restart', async () => {
    const journal = new InMemoryTrialJournal();
    const emb = await startEmbedded({ factory, evaluator, journal, workers: 0 });
    let running: string;
    let kept: string;
    try {
      running = await emb.coordinator.submit(SPEC);
      await expect(emb.coordinator.delete(running)).rejects.toMatchObject({ code: 'failed_precondition', message: expect.stringMatching(/is running: cancel it/) });
      kept = await emb.coordinator.submit({ ...SPEC, seed: 4 });
      await emb.coordinator.cancel(running, 'test');
      await expect(emb.coordinator.delete('nope')).rejects.toMatchObject({ code: 'not_found' });
    } finally {
      await emb.stop();
    }
    // Restarted with a worker: what was in flight drains, and the cancelled search ends.
    const again = await startEmbedded({ factory, evaluator, journal, workers: 1 });
    try {
      await again.coordinator.waitFor(running);
      await again.coordinator.waitFor(kept);
      await again.coordinator.delete(running);
      expect(() => again.coordinator.get(running)).toThrow(/not found/);
      expect(again.coordinator.list().map((v) => v.searchId)).toEqual([kept]);
    } finally {
      await again.stop();
    }
    const third = await startEmbedded({ factory, evaluator, journal });
    try {
      expect(third.coordinator.list().map((v) => v.searchId)).toEqual([kept]);
    } finally {
      await third.stop();
    }
  });
});
