import { Benchmark, nb201Space } from '@hwnas/bench-core';
import { describeWithData } from '@hwnas/bench-core/testing';
import { runBenchSearch } from './bench-search';
import type { BenchSearchReport } from './bench-search';
import { benchSettingsOf, rerunStrategies } from './merge';

describeWithData('harness merge', (dataDir) => {
  const bench = Benchmark.open({ dataDir });
  const tables = {
    space: nb201Space,
    accuracy: bench.nb201.column('cifar10', 'accuracy'),
    costs: { raspi4_latency: bench.nb201.column('cifar10', 'raspi4_latency') },
    indexOf: (a: readonly number[]) => bench.nb201.indexOf(a),
  };
  const grid = { seeds: 2, budgetsC: [10, 20], budgetsP: [20], modes: ['joint'] as const, strategies: ['rea', 'nsga2'] as const };
  const earlier = runBenchSearch(tables, { ...grid, modes: [...grid.modes], strategies: [...grid.strategies] });
  /** The earlier report with a peer row appended to every table and nsga2's values spoiled. */
  const edited: BenchSearchReport = {
    ...earlier,
    tables: earlier.tables.map((t) => ({
      ...t,
      rows: [...t.rows.map((r) => (r.strategy === 'nsga2' ? { ...r, value: r.value.map(() => ({ mean: 99, std: 0 })) } : r)), { ...t.rows[0], strategy: 'peer-x' }],
    })),
  };

  it('benchSettingsOf - reads the grid back', () => {
    expect(benchSettingsOf(earlier, 'r')).toEqual({ devices: ['raspi4_latency'], tasks: ['C', 'P'], modes: ['joint'], budgetsC: [10, 20], budgetsP: [20], seeds: 2 });
  });

  it('rerunStrategies - replaces the named rows in place with the same grid\'s values and keeps the others', () => {
    const { report } = rerunStrategies(tables, edited, 'r', { strategies: ['nsga2'] });
    for (const [k, t] of report.tables.entries()) {
      expect(t.rows.map((r) => r.strategy)).toEqual(['random', 'rea', 'nsga2', 'peer-x']);
      // Same seeds and budgets reproduce the original run exactly (CPU aside).
      expect(t.rows[2].value).toEqual(earlier.tables[k].rows[2].value);
      expect(t.rows[1]).toBe(edited.tables[k].rows[1]);
      expect(t.rows[3]).toBe(edited.tables[k].rows[3]);
    }
  });

  it('rerunStrategies - a strategy the report lacks goes after the strategy rows, before the peers', () => {
    const { report } = rerunStrategies(tables, edited, 'r', { strategies: ['fox-nas'] });
    expect(report.tables[0].rows.map((r) => r.strategy)).toEqual(['random', 'rea', 'nsga2', 'fox-nas', 'peer-x']);
    expect(report.strategies).toEqual(['random', 'rea', 'nsga2', 'fox-nas']);
  });

  it('rerunStrategies - refuses other settings and other data, naming what differs', () => {
    expect(() => rerunStrategies(tables, edited, 'old.json', { strategies: ['nsga2'], requested: { seeds: 3, budgetsC: [10, 20] } })).toThrow(
      'old.json was run with other settings: seeds 3 (the report has 2)',
    );
    expect(() => rerunStrategies(tables, edited, 'old.json', { strategies: ['nsga2'], requested: { budgetsP: [20, 30] } })).toThrow('budgetsP 20,30 (the report has 20)');
    const otherData = { ...edited, tables: edited.tables.map((t) => ({ ...t, info: { ...t.info, optimum: 1 } })) };
    expect(() => rerunStrategies(tables, otherData, 'old.json', { strategies: ['nsga2'] })).toThrow(/old.json: task C on raspi4_latency differs on these tables/);
    // Task P in both modes but task C in joint mode only: not one run's grid.
    const notAGrid = { ...edited, tables: [...edited.tables, { ...edited.tables[1], mode: 'cost-first' as const }] };
    expect(() => rerunStrategies(tables, notAGrid, 'old.json', { strategies: ['nsga2'] })).toThrow('old.json: expected one table of task C, raspi4_latency, cost-first mode, found 0');
  });
});
