import { fbnetSpace, nb201Space } from '@hwnas/bench-core';
import { archEncoder } from './arch-features';

// NB201 option indices: none 0, skip_connect 1, nor_conv_1x1 2, nor_conv_3x3 3, avg_pool_3x3 4.
// Edge order: 0->1, 0->2, 1->2, 0->3, 1->3, 2->3.
const nb201 = archEncoder(nb201Space);

describe('archEncoder', () => {
  it('nb201 - edges off every input -> output path become none; live edges are kept', () => {
    // 0->1 conv3x3 feeds node 1, which reaches nothing: dead. 0->3 conv1x1 is the whole cell.
    expect(nb201([3, 0, 0, 2, 0, 0]).arch).toEqual([0, 0, 0, 2, 0, 0]);
    // 1->2 and 2->3 hang off node 1, which the input does not reach (0->1 is none): dead.
    expect(nb201([0, 0, 4, 3, 0, 1]).arch).toEqual([0, 0, 0, 3, 0, 0]);
    // A chain 0->1->3 is live end to end.
    expect(nb201([3, 0, 0, 0, 1, 0]).arch).toEqual([3, 0, 0, 0, 1, 0]);
    // Equivalent cells (differing on dead edges only) encode alike.
    expect(nb201([3, 2, 0, 0, 1, 0])).toEqual(nb201([3, 4, 0, 0, 1, 0]));
  });

  it('nb201 - features: live op counts, connectivity, convolutions on the deepest path', () => {
    // Features: counts of skip, conv1x1, conv3x3, pool on live edges; connected; conv depth.
    expect(nb201([3, 0, 0, 0, 1, 0]).features).toEqual([1, 0, 1, 0, 1, 1]);
    expect(nb201([3, 3, 3, 0, 0, 3]).features).toEqual([0, 0, 4, 0, 1, 3]);
    // Disconnected: nothing is live, depth 0.
    expect(nb201([3, 3, 3, 0, 0, 0]).features).toEqual([0, 0, 0, 0, 0, 0]);
    expect(nb201([3, 3, 3, 0, 0, 0]).arch).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('other spaces - decisions unchanged, features count each option over decisions sharing options', () => {
    const fbnet = archEncoder(fbnetSpace);
    const options = fbnetSpace.decisions[0].options.length;
    const arch = fbnetSpace.decisions.map((_, i) => i % 3);
    const e = fbnet(arch);
    expect(e.arch).toEqual(arch);
    expect(e.features).toHaveLength(options);
    expect(e.features.slice(0, 3)).toEqual([8, 7, 7]);
    expect(e.features.slice(3).every((c) => c === 0)).toBe(true);
  });
});
