import { InvalidArgumentError, nb201Space } from '@hwnas/bench-core';
import { SYNTHETIC_METRICS } from '@hwnas/search/testing';
import { createProblem } from './problem';
import { createStrategy, getStrategyDefinition, restoreStrategy, STRATEGY_NAMES } from './registry';

const ctx = { space: nb201Space, problem: createProblem({ objectives: ['accuracy'] }, SYNTHETIC_METRICS), seed: 0 };

describe('registry', () => {
  it('registry - lists the eight strategies by CLI name', () => {
    expect(STRATEGY_NAMES).toEqual(['random', 'rea', 'na-rs', 'fox-nas', 'autoshrink', 'fp-nas', 'nsga2', 'gp-bo']);
  });

  it('registry - an unknown strategy name is an InvalidArgumentError listing the known names', () => {
    expect(() => createStrategy('bohb', ctx)).toThrow(InvalidArgumentError);
    expect(() => getStrategyDefinition('bohb')).toThrow(/unknown strategy "bohb"; known strategies: random, rea, na-rs, fox-nas, autoshrink, fp-nas, nsga2/);
  });

  it('registry - options arrive as text or values, are validated, and unknown ones are named', () => {
    expect(() => createStrategy('rea', ctx, { populationSize: '20' })).not.toThrow();
    expect(() => createStrategy('rea', ctx, { populationSize: 'many' })).toThrow(/option populationSize must be an integer in 2..inf, got "many"/);
    expect(() => createStrategy('rea', ctx, { population: 5 })).toThrow(/no option "population"; its options: populationSize, sampleSize/);
    expect(() => createStrategy('fox-nas', ctx, { interactions: 'some' })).toThrow(/one of auto, all, none/);
    expect(() => createStrategy('autoshrink', ctx, { restart: 'false' })).not.toThrow();
  });

  it('registry - restore refuses a snapshot of another strategy', () => {
    const state = createStrategy('rea', ctx).snapshot();
    expect(() => restoreStrategy('nsga2', ctx, state)).toThrow(/cannot restore strategy nsga2/);
  });
});
