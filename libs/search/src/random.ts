import { Rng } from '@hwnas/bench-core';
import type { SearchSpace } from '@hwnas/bench-core';
import { sampleUnseen } from './sampling';
import type { Candidate, SearchStrategy, StrategyContext, StrategyDefinition, StrategyState, TrialResult } from './strategy';
import { stateData, toJson } from './strategy';
import { TrialBook } from './trial-book';
import type { TrialBookState } from './trial-book';

/** Random search has no options. */
export type RandomOptions = Record<string, never>;

interface RandomData {
  readonly rng: number[];
  readonly book: TrialBookState;
}

const NAME = 'random';
const VERSION = 1;

/**
 * Random search: uniformly random architectures, each evaluated at most once. The baseline every
 * other strategy is measured against.
 */
export class RandomSearch implements SearchStrategy {
  private readonly rng: Rng;
  private readonly book: TrialBook;
  private readonly space: SearchSpace;

  constructor(ctx: StrategyContext, state?: StrategyState) {
    const data = state ? stateData<RandomData>(state, NAME, VERSION) : undefined;
    this.space = ctx.space;
    this.rng = new Rng(data ? data.rng : ctx.seed);
    this.book = new TrialBook(ctx.space, data?.book);
  }

  ask(n: number): readonly Candidate[] {
    const out: Candidate[] = [];
    while (out.length < n) {
      const arch = sampleUnseen(this.space, this.rng, (a) => this.book.hasFull(a));
      if (!arch) break;
      out.push(this.book.propose(arch, 'full'));
    }
    return out;
  }

  tell(result: TrialResult): void {
    this.book.accept(result);
  }

  snapshot(): StrategyState {
    const data: RandomData = { rng: this.rng.state(), book: this.book.state() };
    return { strategy: NAME, version: VERSION, data: toJson(data) };
  }
}

/** Registry entry of random search (`random`). */
export const randomSearch: StrategyDefinition<RandomOptions> = {
  name: NAME,
  summary: 'random search: uniform architectures, each evaluated once',
  defaults: {},
  optionSpecs: {},
  create: (ctx, _options, state) => new RandomSearch(ctx, state),
};
