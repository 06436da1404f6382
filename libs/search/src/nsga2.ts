import { Rng } from '@hwnas/bench-core';
import type { Arch, Metrics, SearchSpace } from '@hwnas/bench-core';
import { crowdingDistance, dominates as dominatesMin, nonDominatedSort } from './pareto';
import { hasObjectives, isPareto, objectiveVector, passesKnownConstraints, scalarScore, violation } from './problem';
import type { SearchProblem } from './problem';
import { mutateUnseen, sampleUnseen } from './sampling';
import type { Candidate, SearchStrategy, StrategyContext, StrategyDefinition, StrategyState, TrialResult } from './strategy';
import { stateData, toJson } from './strategy';
import { TrialBook } from './trial-book';
import type { TrialBookState } from './trial-book';

/** Options of {@link Nsga2}. */
export interface Nsga2Options {
  /** Population size, also the offspring per generation (default 10: ten generations in 100 evaluations). */
  readonly populationSize: number;
  /** Probability of uniform crossover for an offspring; otherwise it copies one parent (default 0.9). */
  readonly crossoverProb: number;
  /** Per-decision probability of resampling the option; 0 = 1 / number of decisions (default 0). */
  readonly mutationProb: number;
  /**
   * Cost-first pre-selection: when cost queries are available (cost-first mode) and an objective
   * or constraint is a cheap metric, each generation breeds `screenFactor` x populationSize
   * candidates, queries their costs, and evaluates only the populationSize most promising (see
   * the class doc). 1 disables it. Default 4.
   */
  readonly screenFactor: number;
  /**
   * Share of the evaluated offspring picked by the optimistic guesses in cost-first
   * pre-selection; the rest are drawn at random among the screened candidates that meet the
   * constraints, so that offspring whose cost grows (which the guesses never favour) still get
   * trained. Default 0.5.
   */
  readonly preselectShare: number;
}

/** Defaults of {@link Nsga2Options}. */
export const NSGA2_DEFAULTS: Nsga2Options = { populationSize: 10, crossoverProb: 0.9, mutationProb: 0, screenFactor: 4, preselectShare: 0.5 };

interface Nsga2Data {
  readonly rng: number[];
  readonly book: TrialBookState;
  /** Trial ids of the current parent population. */
  readonly population: number[];
  /** Generation 0 is the random initial population. */
  readonly generation: number;
  /** Phase of the current generation: `screen` (cost queries out) or `evaluate` (full evaluations out). */
  readonly phase: 'screen' | 'evaluate';
  /** Architectures still to propose in the current phase. */
  readonly todo: number[][];
  /** Trial ids proposed in the current phase. */
  readonly batch: number[];
  /** For each screened candidate of this generation (same order as the cost trials), its optimistic objective guess. */
  readonly guesses: Record<string, number[]>;
}

/** Precomputed constrained-domination key of one item. */
interface Fitness {
  readonly evaluated: boolean;
  readonly violation: number;
  readonly vector: readonly number[];
}

/**
 * Constrained domination (Deb 2002) on precomputed keys: evaluated beats unevaluated, feasible
 * beats infeasible, smaller violation beats larger, else Pareto dominance of the vectors.
 */
function fitnessDominates(a: Fitness, b: Fitness): boolean {
  if (!a.evaluated || !b.evaluated) return a.evaluated && !b.evaluated;
  if (a.violation > 0 || b.violation > 0) return a.violation < b.violation;
  return dominatesMin(a.vector, b.vector);
}

const NAME = 'nsga2';
const VERSION = 1;

/**
 * NSGA-II (Deb et al. 2002) over categorical decisions: generational, population P; parents by
 * binary tournament on (non-domination rank, crowding distance); offspring by uniform crossover
 * (probability `crossoverProb`) and per-decision categorical mutation (each decision resampled to
 * another option with probability `mutationProb`, default 1/L; at least one decision changes);
 * survivors of parents + offspring by non-dominated sorting, the last front cut by crowding
 * distance. Constraints use constrained domination (feasible first, then smaller violation).
 * Single-objective problems degenerate to a (mu + lambda) GA on the scalar score.
 *
 * Cost-first pre-selection (the cost-first Pareto variant): when costs are cheap, each generation
 * breeds `screenFactor` x P candidates and asks only for their costs. Each candidate gets an
 * optimistic guess of its objective vector: its queried costs for the cheap objectives and, for
 * the others (accuracy), the better of its parents' values. The P candidates to evaluate are the
 * best under non-dominated sorting and crowding of these guesses against the current population,
 * so offspring that lower the cost at the parents' accuracy are trained first, and offspring that
 * break a cheap constraint are never trained.
 *
 * Generations are barriers: `ask` returns [] while the current generation's trials are in flight.
 */
export class Nsga2 implements SearchStrategy {
  private readonly rng: Rng;
  private readonly book: TrialBook;
  private population: number[];
  private generation: number;
  private phase: 'screen' | 'evaluate';
  private todo: number[][];
  private batch: number[];
  private guesses: Record<string, number[]>;
  private readonly space: SearchSpace;
  private readonly problem: SearchProblem;
  private readonly screening: boolean;

  constructor(
    ctx: StrategyContext,
    private readonly options: Nsga2Options,
    state?: StrategyState,
  ) {
    const data = state ? stateData<Nsga2Data>(state, NAME, VERSION) : undefined;
    this.space = ctx.space;
    this.problem = ctx.problem;
    this.rng = new Rng(data ? data.rng : ctx.seed);
    this.book = new TrialBook(ctx.space, data?.book);
    this.population = data ? data.population.slice() : [];
    this.generation = data?.generation ?? 0;
    this.phase = data?.phase ?? 'evaluate';
    this.todo = data ? data.todo.map((a) => a.slice()) : [];
    this.batch = data ? data.batch.slice() : [];
    this.guesses = data ? { ...data.guesses } : {};
    const p = ctx.problem;
    const cheap = new Set(p.cheapMetrics);
    this.screening =
      options.screenFactor > 1 && (p.objectives.some((o) => cheap.has(o.metric)) || p.constraints.some((c) => cheap.has(c.metric)));
    if (!data) this.todo = this.initialPopulation();
  }

  private initialPopulation(): number[][] {
    const out: number[][] = [];
    const keys = new Set<string>();
    for (let i = 0; i < this.options.populationSize; i++) {
      const a = sampleUnseen(this.space, this.rng, (x) => this.book.hasFull(x) || keys.has(this.book.key(x)));
      if (!a) break;
      keys.add(this.book.key(a));
      out.push(a.slice());
    }
    return out;
  }

  ask(n: number): readonly Candidate[] {
    const out: Candidate[] = [];
    for (let guard = 0; out.length < n && guard < 1000; guard++) {
      if (this.todo.length > 0) {
        const arch = this.todo.shift()!;
        const need = this.phase === 'screen' ? 'costs' : 'full';
        if (need === 'full' && this.book.hasFull(arch)) continue;
        const known = need === 'costs' ? this.book.costsTrial(arch) : undefined;
        if (known && known.status === 'ok') {
          // Costs queried in an earlier generation are reused, not asked again.
          this.batch.push(known.trialId);
          continue;
        }
        const c = this.book.propose(arch, need);
        this.batch.push(c.trialId);
        out.push(c);
        continue;
      }
      if (this.batch.some((id) => this.book.get(id)!.status === 'pending')) break;
      if (!this.advance()) break;
    }
    return out;
  }

  /** Closes the current phase (all its trials told) and prepares the next; false when nothing is left to do. */
  private advance(): boolean {
    if (this.phase === 'screen') {
      this.todo = this.preselect();
      this.phase = 'evaluate';
      this.batch = [];
      return this.todo.length > 0 || this.breed();
    }
    const offspring = this.batch.filter((id) => this.isMember(id));
    this.population = this.select([...this.population.filter((id) => this.isMember(id)), ...offspring]);
    this.batch = [];
    this.generation++;
    return this.breed();
  }

  private isMember(id: number): boolean {
    const t = this.book.get(id)!;
    return t.need === 'full' && t.status === 'ok' && hasObjectives(this.problem, t.metrics);
  }

  /** Breeds the next generation's candidates; false when the space yields no new architecture. */
  private breed(): boolean {
    const size = this.options.populationSize;
    const count = this.screening ? size * this.options.screenFactor : size;
    const keys = new Set<string>();
    const seen = (a: Arch) => this.book.hasFull(a) || keys.has(this.book.key(a));
    const ranks = this.rankOf(this.population);
    const out: number[][] = [];
    const guesses: Record<string, number[]> = {};
    for (let i = 0; i < count; i++) {
      let child: Arch | undefined;
      let parents: number[] = [];
      if (this.population.length > 0) {
        parents = [this.tournament(ranks), this.tournament(ranks)];
        child = this.offspring(parents.map((id) => this.book.get(id)!.arch), seen);
      }
      child ??= sampleUnseen(this.space, this.rng, seen);
      if (!child) break;
      keys.add(this.book.key(child));
      out.push(child.slice());
      if (this.screening) guesses[this.book.key(child)] = this.guess(parents);
    }
    this.todo = out;
    this.guesses = guesses;
    this.phase = this.screening && this.population.length > 0 ? 'screen' : 'evaluate';
    return out.length > 0;
  }

  /** Optimistic objective values of a child for the non-cheap objectives: the best of its parents'. */
  private guess(parents: readonly number[]): number[] {
    const vectors = parents.map((id) => this.vector(this.book.get(id)!.metrics!));
    return this.problem.objectives.map((_, j) => Math.min(...vectors.map((v) => v[j] ?? Infinity)));
  }

  /** Picks the candidates to evaluate fully from this generation's screened ones. */
  private preselect(): number[][] {
    const size = this.options.populationSize;
    const cheap = new Set(this.problem.cheapMetrics);
    type Scored = { arch: Arch; metrics: Metrics | undefined; member: boolean };
    const pool: Scored[] = [];
    for (const id of this.batch) {
      const t = this.book.get(id)!;
      if (t.status !== 'ok' || !t.metrics) continue;
      const g = this.guesses[t.key];
      if (!g) continue;
      // Guessed metrics: queried costs, parents' values for the rest (in the objective's own sign).
      const m: Record<string, number> = { ...t.metrics };
      this.problem.objectives.forEach((o, j) => {
        if (!cheap.has(o.metric)) m[o.metric] = o.direction === 'max' ? -g[j] : g[j];
      });
      pool.push({ arch: t.arch, metrics: m, member: false });
    }
    const members: Scored[] = this.population.map((id) => ({ arch: this.book.get(id)!.arch, metrics: this.book.get(id)!.metrics, member: true }));
    const all = [...members, ...pool];
    const fronts = nonDominatedSort(all.map((x) => this.fitness(x.metrics)), fitnessDominates);
    const chosen: Arch[] = [];
    const byGuess = Math.round(size * this.options.preselectShare);
    for (const front of fronts) {
      const candidates = front.filter((i) => !all[i].member && !this.book.hasFull(all[i].arch));
      if (chosen.length + candidates.length <= byGuess) {
        chosen.push(...candidates.map((i) => all[i].arch));
        continue;
      }
      const vectors = front.map((i) => this.vector(all[i].metrics!));
      const dist = crowdingDistance(vectors, front.map((_, k) => k));
      const order = front.map((i, k) => ({ i, d: dist[k], k })).filter((x) => !all[x.i].member && !this.book.hasFull(all[x.i].arch));
      order.sort((a, b) => b.d - a.d || a.k - b.k);
      for (const x of order) if (chosen.length < byGuess) chosen.push(all[x.i].arch);
      break;
    }
    const taken = new Set(chosen);
    const rest = this.rng.shuffle(
      pool.filter((x) => !taken.has(x.arch) && !this.book.hasFull(x.arch) && passesKnownConstraints(this.problem, x.metrics!)).map((x) => x.arch),
    );
    chosen.push(...rest.slice(0, size - chosen.length));
    return chosen.map((a) => a.slice());
  }

  private vector(m: Metrics): number[] {
    return isPareto(this.problem) ? objectiveVector(this.problem, m) : [-scalarScore(this.problem, m)];
  }

  /** What constrained domination compares, computed once per item. */
  private fitness(m: Metrics | undefined): Fitness {
    if (!hasObjectives(this.problem, m)) return { evaluated: false, violation: Infinity, vector: [] };
    return { evaluated: true, violation: violation(this.problem, m), vector: this.vector(m) };
  }
  /** Non-domination rank and crowding distance of each member. */
  private rankOf(ids: readonly number[]): Map<number, { rank: number; crowding: number }> {
    const out = new Map<number, { rank: number; crowding: number }>();
    const metrics = ids.map((id) => this.book.get(id)!.metrics);
    const fits = metrics.map((m) => this.fitness(m));
    const fronts = nonDominatedSort(fits, fitnessDominates);
    const vectors = fits.map((f) => f.vector as number[]);
    fronts.forEach((front, rank) => {
      const dist = crowdingDistance(vectors, front);
      front.forEach((i, k) => out.set(ids[i], { rank, crowding: dist[k] }));
    });
    return out;
  }

  /** Survivor selection: the best `populationSize` by rank, the last front cut by crowding distance. */
  private select(ids: readonly number[]): number[] {
    const size = this.options.populationSize;
    if (ids.length <= size) return ids.slice();
    const fits = ids.map((id) => this.fitness(this.book.get(id)!.metrics));
    const fronts = nonDominatedSort(fits, fitnessDominates);
    const vectors = fits.map((f) => f.vector as number[]);
    const out: number[] = [];
    for (const front of fronts) {
      if (out.length + front.length <= size) {
        out.push(...front.map((i) => ids[i]));
        continue;
      }
      const dist = crowdingDistance(vectors, front);
      const order = front.map((i, k) => ({ id: ids[i], d: dist[k] })).sort((a, b) => b.d - a.d || a.id - b.id);
      out.push(...order.slice(0, size - out.length).map((x) => x.id));
      break;
    }
    return out;
  }

  /** Binary tournament: lower rank wins, then larger crowding distance, then the first drawn. */
  private tournament(ranks: Map<number, { rank: number; crowding: number }>): number {
    const a = this.population[this.rng.int(this.population.length)];
    const b = this.population[this.rng.int(this.population.length)];
    const ra = ranks.get(a)!;
    const rb = ranks.get(b)!;
    if (ra.rank !== rb.rank) return ra.rank < rb.rank ? a : b;
    return rb.crowding > ra.crowding ? b : a;
  }

  /** Uniform crossover + categorical mutation; an unseen child or undefined. */
  private offspring(parents: readonly Arch[], seen: (a: Arch) => boolean): Arch | undefined {
    const L = this.space.decisions.length;
    const pm = this.options.mutationProb > 0 ? this.options.mutationProb : 1 / L;
    for (let attempt = 0; attempt < 20; attempt++) {
      const cross = this.rng.next() < this.options.crossoverProb;
      const child = parents[0].map((v, d) => (cross && this.rng.next() < 0.5 ? parents[1][d] : v));
      let mutated = false;
      for (let d = 0; d < L; d++) {
        const n = this.space.decisions[d].options.length;
        if (n > 1 && this.rng.next() < pm) {
          child[d] = (child[d] + 1 + this.rng.int(n - 1)) % n;
          mutated = true;
        }
      }
      if (!mutated) {
        const d = this.rng.int(L);
        const n = this.space.decisions[d].options.length;
        if (n > 1) child[d] = (child[d] + 1 + this.rng.int(n - 1)) % n;
      }
      if (!seen(child)) return Object.freeze(child);
    }
    return mutateUnseen(this.space, this.rng, parents[0], seen);
  }

  tell(result: TrialResult): void {
    this.book.accept(result);
  }

  snapshot(): StrategyState {
    const data: Nsga2Data = {
      rng: this.rng.state(),
      book: this.book.state(),
      population: this.population,
      generation: this.generation,
      phase: this.phase,
      todo: this.todo,
      batch: this.batch,
      guesses: this.guesses,
    };
    return { strategy: NAME, version: VERSION, data: toJson(data) };
  }
}

/** Registry entry of NSGA-II (`nsga2`). */
export const nsga2: StrategyDefinition<Nsga2Options> = {
  name: NAME,
  summary: 'NSGA-II: non-dominated sorting, crowding distance, categorical crossover and mutation',
  defaults: NSGA2_DEFAULTS,
  optionSpecs: {
    populationSize: { type: 'int', min: 2, description: 'population size = offspring per generation (default 10)' },
    crossoverProb: { type: 'number', min: 0, max: 1, description: 'uniform crossover probability (default 0.9)' },
    mutationProb: { type: 'number', min: 0, max: 1, description: 'per-decision mutation probability; 0 = 1/decisions (default)' },
    screenFactor: { type: 'int', min: 1, description: 'cost-first pre-selection: candidates bred per evaluated offspring (default 4; 1 = off)' },
    preselectShare: { type: 'number', min: 0, max: 1, description: 'share of offspring picked by the optimistic guesses (default 0.5)' },
  },
  create: (ctx, options, state) => new Nsga2(ctx, options, state),
};
