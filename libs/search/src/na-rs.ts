import { archKey, neighbours, Rng } from '@hwnas/bench-core';
import type { Arch, ArchKey, SearchSpace } from '@hwnas/bench-core';
import { hasObjectives, isFeasible, scalarScore } from './problem';
import type { SearchProblem } from './problem';
import { sampleUnseen } from './sampling';
import type { Candidate, SearchStrategy, StrategyContext, StrategyDefinition, StrategyState, TrialResult } from './strategy';
import { stateData, toJson } from './strategy';
import { TrialBook } from './trial-book';
import type { TrialBookState } from './trial-book';

/** Options of {@link NeighbourhoodAwareRandomSearch}. */
export interface NaRsOptions {
  /**
   * Neighbours evaluated per sampled architecture: 0 (default) = all Hamming-1 neighbours (NB201:
   * 24, so 25 with the centre); n > 0 = a random subsample of n of them.
   */
  readonly neighbours: number;
}

/** Defaults of {@link NaRsOptions}. */
export const NA_RS_DEFAULTS: NaRsOptions = { neighbours: 0 };

interface Neighbourhood {
  /** The sampled (centre) architecture. */
  readonly centre: number[];
  /** Keys of the members: the centre first, then its (sub)sampled Hamming-1 neighbours. */
  readonly members: ArchKey[];
  readonly archs: number[][];
}

interface NaRsData {
  readonly rng: number[];
  readonly book: TrialBookState;
  readonly hoods: Neighbourhood[];
}

const NAME = 'na-rs';
const VERSION = 1;

/**
 * NA-RS, neighbourhood-aware random search (Wang et al., BMVC 2021): sample an architecture
 * uniformly, evaluate it and its Hamming-1 neighbourhood, and score it by the mean objective
 * ({@link scalarScore}) over the neighbourhood (itself included; failed members are left out).
 * The recommendation is the feasible sampled architecture with the best neighbourhood score, a
 * "flat" optimum rather than a lucky one. Neighbour evaluations count against the budget; members
 * evaluated before (in an overlapping neighbourhood) are reused, not evaluated again.
 * Neighbourhoods are evaluated one after the other, in order.
 */
export class NeighbourhoodAwareRandomSearch implements SearchStrategy {
  private readonly rng: Rng;
  private readonly book: TrialBook;
  private readonly hoods: Neighbourhood[];
  private readonly space: SearchSpace;
  private readonly problem: SearchProblem;
  private readonly centres = new Set<string>();

  constructor(
    ctx: StrategyContext,
    private readonly options: NaRsOptions,
    state?: StrategyState,
  ) {
    const data = state ? stateData<NaRsData>(state, NAME, VERSION) : undefined;
    this.space = ctx.space;
    this.problem = ctx.problem;
    this.rng = new Rng(data ? data.rng : ctx.seed);
    this.book = new TrialBook(ctx.space, data?.book);
    this.hoods = data ? data.hoods.map((h) => ({ centre: h.centre.slice(), members: h.members.slice(), archs: h.archs.map((a) => a.slice()) })) : [];
    for (const h of this.hoods) this.centres.add(h.members[0]);
  }

  ask(n: number): readonly Candidate[] {
    const out: Candidate[] = [];
    while (out.length < n) {
      const hood = this.hoods[this.hoods.length - 1];
      const next = hood?.archs.find((a, i) => !this.book.hasFull(hood.members[i]));
      if (next) {
        out.push(this.book.propose(next, 'full'));
        continue;
      }
      const centre = sampleUnseen(this.space, this.rng, (a) => this.centres.has(archKey(this.space, a)));
      if (!centre) break;
      this.hoods.push(this.neighbourhood(centre));
      this.centres.add(archKey(this.space, centre));
    }
    return out;
  }

  private neighbourhood(centre: Arch): Neighbourhood {
    let around = neighbours(this.space, centre);
    const k = this.options.neighbours;
    if (k > 0 && k < around.length) around = this.rng.shuffle(around).slice(0, k);
    const archs = [centre, ...around].map((a) => a.slice());
    return { centre: centre.slice(), members: archs.map((a) => archKey(this.space, a)), archs };
  }

  /**
   * Neighbourhood score of sampled architecture `centre`: the mean {@link scalarScore} of its
   * evaluated members. `complete` tells whether every member has been told.
   */
  neighbourhoodScore(centre: Arch): { score: number; members: number; complete: boolean } | undefined {
    const key = archKey(this.space, centre);
    const hood = this.hoods.find((h) => h.members[0] === key);
    if (!hood) return undefined;
    let sum = 0;
    let count = 0;
    let complete = true;
    for (const m of hood.members) {
      const t = this.book.fullTrial(m);
      if (!t || t.status === 'pending') {
        complete = false;
        continue;
      }
      if (t.status === 'ok' && hasObjectives(this.problem, t.metrics)) {
        sum += scalarScore(this.problem, t.metrics);
        count++;
      }
    }
    return { score: count > 0 ? sum / count : NaN, members: count, complete };
  }

  /** The feasible sampled architecture with the best complete neighbourhood score. */
  recommend(): Arch | undefined {
    let best: Arch | undefined;
    let bestScore = -Infinity;
    for (const h of this.hoods) {
      const centre = this.book.fullTrial(h.members[0]);
      if (!centre || centre.status !== 'ok' || !isFeasible(this.problem, centre.metrics)) continue;
      const s = this.neighbourhoodScore(h.centre);
      if (s && s.complete && s.score > bestScore) {
        best = centre.arch;
        bestScore = s.score;
      }
    }
    return best;
  }

  tell(result: TrialResult): void {
    this.book.accept(result);
  }

  snapshot(): StrategyState {
    const data: NaRsData = { rng: this.rng.state(), book: this.book.state(), hoods: this.hoods };
    return { strategy: NAME, version: VERSION, data: toJson(data) };
  }
}

/** Registry entry of NA-RS (`na-rs`). */
export const naRs: StrategyDefinition<NaRsOptions> = {
  name: NAME,
  summary: 'neighbourhood-aware random search: score = mean over the Hamming-1 neighbourhood',
  defaults: NA_RS_DEFAULTS,
  optionSpecs: {
    neighbours: { type: 'int', min: 0, description: 'neighbours per sampled architecture; 0 = all (default)' },
  },
  create: (ctx, options, state) => new NeighbourhoodAwareRandomSearch(ctx, options, state),
};
