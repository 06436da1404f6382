import { decisionCostTable } from './decision-costs';
import { nb201Space } from '../space/nb201';
import { fbnetSpace } from '../space/fbnet';
import type { Arch } from '../space/space';

describe('decisionCostTable', () => {
  it('recovers an additive cost exactly, whatever the base', () => {
    const perChoice = (d: number, c: number) => (d + 1) * 10 + c;
    const additive = (arch: Arch) => arch.reduce((s, c, d) => s + perChoice(d, c), 100);
    const table = decisionCostTable(fbnetSpace, new Array(22).fill(8), additive);
    expect(table).toHaveLength(22);
    for (let d = 0; d < 22; d++) for (let c = 0; c < 9; c++) expect(table[d][c]).toBeCloseTo(perChoice(d, c) - perChoice(d, 8), 10);
    // the table plus the base cost gives any architecture's cost back
    const arch = [0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2, 3];
    expect(arch.reduce((s, c, d) => s + table[d][c], additive(new Array(22).fill(8)))).toBeCloseTo(additive(arch), 10);
  });

  it('is the first-order difference around the base for a non-additive cost', () => {
    const cost = (arch: Arch) => arch.reduce((s, c) => s + c, 0) ** 2;
    const table = decisionCostTable(nb201Space, [0, 0, 0, 0, 0, 0], cost);
    expect(table[2]).toEqual([0, 1, 4, 9, 16]);
  });

  it('says what is wrong with a base of the wrong length or a non-finite cost', () => {
    expect(() => decisionCostTable(nb201Space, [0, 0], () => 1)).toThrow('base architecture has 2 decisions, nb201 has 6');
    expect(() => decisionCostTable(nb201Space, [0, 0, 0, 0, 0, 0], (a) => (a[3] === 2 ? NaN : 1))).toThrow('cost of decision 3 = nor_conv_1x1 is NaN');
  });
});
