import { nb201Space } from '@hwnas/bench-core';
import type { Metrics } from '@hwnas/bench-core';
import { SYNTHETIC_METRICS } from '@hwnas/search/testing';
import { derivedArchMetrics, oneShotTaskOf } from './one-shot';
import { createProblem } from './problem';
import { createStrategy, restoreStrategy } from './registry';
import { SearchLoop } from './search-loop';
import type { LoopTask } from './search-loop';

const problem = createProblem({ objectives: ['accuracy'] }, SYNTHETIC_METRICS);
const derived = [3, 1, 0, 2, 4, 1];

/** Runs a one-shot search's loop with a fake worker: the supernet derives `derived`. */
function run(options: Record<string, string>, answer: (t: LoopTask) => { status: 'ok' | 'failed'; metrics?: Metrics } = () => ({ status: 'ok', metrics: { accuracy: 90 } })) {
  const strategy = createStrategy('na-darts', { space: nb201Space, problem, seed: 1 }, options);
  const loop = new SearchLoop('s', { strategy: 'na-darts', budget: 3, maxInFlight: 4, ordering: 'ordered' }, { space: nb201Space, problem, strategy });
  const tasks: LoopTask[] = [];
  const queue = [...loop.start().dispatch];
  while (queue.length) {
    const t = queue.shift()!;
    tasks.push(t);
    const a = t.trialId === 0 && answer(t).status === 'ok' ? { status: 'ok' as const, metrics: { supernet_accuracy: 50, ...derivedArchMetrics(derived) } } : answer(t);
    queue.push(...loop.accept({ taskId: t.taskId, ...a }).dispatch);
  }
  return { loop, tasks, strategy };
}

describe('one-shot strategies', () => {
  it('OneShotStrategy - supernet, then the derived architecture measured, then retrained, one at a time with stage keys', () => {
    const { loop, tasks, strategy } = run({ retrain: 'true', costMetric: 'latency', costWeight: '2' });
    const text = nb201Space.format(derived);
    expect(tasks.map((t) => t.key)).toEqual([`${nb201Space.format([0, 0, 0, 0, 0, 0])}#supernet`, `${text}#measure`, `${text}#retrain`]);
    expect(loop.finished).toBe(true);
    expect(loop.best()?.trialId).toBe(1);
    expect(strategy.recommend?.()).toEqual(derived);
    expect(oneShotTaskOf('na-darts', { costMetric: 'latency', costWeight: '2' }, tasks[1].key)).toEqual({
      arch: text,
      payload: { stage: 'measure', method: 'na-darts', costMetric: 'latency', costWeight: 2 },
    });
    expect(oneShotTaskOf('rea', {}, tasks[1].key)).toBeUndefined();
  });

  it('OneShotStrategy - without retrain the search ends after the measurement; a failed supernet ends it at once', () => {
    expect(run({}).tasks.map((t) => t.key.split('#')[1])).toEqual(['supernet', 'measure']);
    const failed = run({}, () => ({ status: 'failed' }));
    expect(failed.tasks).toHaveLength(1);
    expect(failed.loop.finished).toBe(true);
  });

  it('OneShotStrategy - a supernet result naming no valid architecture ends the search; snapshot restores exactly', () => {
    const ctx = { space: nb201Space, problem, seed: 1 };
    const s = createStrategy('darts', ctx, {});
    const [c] = s.ask(2);
    expect(s.ask(1)).toEqual([]);
    const copy = restoreStrategy('darts', ctx, s.snapshot(), {});
    s.tell({ trialId: 0, arch: c.arch, status: 'ok', metrics: { ...derivedArchMetrics(derived), derived_decision_5: 9 } });
    expect(s.ask(1)).toEqual([]);
    copy.tell({ trialId: 0, arch: c.arch, status: 'ok', metrics: derivedArchMetrics(derived) });
    expect(copy.ask(1)[0].arch).toEqual(derived);
    expect(() => createStrategy('nas-ood', ctx, { costWeight: '-1' })).toThrow(/option costWeight must be a number in 0..inf/);
    expect(() => oneShotTaskOf('darts', {}, nb201Space.format(derived))).toThrow(/names no stage/);
  });
});
