import { Rng } from '@hwnas/bench-core';
import type { SearchSpace } from '@hwnas/bench-core';
import { CostStrata } from './cost-strata';
import type { CostStrataState } from './cost-strata';
import { compareResults, hasObjectives, isFeasible, passesKnownConstraints, scalarScore } from './problem';
import type { SearchProblem } from './problem';
import { mutateUnseen, sampleUnseen } from './sampling';
import type { Candidate, SearchStrategy, StrategyContext, StrategyDefinition, StrategyState, TrialResult } from './strategy';
import { stateData, toJson } from './strategy';
import { TrialBook } from './trial-book';
import type { TrialBookState } from './trial-book';

/** Options of {@link RegularizedEvolution}. */
export interface ReaOptions {
  /** Population size P (default 10, as in the NAS-Bench-201 baselines). */
  readonly populationSize: number;
  /** Tournament sample size S (default 3). */
  readonly sampleSize: number;
  /**
   * Cost-first pre-selection (only when a constraint is on a metric that cost queries return):
   * each proposal is chosen among this many candidates (mutants of the tournament winner, or
   * random architectures while the population fills) after a cost query; see the class doc.
   * 1 = off. Default 4.
   */
  readonly screenCandidates: number;
  /** Cost strata of the pre-selection model over [0, bound] (default 10). */
  readonly strata: number;
}

/** Defaults of {@link ReaOptions}. */
export const REA_DEFAULTS: ReaOptions = { populationSize: 10, sampleSize: 3, screenCandidates: 4, strata: 10 };

/** A cost-first pre-selection group: candidates whose costs are queried before one is chosen. */
interface Group {
  readonly archs: number[][];
  /** Trial id of each candidate's cost query (-1 = not issued yet). */
  readonly ids: number[];
}

interface ReaData {
  readonly rng: number[];
  readonly book: TrialBookState;
  /** Trial ids of the population, oldest first. */
  readonly population: number[];
  readonly groups: Group[];
  readonly ready: number[][];
  readonly strata: CostStrataState;
}

const NAME = 'rea';
const VERSION = 1;

/**
 * Regularized evolution (Real et al. 2019), asynchronous form: while the population holds fewer
 * than P evaluated members, random architectures; then each proposal is a one-decision mutation
 * (one NB201 edge, one FBNet layer) of the best of S members sampled without replacement, and
 * each evaluated child joins the population while the oldest member leaves.
 *
 * Constraint-aware through {@link compareResults}: feasible members win tournaments, infeasible
 * ones rank by violation. Failed trials and architectures a cost-first screen rejected never join
 * the population (they were never trained). A mutant already proposed is redrawn; when none is
 * found the proposal falls back to a random unseen architecture.
 *
 * Cost-first pre-selection: when a constraint is on a cheap metric, each proposal is picked among
 * `screenCandidates` candidates after querying their costs: the infeasible ones are dropped, and
 * of the rest the one whose cost stratum (cost / bound, `strata` bins) has the highest
 * Thompson-sampled rate of top-decile scores ({@link CostStrata}) is evaluated. So evaluations go
 * where on the cost axis the best architectures have been found so far.
 */
export class RegularizedEvolution implements SearchStrategy {
  private readonly rng: Rng;
  private readonly book: TrialBook;
  private readonly population: number[];
  private readonly space: SearchSpace;
  private readonly problem: SearchProblem;
  private readonly groups: Group[];
  private readonly ready: number[][];
  private readonly strata: CostStrata;
  /** The constraint the pre-selection screens and stratifies on (undefined = no pre-selection). */
  private readonly screen?: { readonly metric: string; readonly bound: number };
  private pendingFull = 0;

  constructor(
    ctx: StrategyContext,
    private readonly options: ReaOptions,
    state?: StrategyState,
  ) {
    const data = state ? stateData<ReaData>(state, NAME, VERSION) : undefined;
    this.space = ctx.space;
    this.problem = ctx.problem;
    this.rng = new Rng(data ? data.rng : ctx.seed);
    this.book = new TrialBook(ctx.space, data?.book);
    this.population = data ? data.population.slice() : [];
    this.groups = data ? data.groups.map((g) => ({ archs: g.archs.map((a) => a.slice()), ids: g.ids.slice() })) : [];
    this.ready = data ? data.ready.map((a) => a.slice()) : [];
    this.strata = new CostStrata(options.strata, 0.1, data?.strata);
    const c = ctx.problem.constraints.find((k) => ctx.problem.cheapMetrics.includes(k.metric) && k.bound > 0);
    if (c && options.screenCandidates > 1) this.screen = { metric: c.metric, bound: c.bound };
    for (let id = 0; id < this.book.size; id++) {
      const t = this.book.get(id)!;
      if (t.need === 'full' && t.status === 'pending') this.pendingFull++;
    }
  }

  /** Trial ids of the current population, oldest first (a copy). */
  populationTrials(): number[] {
    return this.population.slice();
  }

  ask(n: number): readonly Candidate[] {
    const out: Candidate[] = [];
    const seen = (a: readonly number[]) => this.book.hasFull(a);
    for (let guard = 0; out.length < n && guard < 10_000; guard++) {
      if (!this.screen) {
        const arch = this.next(seen);
        if (!arch) break;
        out.push(this.propose(arch));
        continue;
      }
      this.resolveGroups();
      const ready = this.ready.shift();
      if (ready) {
        if (!seen(ready)) out.push(this.propose(ready));
        continue;
      }
      const open = this.groups.find((g) => g.ids.includes(-1));
      if (open) {
        const k = open.ids.indexOf(-1);
        const known = this.book.costsTrial(open.archs[k]);
        if (known && known.status !== 'pending') open.ids[k] = known.trialId;
        else {
          const c = this.book.propose(open.archs[k], 'costs');
          open.ids[k] = c.trialId;
          out.push(c);
        }
        continue;
      }
      if (!this.newGroup(seen)) {
        if (this.groups.length > 0) break;
        const arch = sampleUnseen(this.space, this.rng, seen);
        if (!arch) break;
        out.push(this.propose(arch));
      }
    }
    return out;
  }

  private propose(arch: readonly number[]): Candidate {
    this.pendingFull++;
    return this.book.propose(arch, 'full');
  }

  /** Whether the population is still being filled with random architectures. */
  private filling(): boolean {
    return this.population.length === 0 || this.population.length + this.pendingFull + this.groups.length < this.options.populationSize;
  }

  /** The next architecture without pre-selection: random while filling, else a tournament mutant. */
  private next(seen: (a: readonly number[]) => boolean): readonly number[] | undefined {
    let arch: readonly number[] | undefined;
    if (!this.filling()) {
      for (let attempt = 0; attempt < 5 && !arch; attempt++) arch = mutateUnseen(this.space, this.rng, this.tournament(), seen);
    }
    return arch ?? sampleUnseen(this.space, this.rng, seen);
  }

  /** Opens a pre-selection group of distinct unseen candidates; false when none was found. */
  private newGroup(seen: (a: readonly number[]) => boolean): boolean {
    const keys = new Set(this.groups.flatMap((g) => g.archs.map((a) => this.book.key(a))));
    const fresh = (a: readonly number[]) => seen(a) || keys.has(this.book.key(a));
    const archs: number[][] = [];
    const filling = this.filling();
    const parent = filling ? undefined : this.tournament();
    for (let i = 0; i < this.options.screenCandidates; i++) {
      const a = parent ? mutateUnseen(this.space, this.rng, parent, fresh) : sampleUnseen(this.space, this.rng, fresh);
      if (!a) continue;
      keys.add(this.book.key(a));
      archs.push(a.slice());
    }
    if (archs.length === 0) return false;
    this.groups.push({ archs, ids: archs.map(() => -1) });
    return true;
  }

  /** Chooses from every group whose cost queries are all told (in group order). */
  private resolveGroups(): void {
    while (this.groups.length > 0) {
      const g = this.groups[0];
      if (g.ids.some((id) => id < 0 || this.book.get(id)!.status === 'pending')) return;
      this.groups.shift();
      const screen = this.screen!;
      const draw = this.strata.draw(this.rng);
      let best: number[] | undefined;
      let bestValue = -Infinity;
      g.ids.forEach((id, k) => {
        const t = this.book.get(id)!;
        if (t.status !== 'ok' || !t.metrics || !passesKnownConstraints(this.problem, t.metrics) || this.book.hasFull(g.archs[k])) return;
        const v = draw[this.strata.stratum((t.metrics[screen.metric] ?? 0) / screen.bound)];
        if (v > bestValue) {
          best = g.archs[k];
          bestValue = v;
        }
      });
      if (best) this.ready.push(best);
    }
  }

  /** The winner of one tournament: the best of S members drawn without replacement. */
  private tournament(): readonly number[] {
    const pool = this.population.slice();
    const s = Math.min(this.options.sampleSize, pool.length);
    let best = -1;
    for (let i = 0; i < s; i++) {
      const j = i + this.rng.int(pool.length - i);
      [pool[i], pool[j]] = [pool[j], pool[i]];
      if (best < 0 || compareResults(this.problem, this.book.get(pool[i])!.metrics, this.book.get(best)!.metrics) > 0) best = pool[i];
    }
    return this.book.get(best)!.arch;
  }

  tell(result: TrialResult): void {
    const t = this.book.accept(result);
    if (!t || t.need !== 'full') return;
    this.pendingFull--;
    if (t.status !== 'ok' || !hasObjectives(this.problem, t.metrics)) return;
    if (this.screen && isFeasible(this.problem, t.metrics)) {
      this.strata.record(this.strata.stratum((t.metrics[this.screen.metric] ?? 0) / this.screen.bound), scalarScore(this.problem, t.metrics));
    }
    this.population.push(t.trialId);
    if (this.population.length > this.options.populationSize) this.population.shift();
  }

  snapshot(): StrategyState {
    const data: ReaData = {
      rng: this.rng.state(),
      book: this.book.state(),
      population: this.population.slice(),
      groups: this.groups,
      ready: this.ready,
      strata: this.strata.state(),
    };
    return { strategy: NAME, version: VERSION, data: toJson(data) };
  }
}

/** Registry entry of regularized evolution (`rea`). */
export const regularizedEvolution: StrategyDefinition<ReaOptions> = {
  name: NAME,
  summary: 'regularized evolution (population 10, tournament 3, one-decision mutation)',
  defaults: REA_DEFAULTS,
  optionSpecs: {
    populationSize: { type: 'int', min: 2, description: 'population size P (default 10)' },
    sampleSize: { type: 'int', min: 1, description: 'tournament sample size S (default 3)' },
    screenCandidates: { type: 'int', min: 1, description: 'cost-first pre-selection: candidates per proposal (default 4; 1 = off)' },
    strata: { type: 'int', min: 1, description: 'cost strata of the pre-selection model (default 10)' },
  },
  create: (ctx, options, state) => new RegularizedEvolution(ctx, options, state),
};
