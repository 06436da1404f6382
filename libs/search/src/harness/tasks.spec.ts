import { Benchmark, nb201Space } from '@hwnas/bench-core';
import { describeWithData } from '@hwnas/bench-core/testing';
import { runBenchSearch } from './bench-search';
import { renderBenchMarkdown } from './report';
import { hvOf, percentile, regretOf, taskC, taskP } from './tasks';

describe('harness tasks', () => {
  it('percentile - matches numpy linear interpolation', () => {
    // numpy.percentile([1, 2, 3, 4, 10], 25) == 2.0; ([1, 2, 3, 4], 25) == 1.75; (.., 90) == 3.7
    expect(percentile([10, 1, 3, 2, 4], 25)).toBe(2);
    expect(percentile([4, 3, 2, 1], 25)).toBeCloseTo(1.75, 12);
    expect(percentile([1, 2, 3, 4], 90)).toBeCloseTo(3.7, 12);
  });

  it('taskC / regretOf - regret against the feasible optimum, with the nothing-feasible rule', () => {
    const acc = [50, 90, 80, 95, 70];
    const cost = [1, 2, 3, 9, 4];
    const info = taskC(acc, cost, 50); // T = 3
    expect(info).toMatchObject({ threshold: 3, optimum: 90, optimumIndex: 1, worstFeasible: 50, feasibleCount: 3 });
    expect(regretOf(info, acc, cost, [2, 3])).toEqual({ regret: 10, noneFeasible: false });
    expect(regretOf(info, acc, cost, [3, 4])).toEqual({ regret: 40, noneFeasible: true });
  });

  it('taskP / hvOf - normalised hypervolume with reference (accuracy 0, cost 1)', () => {
    const acc = [0, 100, 50];
    const cost = [0, 10, 5];
    const info = taskP(acc, cost);
    // Normalised points (acc, cost): (0,0), (1,1), (0.5,0.5): only the third adds area 0.5 * 0.5.
    expect(info.trueHv).toBeCloseTo(0.25, 12);
    expect(info.frontSize).toBe(3);
    expect(hvOf(info, acc, cost, [2])).toEqual({ ratio: 1, gap: 0 });
    expect(hvOf(info, acc, cost, [0, 1]).ratio).toBe(0);
  });
});

describeWithData('harness on the NAS-Bench-201 tables', (dataDir) => {
  const bench = Benchmark.open({ dataDir });
  const acc = bench.nb201.column('cifar10', 'accuracy');

  it.each([
    ['raspi4_latency', 15.7228, 92.145],
    ['pixel3_latency', 6.4411, 92.1367],
  ])('taskC - %s: T = %s ms, optimum %s, 3907 feasible (TASKS.md reference points)', (device, t, optimum) => {
    const info = taskC(acc, bench.nb201.column('cifar10', device));
    expect(info.threshold).toBeCloseTo(t, 4);
    expect(info.optimum).toBeCloseTo(optimum, 4);
    expect(info.feasibleCount).toBe(3907);
  });

  it('runBenchSearch - a tiny smoke run produces both tasks, both modes and a markdown table', () => {
    const tables = {
      space: nb201Space,
      accuracy: acc,
      costs: { pixel3_latency: bench.nb201.column('cifar10', 'pixel3_latency') },
      indexOf: (a: readonly number[]) => bench.nb201.indexOf(a),
    };
    const report = runBenchSearch(tables, { seeds: 2, budgetsC: [10, 20], budgetsP: [20], strategies: ['rea', 'nsga2'] });
    expect(report.tables.map((t) => `${t.task} ${t.mode}`)).toEqual(['C joint', 'C cost-first', 'P joint', 'P cost-first']);
    expect(report.tables[1].rows.map((r) => r.strategy)).toEqual(['random', 'random+screen', 'rea', 'nsga2']);
    for (const t of report.tables) for (const r of t.rows) for (const v of r.value) expect(Number.isFinite(v.mean)).toBe(true);
    const md = renderBenchMarkdown(report);
    expect(md).toContain('## Task C (constrained), pixel3_latency, cost-first mode');
    expect(md).toContain('| random+screen |');
  });
});
