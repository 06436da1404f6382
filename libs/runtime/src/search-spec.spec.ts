import { normalizeSearchSpec } from './search-spec';
import { Benchmark } from '@hwnas/bench-core';
import { describeWithData } from '@hwnas/bench-core/testing';
import { SearchRun } from './search-run';
import { createTableSearchFactory } from './tabular';

const BASE = { space: 'nb201', dataset: 'cifar10', strategy: 'random', budget: 4, seed: 7 };

describe('search spec: training', () => {
  it('normalizeSearchSpec - training settings with their defaults; errors name the nested field', () => {
    expect(normalizeSearchSpec(BASE).training).toBeUndefined();
    expect(normalizeSearchSpec({ ...BASE, training: { epochs: 3 } }).training).toEqual({ epochs: 3, scheduler: 'none', eta: 3 });
    expect(normalizeSearchSpec({ ...BASE, training: { epochs: 9, scheduler: 'hyperband', minEpochs: 1, eta: 2 } }).training).toEqual({ epochs: 9, scheduler: 'hyperband', minEpochs: 1, eta: 2 });
    expect(() => normalizeSearchSpec({ ...BASE, training: {} })).toThrow('training.epochs: is required');
    expect(() => normalizeSearchSpec({ ...BASE, training: { epochs: 0 } })).toThrow(/^training\.epochs: must be an integer in 1\.\./);
    expect(() => normalizeSearchSpec({ ...BASE, training: { epochs: 3, minEpochs: 5 } })).toThrow(/^training\.minEpochs: must be an integer in 1\.\.3/);
    expect(() => normalizeSearchSpec({ ...BASE, training: { epochs: 3, scheduler: 'pbt' } })).toThrow('training.scheduler: must be one of none, asha, hyperband, sh, budget-sh, got "pbt"');
    expect(normalizeSearchSpec({ ...BASE, training: { epochs: 9, scheduler: 'sh', minEpochs: 1 } }).training).toEqual({ epochs: 9, scheduler: 'sh', minEpochs: 1, eta: 3 });
    expect(() => normalizeSearchSpec({ ...BASE, training: { epochs: 3, minEpochs: 3, scheduler: 'budget-sh' } })).toThrow('training: early stopping needs at least two rungs');
    expect(() => normalizeSearchSpec({ ...BASE, mode: 'cost-first', training: { epochs: 9, scheduler: 'sh' } })).toThrow('training.scheduler: sh promotes trials; it needs mode joint');
    expect(() => normalizeSearchSpec({ ...BASE, training: { epochs: 3, eta: 1 } })).toThrow('training.eta: must be a number greater than 1, got 1');
    expect(() => normalizeSearchSpec({ ...BASE, training: { epochs: 3, minEpochs: 3, scheduler: 'asha' } })).toThrow('training: early stopping needs at least two rungs');
    expect(normalizeSearchSpec({ ...BASE, training: { epochs: 3, minEpochs: 3 } }).training?.minEpochs).toBe(3);
    expect(() => normalizeSearchSpec({ ...BASE, training: 3 })).toThrow(/^training: must be an object/);
  });

  it('normalizeSearchSpec - a one-shot method is a known strategy and needs training without a scheduler', () => {
    expect(normalizeSearchSpec({ ...BASE, strategy: 'na-darts', budget: 2, training: { epochs: 2 } }).strategy).toBe('na-darts');
    expect(() => normalizeSearchSpec({ ...BASE, strategy: 'darts' })).toThrow('training: a one-shot search (darts) needs training with its supernet epochs and no scheduler');
    expect(() => normalizeSearchSpec({ ...BASE, strategy: 'darts', training: { epochs: 3, scheduler: 'asha' } })).toThrow(/^training: a one-shot search/);
    expect(() => normalizeSearchSpec({ ...BASE, strategy: 'dart' })).toThrow(/known strategies: .*gp-bo, darts, na-darts, nas-ood$/);
  });

});

describeWithData('search spec: a trainer search\'s tasks', (dataDir) => {
  const factory = createTableSearchFactory(Benchmark.open({ dataDir }));

  it('SearchRun - a trainer search\'s tasks carry the fidelity (total epochs) and the search\'s seed; others carry neither', () => {
    const trained = normalizeSearchSpec({ ...BASE, maxInFlight: 2, training: { epochs: 3, scheduler: 'asha' } });
    const tasks = new SearchRun('s', trained, factory.setup(trained)).start(0).dispatch;
    expect(tasks).toHaveLength(2);
    for (const t of tasks) expect(t).toMatchObject({ fidelity: { epochs: 3 }, seed: 7 });
    const plain = normalizeSearchSpec(BASE);
    const [task] = new SearchRun('s', plain, factory.setup(plain)).start(0).dispatch;
    expect(task.fidelity).toBeUndefined();
    expect(task.seed).toBeUndefined();
  });

  it('SearchRun - a one-shot search\'s first task is the supernet stage: a plain arch and the oneShot payload', () => {
    const spec = normalizeSearchSpec({ ...BASE, strategy: 'nas-ood', budget: 2, strategyOptions: { costMetric: 'eyeriss_latency', costTarget: '3' }, training: { epochs: 2 } });
    const [task] = new SearchRun('s', spec, factory.setup(spec)).start(0).dispatch;
    expect(task).toMatchObject({ arch: '|none~0|+|none~0|none~1|+|none~0|none~1|none~2|', fidelity: { epochs: 2 }, oneShot: { stage: 'supernet', method: 'nas-ood', costMetric: 'eyeriss_latency', costWeight: 1, costTarget: 3 } });
  });
});
