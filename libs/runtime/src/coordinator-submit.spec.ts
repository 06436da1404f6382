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
});
