import { enumerateArchs } from '../space/space';
import { nb201Space } from '../space/nb201';
import { networkCost } from './cost';
import { nb201NetworkIR } from './nb201';
import { nb201ModelCost } from './nb201-cost';

describe('nb201ModelCost', () => {
  it.each(nb201Space.datasets.map((d) => [d.name, d] as const))('equals the IR cost on every architecture (%s)', (_name, dataset) => {
    let mismatches = 0;
    let first = '';
    for (const arch of enumerateArchs(nb201Space)) {
      const want = networkCost(nb201NetworkIR(arch, dataset));
      const got = nb201ModelCost(arch, dataset);
      if (got.macs !== want.macs || got.params !== want.params) {
        if (mismatches++ === 0) first = `${nb201Space.format(arch)}: got ${JSON.stringify(got)}, IR says ${want.macs}/${want.params}`;
      }
    }
    expect(first).toBe('');
    expect(mismatches).toBe(0);
  });

  it('rejects an invalid architecture, naming the position', () => {
    expect(() => nb201ModelCost([0, 0, 0, 0, 0, 5], nb201Space.datasets[0])).toThrow(/5/);
  });
});
