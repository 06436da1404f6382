import { enumerateArchs, nb201Space, Rng } from '@hwnas/bench-core';
import { toySpace } from '@hwnas/search/testing';
import { fitRidge, LinearFeatures, predict, RidgeSolver, samplePosterior } from './linear-model';

describe('linear-model', () => {
  it('LinearFeatures - NB201 has 1 + 24 main effects + 15 x 16 interactions = 265 features', () => {
    const f = new LinearFeatures(nb201Space, 'all');
    expect(f.count).toBe(265);
    expect(LinearFeatures.countFor(nb201Space, 'none')).toBe(25);
    expect(f.active([0, 0, 0, 0, 0, 0])).toEqual([0]);
    expect(f.active([3, 0, 0, 0, 1, 0])).toHaveLength(1 + 2 + 1);
    expect(f.name(f.active([3, 0, 0, 0, 0, 0])[1])).toBe('edge 0->1=nor_conv_3x3');
    expect(f.name(f.active([3, 0, 0, 0, 1, 0])[3])).toBe('edge 0->1=nor_conv_3x3 x edge 1->3=skip_connect');
  });

  it('RidgeSolver - recovers an exactly linear function with interactions (R^2 = 1)', () => {
    const space = toySpace([3, 3, 2]);
    const f = new LinearFeatures(space, 'all');
    const truth = Array.from({ length: f.count }, (_, i) => (i === 0 ? 5 : ((i * 7) % 5) - 2));
    const solver = new RidgeSolver(f.count, (i) => (i === 0 ? 0 : 1e-9));
    const rows: number[][] = [];
    const ys: number[] = [];
    for (const a of enumerateArchs(space)) {
      const active = f.active(a);
      solver.addRow(active);
      rows.push(active);
      ys.push(active.reduce((s, i) => s + truth[i], 0));
    }
    const model = fitRidge(solver, rows, ys, true);
    for (let i = 0; i < f.count; i++) expect(model.coefficients[i]).toBeCloseTo(truth[i], 5);
    expect(model.r2).toBeCloseTo(1, 9);
    expect(predict(model, f.active([2, 1, 1]))).toBeCloseTo(f.predictArch(model.coefficients, [2, 1, 1]), 12);
  });

  it('RidgeSolver - incremental rank-1 updates equal a direct solve of the normal equations', () => {
    const f = new LinearFeatures(nb201Space, 'none');
    const rng = new Rng(2);
    const solver = new RidgeSolver(f.count, (i) => (i === 0 ? 0 : 0.5));
    const xtx: number[][] = Array.from({ length: f.count }, (_, i) => Array.from({ length: f.count }, (_, j) => (i === j && i > 0 ? 0.5 : 0)));
    const rhs = new Array<number>(f.count).fill(0);
    for (let r = 0; r < 60; r++) {
      const a = nb201Space.decisions.map(() => rng.int(5));
      const active = f.active(a);
      solver.addRow(active);
      const y = rng.next();
      for (const i of active) {
        rhs[i] += y;
        for (const j of active) xtx[i][j] += 1;
      }
    }
    const b = solver.solve(rhs);
    for (let i = 0; i < f.count; i++) {
      const lhs = xtx[i].reduce((s, v, j) => s + v * b[j], 0);
      expect(lhs).toBeCloseTo(rhs[i], 6);
    }
  });

  it('samplePosterior - draws around the mean with the posterior spread', () => {
    const f = new LinearFeatures(toySpace([2, 2]), 'none');
    const solver = new RidgeSolver(f.count, (i) => (i === 0 ? 0 : 1));
    for (let r = 0; r < 400; r++) solver.addRow(f.active([r % 2, (r >> 1) % 2]));
    const mean = Float64Array.from([1, 2, 3]);
    const rng = new Rng(9);
    const draws = Array.from({ length: 2000 }, () => samplePosterior(solver, mean, 1, () => rng.normal()));
    const avg = [0, 1, 2].map((i) => draws.reduce((s, d) => s + d[i], 0) / draws.length);
    avg.forEach((v, i) => expect(v).toBeCloseTo(mean[i], 1));
  });
});
