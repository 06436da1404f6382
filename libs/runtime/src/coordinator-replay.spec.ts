import { Benchmark } from '@hwnas/bench-core';
import { describeWithData } from '@hwnas/bench-core/testing';
import type { Coordinator } from './coordinator';
import { startEmbedded } from './embedded';
import type { SearchEvent, SequencedEvent } from './events';
import { InMemoryTrialJournal } from './in-memory/trial-journal';
import type { TrialJournal } from './ports/trial-journal';
import { replaySearch } from './search-replay';
import type { SearchRecord } from './search-record';
import { viewOf } from './search-view';
import type { SearchView } from './search-view';
import { createTableSearchFactory, TableTrialEvaluator } from './tabular';

/** What must be equal between a live coordinator and a replay: the view (less its rate) and every told trial. */
function stateOf(view: SearchView, trials: readonly unknown[]): string {
  const { evaluationsPerSecond: _rate, etaMs: _eta, ...rest } = view;
  return JSON.stringify({ view: rest, trials });
}

/**
 * A journal that, before each append of a search, takes the coordinator's live state: every
 * append happens after the events before it were applied (appends of a search are serialized), so
 * this is the live state after exactly the events already in the log.
 */
class SnapshotJournal implements TrialJournal {
  readonly inner = new InMemoryTrialJournal();
  /** Live state by log length. */
  readonly live = new Map<number, string>();
  coordinator?: Coordinator;

  async append(searchId: string, events: readonly SearchEvent[], expectedSeq?: number): Promise<number> {
    const length = (await this.list()).includes(searchId) ? await this.lengthOf(searchId) : 0;
    if (length > 0 && this.coordinator) this.live.set(length, stateOf(this.coordinator.get(searchId), this.coordinator.trials(searchId)));
    return this.inner.append(searchId, events, expectedSeq);
  }
  read(searchId: string, from?: number): AsyncIterable<SequencedEvent> {
    return this.inner.read(searchId, from);
  }
  list(): Promise<string[]> {
    return this.inner.list();
  }
  private async lengthOf(searchId: string): Promise<number> {
    let n = 0;
    for await (const _ of this.inner.read(searchId)) n++;
    return n;
  }
}

describeWithData('runtime: recovery = replaying the journal through the live fold', (dataDir) => {
  const bench = Benchmark.open({ dataDir });
  const factory = createTableSearchFactory(bench);

  async function record(spec: object, cancelAfter?: number) {
    const journal = new SnapshotJournal();
    const emb = await startEmbedded({ factory, evaluator: new TableTrialEvaluator(bench), workers: 2, concurrency: 3, journal });
    journal.coordinator = emb.coordinator;
    const id = await emb.coordinator.submit(spec);
    if (cancelAfter !== undefined) {
      await new Promise<void>((resolve) => {
        const stop = emb.coordinator.watch(id, (u) => {
          if (u.type === 'evaluation' && u.evaluation.tellIndex! >= cancelAfter) {
            stop();
            resolve();
          }
        });
      });
      await emb.coordinator.cancel(id);
    }
    await emb.coordinator.waitFor(id);
    await emb.stop();
    const events: SequencedEvent[] = [];
    for await (const e of journal.inner.read(id)) events.push(e);
    journal.live.set(events.length, stateOf(emb.coordinator.get(id), emb.coordinator.trials(id)));
    return { events, live: journal.live };
  }

  async function replayed(events: readonly SequencedEvent[]): Promise<SearchRecord> {
    const rec = await replaySearch(events, () => (spec) => factory.setup(spec));
    if (!rec) throw new Error('nothing replayed');
    return rec;
  }

  it.each([
    ['a constrained REA search with batched results', { space: 'nb201', dataset: 'cifar10', strategy: 'rea', objectives: ['accuracy'], constraints: ['raspi4_latency<=15.7228'], budget: 40, seed: 5, maxInFlight: 6 }, undefined],
    ['a cost-first Pareto search (cost queries, cached answers)', { space: 'nb201', dataset: 'cifar10', strategy: 'nsga2', objectives: ['accuracy', 'raspi4_latency'], mode: 'cost-first', budget: 30, seed: 2, maxInFlight: 5 }, undefined],
    ['a search cancelled mid-way', { space: 'nb201', dataset: 'cifar10', strategy: 'random', objectives: ['accuracy'], budget: 200, seed: 1, maxInFlight: 4 }, 10],
  ])('replay - %s: every cut of the log replays to the live state at that point', async (_name, spec, cancelAfter) => {
    const { events, live } = await record(spec, cancelAfter);
    expect(events[events.length - 1].event.type).toBe('search_finished');
    // Torn logs: the log cut after every event the live coordinator had applied.
    expect(live.size).toBeGreaterThan(3);
    for (const [length, state] of live) {
      const rec = await replayed(events.slice(0, length));
      const trials = rec.run!.trials();
      expect({ length, state: stateOf(viewOf(rec, 0), trials) }).toEqual({ length, state });
    }
  });

  it('replay - a deleted search replays to nothing; an empty log to nothing', async () => {
    const { events } = await record({ space: 'nb201', dataset: 'cifar10', strategy: 'random', objectives: ['accuracy'], budget: 5, seed: 1, maxInFlight: 2 });
    expect(await replaySearch([...events, { seq: events.length + 1, event: { type: 'search_deleted', at: 1 } }], () => (spec) => factory.setup(spec))).toBeUndefined();
    expect(await replaySearch([], () => (spec) => factory.setup(spec))).toBeUndefined();
  });
});
