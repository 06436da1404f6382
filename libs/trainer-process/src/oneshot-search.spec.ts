import { getSpace, InvalidArgumentError } from '@hwnas/bench-core';
import type { Metrics } from '@hwnas/bench-core';
import type { EvalTask, TrialEvaluator } from '@hwnas/runtime';
import { oneShotCostTable, runOneShotSearch } from './oneshot-search';
import { ProcessTrainerEvaluator } from './trainer-evaluator';

/** Costs of an NB201 cell: a known per-(edge, op) sum plus an interaction, so that differences are checkable. */
class SyntheticCosts implements TrialEvaluator {
  readonly seen: EvalTask[] = [];
  evaluate(task: EvalTask): Metrics {
    this.seen.push(task);
    const arch = getSpace('nb201').parse(task.arch);
    const latency = 1 + arch.reduce((s, op, edge) => s + op * (edge + 1), 0) + (arch[0] === 3 && arch[1] === 3 ? 10 : 0);
    return task.need === 'costs' ? (task.metrics.includes('sim_latency') ? { sim_latency: latency } : {}) : { sim_latency: latency };
  }
}

describe('oneShotCostTable', () => {
  it('oneShotCostTable - each choice costs its difference from the all-first cell, measured by cost queries on the devices', async () => {
    const costs = new SyntheticCosts();
    const table = await oneShotCostTable(costs, { searchId: 's', space: 'nb201', dataset: 'cifar10', metric: 'sim_latency', devices: ['sim'] });
    expect(table).toEqual([0, 1, 2, 3, 4, 5].map((edge) => [0, 1, 2, 3, 4].map((op) => op * (edge + 1))));
    // 1 base + 6 edges x 4 other ops, each a cost query for the metric on the search's devices
    expect(costs.seen).toHaveLength(25);
    expect(costs.seen.every((t) => t.need === 'costs' && t.metrics[0] === 'sim_latency' && t.devices[0] === 'sim')).toBe(true);
  });

  it('oneShotCostTable - a metric neither the tables nor the devices give is named', async () => {
    await expect(oneShotCostTable(new SyntheticCosts(), { searchId: 's', space: 'nb201', dataset: 'cifar10', metric: 'nope_latency', devices: [] })).rejects.toThrow(
      /cost metric "nope_latency" is neither in the tables of nb201 cifar10 nor measured by the devices \[\]/,
    );
  });
});

describe('runOneShotSearch', () => {
  const trainer = new ProcessTrainerEvaluator({ command: 'unused', workRoot: '/nonexistent', epochs: 1 });
  const base = { searchId: 's', space: 'nb201', dataset: 'cifar10', method: 'darts' as const, epochs: 1, devices: [] };
  it('runOneShotSearch - refuses a bad method, weight or bound before running anything', async () => {
    const costs = new SyntheticCosts();
    const cases: [object, RegExp][] = [
      [{ method: 'enas' }, /method "enas" is not one of darts, na-darts, nas-ood/],
      [{ costMetric: 'sim_latency', costWeight: -1 }, /cost weight must be a finite number >= 0/],
      [{ costMetric: 'sim_latency', costTarget: 0 }, /cost bound must be a positive number/],
      [{ costWeight: 1 }, /needs a cost metric/],
    ];
    for (const [patch, reason] of cases) {
      const err = await runOneShotSearch({ ...base, ...patch } as never, { trainer, costs }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as Error).message).toMatch(reason);
    }
    expect(costs.seen).toHaveLength(0);
  });
});
