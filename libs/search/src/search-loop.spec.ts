import { archKey } from '@hwnas/bench-core';
import type { Arch } from '@hwnas/bench-core';
import { SYNTHETIC_METRICS, syntheticMetrics, toySpace } from '@hwnas/search/testing';
import { createProblem } from './problem';
import { SearchLoop } from './search-loop';
import type { LoopTask } from './search-loop';
import type { Candidate, SearchStrategy, StrategyState, TrialNeed, TrialResult } from './strategy';

const space = toySpace([4, 4]);
const problem = createProblem({ objectives: ['accuracy'], costFirst: true }, SYNTHETIC_METRICS);

/** A strategy that proposes a fixed list (needs and architectures), one trial number each. */
class Scripted implements SearchStrategy {
  readonly told: number[] = [];
  private next = 0;
  constructor(private readonly script: readonly (readonly [TrialNeed, Arch])[]) {}
  ask(n: number): readonly Candidate[] {
    const out: Candidate[] = [];
    while (out.length < n && this.next < this.script.length) {
      const [need, arch] = this.script[this.next];
      out.push({ trialId: this.next++, arch, need });
    }
    return out;
  }
  tell(r: TrialResult): void {
    this.told.push(r.trialId);
  }
  snapshot(): StrategyState {
    return { strategy: 'scripted', version: 1, data: { next: this.next } };
  }
}

/** Answers every task at once, in dispatch order; returns the tasks dispatched. */
function drive(loop: SearchLoop): LoopTask[] {
  const done: LoopTask[] = [];
  const queue = [...loop.start().dispatch];
  while (queue.length) {
    const t = queue.shift()!;
    done.push(t);
    queue.push(...loop.accept({ taskId: t.taskId, status: 'ok', metrics: syntheticMetrics(loop.archOf(t.trialId)) }).dispatch);
  }
  return done;
}

describe('SearchLoop', () => {
  it('SearchLoop - the budget counts distinct full evaluations; repeats are answered from the cache and count nothing', () => {
    const a: Arch = [0, 0];
    const b: Arch = [1, 2];
    const strategy = new Scripted([['full', a], ['full', a], ['costs', a], ['full', b], ['full', [3, 3]]]);
    const loop = new SearchLoop('s', { strategy: 'scripted', budget: 2, maxInFlight: 1, ordering: 'ordered' }, { space, problem, strategy });
    const tasks = drive(loop);
    expect(tasks.map((t) => [t.trialId, t.need, t.key])).toEqual([
      [0, 'full', archKey(space, a)],
      [3, 'full', archKey(space, b)],
    ]);
    expect(strategy.told).toEqual([0, 1, 2, 3]);
    expect(loop.finished).toBe(true);
    expect(loop.finishReason).toBe('budget');
    expect(loop.counts).toMatchObject({ evaluationsDispatched: 2, evaluationsDone: 2, costQueries: 0, inFlight: 0 });
    expect(loop.trials().map((t) => [t.trialId, t.cached === true])).toEqual([
      [0, false],
      [1, true],
      [2, true],
      [3, false],
    ]);
  });

  it('SearchLoop - cost queries stop at maxCostQueries; a strategy with nothing left ends exhausted', () => {
    const costs = new Scripted([['costs', [0, 1]], ['costs', [0, 2]], ['costs', [0, 3]]]);
    const capped = new SearchLoop('c', { strategy: 'scripted', budget: 5, maxInFlight: 1, ordering: 'async', maxCostQueries: 2 }, { space, problem, strategy: costs });
    expect(drive(capped).map((t) => t.need)).toEqual(['costs', 'costs']);
    expect(capped.finishReason).toBe('cost-queries');
    const short = new SearchLoop('e', { strategy: 'scripted', budget: 5, maxInFlight: 2, ordering: 'async' }, { space, problem, strategy: new Scripted([['full', [1, 1]]]) });
    drive(short);
    expect([short.finished, short.finishReason, short.counts.evaluationsDone]).toEqual([true, 'exhausted', 1]);
  });

  it('SearchLoop - a duplicate or unknown result changes nothing', () => {
    const loop = new SearchLoop('d', { strategy: 'scripted', budget: 2, maxInFlight: 2, ordering: 'ordered' }, { space, problem, strategy: new Scripted([['full', [0, 1]], ['full', [2, 1]]]) });
    const [first] = loop.start().dispatch;
    const result = { taskId: first.taskId, status: 'ok' as const, metrics: syntheticMetrics([0, 1]) };
    expect(loop.accept(result).ignored).toBe(false);
    expect(loop.accept(result)).toEqual({ dispatch: [], ignored: true });
    expect(loop.accept({ ...result, taskId: 'd.99' })).toEqual({ dispatch: [], ignored: true });
    expect(loop.counts.evaluationsDone).toBe(1);
  });

  it('SearchLoop - resize widens the window at once and narrows it as results land', () => {
    const arches: Arch[] = [[0, 1], [0, 2], [0, 3], [1, 0], [1, 1], [1, 2], [1, 3]];
    const loop = new SearchLoop('w', { strategy: 'scripted', budget: 7, maxInFlight: 1, ordering: 'ordered' }, { space, problem, strategy: new Scripted(arches.map((a) => ['full', a] as const)) });
    expect(loop.resize(3).dispatch).toEqual([]); // not started: only the window changes
    const first = loop.start().dispatch;
    expect(first.map((t) => t.trialId)).toEqual([0, 1, 2]);
    expect(loop.resize(5).dispatch.map((t) => t.trialId)).toEqual([3, 4]);
    expect(loop.resize(2).dispatch).toEqual([]);
    const answer = (t: LoopTask) => loop.accept({ taskId: t.taskId, status: 'ok', metrics: syntheticMetrics(loop.archOf(t.trialId)) }).dispatch;
    // Five in flight, window 2: nothing new until fewer than two are outstanding.
    expect([...answer(first[0]), ...answer(first[1]), ...answer(first[2])]).toEqual([]);
    expect(loop.counts.inFlight).toBe(2);
    expect(() => loop.resize(0)).toThrow('maxInFlight must be an integer >= 1');
    expect(loop.maxInFlight).toBe(2);
  });
});
