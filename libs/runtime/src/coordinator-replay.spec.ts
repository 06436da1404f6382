import { Benchmark, costMetricInfo, nb201Space } from '@hwnas/bench-core';
import { describeWithData } from '@hwnas/bench-core/testing';
import type { Coordinator } from './coordinator';
import { startEmbedded } from './embedded';
import type { SearchEvent, SequencedEvent } from './events';
import { InMemoryTrialJournal } from './in-memory/trial-journal';
import type { TrialJournal } from './ports/trial-journal';
import { replaySearch } from './search-replay';
import { screenOfCostModels } from './search-screening';
import { ratioCostModels } from './testing/ratio-cost-models';
import type { SearchRecord } from './search-record';
import { normalizeSearchSpec } from './search-spec';
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

  // Screened searches: raspi4's latency predicted from pixel3's, measured on the "device" (the table, through a device client).
  const costModels = ratioCostModels(bench, { device: 'raspi4', metric: 'raspi4_latency', reference: 'pixel3_latency', ratio: 2.4 });
  const raspi4 = bench.nb201.column('cifar10', 'raspi4_latency');
  const devices = { measure: async (_d: string, req: { arch: string }) => ({ raspi4_latency: raspi4[bench.nb201.indexOf(nb201Space.parse(req.arch))] }), metrics: () => [costMetricInfo('raspi4_latency')] };
  const screenedFactory = createTableSearchFactory(bench, devices);

  async function record(spec: object, cancelAfter?: number) {
    const journal = new SnapshotJournal();
    const screened = 'costModel' in spec;
    const emb = await startEmbedded({ factory: screened ? screenedFactory : factory, evaluator: new TableTrialEvaluator(bench, devices), workers: 2, concurrency: 3, journal, costModels });
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
    const rec = await replaySearch(events, () => (spec) => (spec.costModel ? screenedFactory : factory).setup(spec), screenOfCostModels(costModels));
    if (!rec) throw new Error('nothing replayed');
    return rec;
  }

  it.each([
    ['a constrained REA search with batched results', { space: 'nb201', dataset: 'cifar10', strategy: 'rea', objectives: ['accuracy'], constraints: ['raspi4_latency<=15.7228'], budget: 40, seed: 5, maxInFlight: 6 }, undefined],
    ['a cost-first Pareto search (cost queries, cached answers)', { space: 'nb201', dataset: 'cifar10', strategy: 'nsga2', objectives: ['accuracy', 'raspi4_latency'], mode: 'cost-first', budget: 30, seed: 2, maxInFlight: 5 }, undefined],
    // Screening decisions are journalled (costs_screened); a held full result waits for its verification.
    ['a cost-first search screened with a cost model', { space: 'nb201', dataset: 'cifar10', strategy: 'random', objectives: ['accuracy'], constraints: ['raspi4_latency<=15.7228'], mode: 'cost-first', devices: ['raspi4'], costModel: { device: 'raspi4', z: 2 }, budget: 30, seed: 6, maxInFlight: 4 }, undefined],
    ['a search cancelled mid-way', { space: 'nb201', dataset: 'cifar10', strategy: 'random', objectives: ['accuracy'], budget: 200, seed: 1, maxInFlight: 4 }, 10],
    // Promotions are tasks of their own: replaying their results rebuilds the scheduler's brackets.
    ['a search with successive halving (promotions)', { space: 'nb201', dataset: 'cifar10', strategy: 'rea', objectives: ['accuracy'], constraints: ['raspi4_latency<=15.7228'], budget: 24, seed: 4, maxInFlight: 4, training: { epochs: 9, scheduler: 'sh', minEpochs: 1 } }, undefined],
  ])('replay - %s: every cut of the log replays to the live state at that point', async (_name, spec, cancelAfter) => {
    const { events, live } = await record(spec, cancelAfter);
    expect(events[events.length - 1].event.type).toBe('search_finished');
    if ('costModel' in spec) {
      const decisions = events.flatMap(({ event: e }) => (e.type === 'costs_screened' ? e.decisions.map((d) => d.decision) : []));
      for (const kind of ['measure', 'predict', 'verify']) expect(decisions).toContain(kind);
    }
    // Torn logs: the log cut after every event the live coordinator had applied.
    expect(live.size).toBeGreaterThan(3);
    for (const [length, state] of live) {
      const rec = await replayed(events.slice(0, length));
      const trials = rec.run!.trials();
      expect({ length, state: stateOf(viewOf(rec, 0), trials) }).toEqual({ length, state });
    }
  });

  it('replay - successive halving: a promotion is journalled as the result of a task of its own, and only a top-rung result is the best', async () => {
    const { events } = await record({ space: 'nb201', dataset: 'cifar10', strategy: 'random', objectives: ['accuracy'], budget: 9, seed: 4, maxInFlight: 3, training: { epochs: 9, scheduler: 'sh', minEpochs: 1 } });
    const taskIds = events.flatMap(({ event: e }) => (e.type === 'trial_completed' || e.type === 'trial_failed' ? [e.result.taskId] : e.type === 'trials_landed' ? e.results.map((r) => r.taskId) : []));
    // One bracket of 9 at epoch 1, its best 3 at epoch 3, the best of those at epoch 9.
    expect(taskIds.filter((t) => !t.includes('@'))).toHaveLength(9);
    expect(taskIds.filter((t) => t.endsWith('@3'))).toHaveLength(3);
    expect(taskIds.filter((t) => t.endsWith('@9'))).toHaveLength(1);
    const rec = await replayed(events);
    const top = Number(taskIds.find((t) => t.endsWith('@9'))!.split('.').pop()!.split('@')[0]);
    expect(rec.run!.best()).toMatchObject({ trialId: top, epochs: 9 });
    expect(rec.run!.fateOf(top)).toBe('completed');
  });

  it('replay - a deleted search replays to nothing; an empty log to nothing', async () => {
    const { events } = await record({ space: 'nb201', dataset: 'cifar10', strategy: 'random', objectives: ['accuracy'], budget: 5, seed: 1, maxInFlight: 2 });
    expect(await replaySearch([...events, { seq: events.length + 1, event: { type: 'search_deleted', at: 1 } }], () => (spec) => factory.setup(spec))).toBeUndefined();
    expect(await replaySearch([], () => (spec) => factory.setup(spec))).toBeUndefined();
  });

  it('replay - late reports (after their result, or after the end) are curve points only: the same trials, stopped set and outcome as without them', async () => {
    const spec = normalizeSearchSpec({ space: 'nb201', dataset: 'cifar10', strategy: 'random', budget: 2, seed: 3, maxInFlight: 1, training: { epochs: 3, scheduler: 'asha', minEpochs: 1 } });
    const at = 1000;
    const result = (trialId: number, accuracy: number) => ({ taskId: `s.${trialId}`, searchId: 's', trialId, status: 'ok', metrics: { accuracy, valid_accuracy: accuracy } }) as const;
    const report = (trialId: number, epoch: number, accuracy: number, late?: true) => ({ type: 'trial_report', trialId, epoch, metrics: { valid_accuracy: accuracy }, at, ...(late ? { late } : {}) }) as const;
    const log: SearchEvent[] = [
      { type: 'search_submitted', searchId: 's', spec, at },
      { type: 'search_started', at },
      report(0, 1, 50),
      { type: 'trial_completed', result: result(0, 52), at },
      report(0, 2, 51, true),
      { type: 'trial_completed', result: result(1, 30), at },
      { type: 'search_finished', status: 'succeeded', reason: 'budget', at },
      // Judged, 5 after trial 0's 50 at epoch 1 would stop trial 1.
      report(1, 1, 5, true),
    ];
    const sequenced = (events: readonly SearchEvent[]) => events.map((event, i) => ({ seq: i + 1, event }));
    const rec = await replayed(sequenced(log));
    const without = await replayed(sequenced(log.filter((e) => !(e.type === 'trial_report' && e.late))));
    expect([...rec.curves].map(([trialId, curve]) => [trialId, curve.map((p) => p.epoch)])).toEqual([[0, [1, 2]], [1, [1]]]);
    expect(rec.stopped).toEqual(new Map());
    expect(rec.dispatched).toEqual(new Set([0, 1]));
    expect(rec.run!.trials()).toEqual(without.run!.trials());
    expect({ ...viewOf(rec, at), updatedAt: 0 }).toEqual({ ...viewOf(without, at), updatedAt: 0 });
    // Judged as an in-flight report, the same point would have stopped trial 1.
    const judged = await replayed(sequenced(log.map((e) => (e.type === 'trial_report' && e.trialId === 1 ? report(1, 1, 5) : e))));
    expect(judged.stopped).toEqual(new Map([[1, 1]]));
  });
});
