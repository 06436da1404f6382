import { archRank, nb201Space, NB201_SIZE } from '@hwnas/bench-core';
import { syntheticMetrics } from '@hwnas/search/testing';
import { lowFidelityRanking, renderTaskEMarkdown, runTaskE } from './task-e';
import { taskC } from './tasks';

/** Synthetic task E tables over the NB201 space: the 12-epoch accuracy is a noisy, lower copy of the 200-epoch one. */
function tables() {
  const accuracy = new Float64Array(NB201_SIZE);
  const accuracy12 = new Float64Array(NB201_SIZE);
  const latency = new Float64Array(NB201_SIZE);
  for (let i = 0; i < NB201_SIZE; i++) {
    const arch: number[] = [];
    for (let d = 5, r = i; d >= 0; d--, r = Math.floor(r / 5)) arch[d] = r % 5;
    const m = syntheticMetrics(arch);
    accuracy[i] = m.accuracy;
    accuracy12[i] = 0.9 * m.accuracy - ((i * 7919) % 13) / 4;
    latency[i] = m.toy_latency;
  }
  return { space: nb201Space, accuracy, accuracy12, costs: { toy_latency: latency }, indexOf: (a: readonly number[]) => archRank(nb201Space, a) };
}

describe('task E', () => {
  it('runTaskE - regret per epoch budget, random at full fidelity first, deterministic', () => {
    const t = tables();
    const go = () => runTaskE(t, { budgets: [4000, 2000], seeds: 2, strategies: ['rea'], schedulers: ['asha', 'sh'] });
    const report = go();
    expect(report.rungs).toEqual([12, 200]);
    const table = report.tables[0];
    expect(table.budgets).toEqual([2000, 4000]);
    expect(table.rows.map((r) => `${r.strategy}+${r.scheduler}`)).toEqual(['random+none', 'random+asha', 'random+sh', 'rea+none', 'rea+asha', 'rea+sh']);
    for (const r of table.rows) {
      expect(r.regret[1].mean).toBeLessThanOrEqual(r.regret[0].mean);
      expect(r.epochsSpent.mean).toBeLessThanOrEqual(4000);
      if (r.scheduler === 'none') expect(r.fullTrainings.mean).toBe(20);
      else expect(r.trials.mean).toBeGreaterThan(r.fullTrainings.mean);
      expect(r.optimumTrained).toBeLessThanOrEqual(r.optimumSeen);
      expect(r.optimumSeen).toBeLessThanOrEqual(2);
    }
    expect(go()).toEqual(report);
    const md = renderTaskEMarkdown(report, ['header line']);
    expect(md).toContain('| random | none |');
    expect(md).toContain('header line');
    expect(md).toContain('| optimum seen / trained |');
  });

  it('runTaskE - budget-sh runs once per budget: a cell equals a run at that budget alone', () => {
    const t = tables();
    const both = runTaskE(t, { budgets: [2000, 6000], seeds: 2, strategies: ['rea'], schedulers: ['budget-sh'] }).tables[0];
    const small = runTaskE(t, { budgets: [2000], seeds: 2, strategies: ['rea'], schedulers: ['budget-sh'] }).tables[0];
    const row = (tb: typeof both, s: string) => tb.rows.find((r) => r.strategy === 'rea' && r.scheduler === s)!;
    expect(row(both, 'budget-sh').regret[0]).toEqual(row(small, 'budget-sh').regret[0]);
    // Every run ends with full trainings: its promotions come after its exploration, within its budget.
    expect(row(both, 'budget-sh').noneFeasible).toEqual([0, 0]);
    expect(row(both, 'budget-sh').trials.mean).toBeGreaterThan(row(both, 'budget-sh').fullTrainings.mean);
    expect(renderTaskEMarkdown(runTaskE(t, { budgets: [2000], seeds: 1, strategies: ['rea'], schedulers: ['budget-sh'] }))).toContain('is run once per budget');
  });

  it('runTaskE - rejects unknown devices and bad budgets', () => {
    expect(() => runTaskE(tables(), { devices: ['raspi4_latency'] })).toThrow(/no cost column "raspi4_latency"; available: toy_latency/);
    expect(() => runTaskE(tables(), { budgets: [0] })).toThrow(/positive integers/);
  });

  it('lowFidelityRanking - rank of the optimum by the low fidelity, and the regret of its top k', () => {
    const acc = [90, 80, 70, 95, 60];
    const acc12 = [50, 60, 55, 40, 10];
    const cost = [1, 1, 1, 1, 9];
    const info = taskC(acc, cost, 80); // every index but 4 feasible; optimum 95 at index 3
    expect(lowFidelityRanking(info, acc, acc12, cost, [1, 2, 3, 4])).toEqual({
      optimumRank: 4,
      regretOfTop: [
        { k: 1, regret: 15 },
        { k: 2, regret: 15 },
        { k: 3, regret: 5 },
        { k: 4, regret: 0 },
      ],
    });
  });
});
