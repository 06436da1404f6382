import { archKey } from '@hwnas/bench-core';
import type { Arch } from '@hwnas/bench-core';
import { SYNTHETIC_METRICS, syntheticMetrics, toySpace } from '@hwnas/search/testing';
import { createProblem } from './problem';
import { createScheduler } from './schedulers/registry';
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

describe('SearchLoop with a promoting scheduler', () => {
  const archs: Arch[] = [[0, 1], [1, 2], [2, 3], [3, 0], [1, 1]];
  /** Accuracy rises with training; which architecture ranks first does not depend on the epochs. */
  const metricsAt = (arch: Arch, epochs: number) => ({ ...syntheticMetrics(arch), accuracy: syntheticMetrics(arch).accuracy + epochs });

  /** Runs a multi-fidelity search, answering the tasks out (two at a time) first-in-first-out or last-in-first-out. */
  function run(order: 'fifo' | 'lifo') {
    const strategy = new Scripted(archs.map((a) => ['full', a] as const));
    // Rungs 2 and 4 epochs, brackets of 4, eta 2: the budget's 5 trials make one full bracket and one cut to a trial.
    const scheduler = createScheduler('sh', { maxEpochs: 4, rungs: [2, 4], eta: 2, bracketSize: 4 });
    const jointProblem = createProblem({ objectives: ['accuracy'] }, SYNTHETIC_METRICS);
    const loop = new SearchLoop('s', { strategy: 'scripted', budget: 5, maxInFlight: 2, ordering: 'ordered' }, { space, problem: jointProblem, strategy, scheduler });
    const out = [...loop.start().dispatch];
    const done: LoopTask[] = [];
    while (out.length) {
      expect(out.length).toBeLessThanOrEqual(2);
      const t = order === 'fifo' ? out.shift()! : out.pop()!;
      done.push(t);
      out.push(...loop.accept({ taskId: t.taskId, status: 'ok', metrics: metricsAt(loop.archOf(t.trialId), t.epochs!) }).dispatch);
    }
    return { loop, strategy, done };
  }

  it('SearchLoop - sh: trials start at the lowest rung, the best of each complete rung are promoted as tasks of their own, only top-rung results are the best', () => {
    const { loop, strategy, done } = run('fifo');
    const acc = (i: number) => syntheticMetrics(archs[i]).accuracy;
    const bracket1 = [0, 1, 2, 3].sort((a, b) => acc(b) - acc(a) || a - b).slice(0, 2);
    expect(done.filter((t) => t.epochs === 2).map((t) => t.trialId)).toEqual([0, 1, 2, 3, 4]);
    // Bracket 1 promotes its best 2 of 4; bracket 2, cut to trial 4 when the budget ran out, promotes it.
    expect(done.filter((t) => t.epochs === 4).map((t) => t.trialId).sort()).toEqual([...bracket1, 4].sort());
    expect(done.filter((t) => t.epochs === 4).every((t) => t.taskId === `s.${t.trialId}@4`)).toBe(true);
    // The strategy hears each trial once, at its first rung, in ask order.
    expect(strategy.told).toEqual([0, 1, 2, 3, 4]);
    expect(loop.history().map((h) => h.epochs)).toEqual([2, 2, 2, 2, 2]);
    const best = [...bracket1, 4].sort((a, b) => acc(b) - acc(a) || a - b)[0];
    expect(loop.best()).toMatchObject({ trialId: best, epochs: 4 });
    expect(loop.finished).toBe(true);
    expect(loop.finishReason).toBe('budget');
    expect(loop.counts).toMatchObject({ evaluationsDispatched: 5, evaluationsDone: 5, inFlight: 0 });
    expect([0, 1, 2, 3, 4].map((i) => loop.fateOf(i))).toEqual([0, 1, 2, 3, 4].map((i) => ([...bracket1, 4].includes(i) ? 'completed' : 'stopped')));
  });

  it('SearchLoop - sh: the same decisions whatever order the results land in', () => {
    const a = run('fifo');
    const b = run('lifo');
    const decisions = (d: LoopTask[]) => d.map((t) => `${t.trialId}@${t.epochs}`).sort();
    expect(decisions(b.done)).toEqual(decisions(a.done));
    expect(b.strategy.told).toEqual(a.strategy.told);
    expect(b.loop.best()?.trialId).toBe(a.loop.best()?.trialId);
  });

  it('SearchLoop - sh: cancel drains what is out, promotes nothing more and finishes', () => {
    const strategy = new Scripted(archs.map((a) => ['full', a] as const));
    const scheduler = createScheduler('sh', { maxEpochs: 4, rungs: [2, 4], eta: 2, bracketSize: 2 });
    const loop = new SearchLoop('s', { strategy: 'scripted', budget: 5, maxInFlight: 2, ordering: 'ordered' }, { space, problem, strategy, scheduler });
    const [t0, t1] = loop.start().dispatch;
    loop.cancel();
    expect(loop.accept({ taskId: t0.taskId, status: 'ok', metrics: metricsAt(archs[0], 2) }).dispatch).toEqual([]);
    expect(loop.accept({ taskId: t1.taskId, status: 'ok', metrics: metricsAt(archs[1], 2) }).dispatch).toEqual([]);
    expect(loop.finished).toBe(true);
    expect(loop.finishReason).toBe('cancelled');
    expect(loop.best()).toBeUndefined();
  });
});
