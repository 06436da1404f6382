import { InvalidArgumentError } from '@hwnas/bench-core';
import type { BenchSearchReport } from './bench-search';
import { addPeerRows, parsePeerRuns } from './peers';
import { taskC } from './tasks';

const acc = [50, 90, 80, 95, 70];
const cost = [1, 2, 3, 9, 4];

function peerFile(evaluated: unknown, extra: Record<string, unknown> = {}) {
  return { tool: 'optuna 3.1.0', runs: [{ task: 'C', device: 'lat', mode: 'joint', peer: 'optuna-tpe', budget: 2, evaluated, cpuSeconds: [0.5, 1.5], ...extra }] };
}

describe('harness peers', () => {
  it('parsePeerRuns - names the run and field that is wrong', () => {
    expect(() => parsePeerRuns({}, 'f.json', 5)).toThrow(/f.json: expected an object with a "runs" array/);
    expect(() => parsePeerRuns(peerFile([[0, 7], [1]]), 'f.json', 5)).toThrow(/runs\[0\].evaluated\[0\] holds 7, not a benchmark index in 0..4/);
    expect(() => parsePeerRuns(peerFile([[0, 0], [1]]), 'f.json', 5)).toThrow(/repeats index 0/);
    expect(() => parsePeerRuns(peerFile([[0], [1]], { task: 'X' }), 'f.json', 5)).toThrow(InvalidArgumentError);
    expect(() => parsePeerRuns(peerFile([[0], [1]], { cpuSeconds: [1] }), 'f.json', 5)).toThrow(/cpuSeconds must hold one number per run/);
  });

  it('addPeerRows - scores the peer sequences with the task code, up to the peer budget', () => {
    const info = taskC(acc, cost, 50); // T = 3, optimum 90
    const report: BenchSearchReport = {
      seeds: 2,
      strategies: ['random'],
      strategyOptions: {},
      tables: [{ task: 'C', device: 'lat', mode: 'joint', budgets: [1, 2, 3], info, rows: [] }],
    };
    const peers = parsePeerRuns(peerFile([[2, 1], [3, 0]]), 'f.json', 5);
    const [row] = addPeerRows(report, { accuracy: acc, costs: { lat: cost } }, peers).tables[0].rows;
    expect(row.strategy).toBe('optuna-tpe');
    // Seed 0: regret 10 after index 2, 0 after index 1; seed 1: index 3 is infeasible (regret 40), then 40.
    expect(row.value[0].mean).toBeCloseTo(25, 12);
    expect(row.value[1].mean).toBeCloseTo(20, 12);
    expect(row.worst).toEqual([40, 40, NaN]);
    expect(Number.isNaN(row.value[2].mean)).toBe(true);
    expect(row.noneFeasible).toEqual([1, 0, 0]);
    expect(row.cpuMsPerRun).toBeCloseTo(1000, 9);
  });
});
