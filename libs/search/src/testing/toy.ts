import type { SearchSpace, SpaceId } from '@hwnas/bench-core';

/**
 * A small search space for tests: decision i has `sizes[i]` options named o0, o1, ...
 * Its canonical form is the option indices joined by commas.
 */
export function toySpace(sizes: readonly number[]): SearchSpace {
  return {
    id: 'toy' as SpaceId,
    decisions: sizes.map((n, i) => ({ name: `d${i}`, options: Array.from({ length: n }, (_, o) => `o${o}`) })),
    datasets: [{ name: 'toy', inputHw: 1, inputChannels: 1, numClasses: 2 }],
    format: (arch) => arch.join(','),
    parse: (text) => Object.freeze(text.split(',').map(Number)),
  };
}
