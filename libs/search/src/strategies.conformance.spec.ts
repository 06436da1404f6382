import { describeStrategyConformance } from '@hwnas/search/testing';
import type { ConformanceCase } from '@hwnas/search/testing';
import { STRATEGY_NAMES } from './registry';

/** Every registered strategy with its default options: a new strategy is one more row. */
const CASES: readonly ConformanceCase[] = [
  { name: 'random' },
  { name: 'rea' },
  { name: 'na-rs' },
  { name: 'fox-nas' },
  { name: 'autoshrink' },
  { name: 'fp-nas' },
  { name: 'nsga2' },
  { name: 'gp-bo', budget: 40 },
];

it('strategies.conformance - the table lists every registered strategy', () => {
  expect(CASES.map((c) => c.name).sort()).toEqual([...STRATEGY_NAMES].sort());
});

describeStrategyConformance(CASES);
