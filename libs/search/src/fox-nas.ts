import { archKey, Rng } from '@hwnas/bench-core';
import type { Arch, Metrics, SearchSpace } from '@hwnas/bench-core';
import { fitRidge, LinearFeatures, RidgeSolver, samplePosterior } from './linear-model';
import type { InteractionMode, LinearModel } from './linear-model';
import { hasObjectives, isPareto, scalarScore } from './problem';
import type { SearchProblem } from './problem';
import { sampleUnseen } from './sampling';
import type { Candidate, PredictorExplanation, SearchStrategy, StrategyContext, StrategyDefinition, StrategyState, TrialResult } from './strategy';
import { stateData, toJson } from './strategy';
import { TrialBook } from './trial-book';
import type { TrialBookState } from './trial-book';
import { tracedStep } from './tracing';

/** Options of {@link FoxNas}. */
export interface FoxNasOptions {
  /** Random architectures evaluated before the first fit (default 20). */
  readonly initialSamples: number;
  /** Proposals evaluated per fit -> anneal round (default 5; grows to 1/40 of the evaluated count). */
  readonly proposalsPerRound: number;
  /** Independent annealing runs per round (default 5; grows with the round size). */
  readonly restarts: number;
  /** Annealing steps per run (default 150). */
  readonly iterations: number;
  /** Initial temperature, in standard deviations of the fitted objective's targets (default 0.5). */
  readonly temperature: number;
  /** Final temperature as a fraction of the initial one (geometric cooling; default 0.01). */
  readonly cooling: number;
  /**
   * Pairwise interaction terms: `all` decision pairs, `none`, or `auto` (default): all pairs when
   * the encoding has at most 400 features (NB201: 265), else none (FBNet: 177 main effects).
   */
  readonly interactions: 'auto' | InteractionMode;
  /** Ridge weight on interaction terms (default 10); main effects get 1e-3, the intercept none. */
  readonly ridge: number;
  /**
   * Robust target: objective values below this quantile of the observed ones are raised to it
   * before fitting (default 0.1), so that a few broken architectures (NB201's disconnected cells at
   * 10 %) do not dominate the least-squares fit. 0 fits the raw values.
   */
  readonly clipQuantile: number;
  /** Fraction of proposals drawn at random among predicted-feasible architectures (default 0.2). */
  readonly randomFraction: number;
  /**
   * Thompson sampling (default true): each annealing run maximises a draw from the Bayesian
   * posterior of the objective predictor (ridge prior, residual noise) instead of its fitted
   * mean, so proposals keep exploring where the linear model is unsure. The cost predictors (the
   * hard filter) always use their fitted mean. false = plain FOX-NAS.
   */
  readonly thompson: boolean;
  /** Multiplier of the posterior standard deviation in Thompson sampling (default 1). */
  readonly posteriorScale: number;
}

/** Defaults of {@link FoxNasOptions}. */
export const FOX_NAS_DEFAULTS: FoxNasOptions = {
  initialSamples: 20,
  proposalsPerRound: 5,
  restarts: 5,
  iterations: 150,
  temperature: 0.5,
  cooling: 0.01,
  interactions: 'auto',
  ridge: 10,
  clipQuantile: 0.1,
  randomFraction: 0.2,
  thompson: true,
  posteriorScale: 1,
};

interface FoxNasData {
  readonly rng: number[];
  readonly book: TrialBookState;
  /** Proposals of the last round not yet handed out. */
  readonly queue: number[][];
  readonly rounds: number;
  /**
   * No fit -> anneal round runs before this many architectures are evaluated: set when a round
   * came back short (absent in snapshots taken before it existed: 0).
   */
  readonly dryUntil?: number;
}

const NAME = 'fox-nas';
const VERSION = 1;

/**
 * A design matrix shared by every target fitted on the same rows: the evaluated architectures
 * (objectives and costs), or, in cost-first mode, those plus the ones screened out on costs
 * (cost targets only). Sharing the incremental factor halves the fitting work.
 */
interface Design {
  solver: RidgeSolver;
  readonly rows: number[][];
}

/** One regression target: a metric (or the scalar score) fitted on one design's rows. */
interface Target {
  /** Metric name, or `score` for the scalar objective. */
  readonly name: string;
  /** Value of a trial's metrics to fit. */
  readonly value: (m: Metrics) => number;
  /** Whether the maximised tail is the good one (clipping applies to the other tail). */
  readonly maximise: boolean;
  readonly clip: boolean;
  /** `evaluated` or `costs` (see {@link Design}). */
  readonly design: 'evaluated' | 'costs';
  /** One value per row of the design. */
  readonly ys: number[];
  model?: LinearModel;
}

/**
 * FOX-NAS (Liu et al., ICCV 2021 workshops), generalised to any space of categorical decisions:
 *
 * 1. evaluate `initialSamples` random architectures;
 * 2. fit explainable multivariate linear-regression predictors by least squares on one-hot
 *    decision indicators plus pairwise interaction terms: one for the objective (the scalar score;
 *    each objective in Pareto search) and one for each constrained metric;
 * 3. simulated annealing over the predictors (Metropolis acceptance, geometric cooling, one- or
 *    two-decision moves), with the constraints as a HARD filter on the predicted costs: a move the
 *    cost predictor places over a bound is rejected, so such a candidate is never proposed;
 * 4. evaluate the best unseen states of the annealing runs (plus a few random predicted-feasible
 *    ones), refit, and repeat.
 *
 * Beyond the paper (both switchable): each annealing run maximises a Thompson draw of the
 * objective predictor's Bayesian posterior rather than its mean (`thompson`), so the search keeps
 * exploring where the linear model is unsure, and the lower `clipQuantile` of the objective targets
 * is winsorised before fitting. The least-squares fit has a ridge term on the interaction terms
 * (`ridge`) because there are more of them than data points early on.
 *
 * In Pareto search each annealing run maximises the first objective under a random bound on the
 * others (an epsilon-constraint), so the proposals spread along the front. {@link explain} returns
 * the fitted coefficients. Predictors are refitted from the trial data, so a restore rebuilds them
 * exactly; fitting is incremental (rank-1 Cholesky updates), cheap enough to refit every round.
 */
export class FoxNas implements SearchStrategy {
  private readonly rng: Rng;
  private readonly book: TrialBook;
  private readonly queue: number[][];
  private rounds: number;
  private dryUntil: number;
  private readonly space: SearchSpace;
  private readonly problem: SearchProblem;
  private readonly features: LinearFeatures;
  private readonly objectives: Target[];
  private readonly constraints: { target: Target; bound: number }[];
  /** Trials already added to the targets' designs (in tell order). */
  private ingested = 0;
  private readonly evaluatedDesign: Design;
  /** Created on the first screened-out row; until then cost targets use the evaluated design. */
  private costsDesign?: Design;

  constructor(
    ctx: StrategyContext,
    private readonly options: FoxNasOptions,
    state?: StrategyState,
  ) {
    const data = state ? stateData<FoxNasData>(state, NAME, VERSION) : undefined;
    this.space = ctx.space;
    this.problem = ctx.problem;
    this.rng = new Rng(data ? data.rng : ctx.seed);
    this.book = new TrialBook(ctx.space, data?.book);
    this.queue = data ? data.queue.map((a) => a.slice()) : [];
    this.rounds = data?.rounds ?? 0;
    this.dryUntil = data?.dryUntil ?? 0;
    const mode: InteractionMode = options.interactions === 'auto' ? (LinearFeatures.countFor(ctx.space, 'all') <= 400 ? 'all' : 'none') : options.interactions;
    this.features = new LinearFeatures(ctx.space, mode);
    const f = this.features;
    const penalty = (i: number) => (i === 0 ? 0 : i < f.firstInteraction ? 1e-3 : options.ridge);
    this.evaluatedDesign = { solver: new RidgeSolver(f.count, penalty), rows: [] };
    const target = (name: string, value: (m: Metrics) => number, maximise: boolean, clip: boolean, design: Target['design']): Target => ({
      name,
      value,
      maximise,
      clip,
      design,
      ys: [],
    });
    const p = ctx.problem;
    this.objectives = isPareto(p)
      ? p.objectives.map((o) => target(o.metric, (m) => m[o.metric], o.direction === 'max', o.direction === 'max', 'evaluated'))
      : [target('score', (m) => scalarScore(p, m), true, true, 'evaluated')];
    this.constraints = p.constraints.map((c) => ({ target: target(c.metric, (m) => m[c.metric], false, false, 'costs'), bound: c.bound }));
    this.ingest();
  }

  ask(n: number): readonly Candidate[] {
    const out: Candidate[] = [];
    const seen = (a: Arch) => this.book.hasFull(a);
    while (out.length < n) {
      let arch: Arch | undefined;
      // The initial design counts architectures evaluated (or in flight), not those a cost-first
      // screen rejected: the accuracy predictor needs `initialSamples` real data points.
      if (this.evaluatedDesign.rows.length + this.book.pending < this.options.initialSamples) arch = sampleUnseen(this.space, this.rng, seen);
      else {
        while (!arch && this.queue.length > 0) {
          const next = this.queue.shift()!;
          if (!seen(next)) arch = next;
        }
        if (!arch) {
          if (this.evaluatedDesign.rows.length >= this.dryUntil) this.round();
          // When annealing found nothing new, a random predicted-feasible architecture; only when
          // no unseen one is predicted feasible does the search fall back to any unseen one.
          arch = this.queue.shift() ?? (this.rounds > 0 ? this.randomFeasible() : undefined) ?? sampleUnseen(this.space, this.rng, seen);
        }
      }
      if (!arch) break;
      out.push(this.book.propose(arch, 'full'));
    }
    return out;
  }

  tell(result: TrialResult): void {
    if (this.book.accept(result)) this.ingest();
  }

  /**
   * Adds newly told trials to the designs. An evaluated trial is a row of every target; one
   * screened out on costs (cost metrics only) is a row of the cost targets only.
   */
  private ingest(): void {
    for (; this.ingested < this.book.toldCount; this.ingested++) {
      const t = this.book.toldAt(this.ingested);
      if (t.status !== 'ok' || !t.metrics) continue;
      const active = this.features.active(t.arch);
      const costTargets = this.constraints.map((c) => c.target);
      if (hasObjectives(this.problem, t.metrics)) {
        this.addRow(this.evaluatedDesign, active);
        if (this.costsDesign) this.addRow(this.costsDesign, active);
        for (const target of [...this.objectives, ...costTargets]) this.pushValue(target, t.metrics);
      } else if (costTargets.length > 0) {
        this.costsDesign ??= { solver: this.evaluatedDesign.solver.clone(), rows: this.evaluatedDesign.rows.slice() };
        this.addRow(this.costsDesign, active);
        for (const target of costTargets) this.pushValue(target, t.metrics);
      }
    }
  }

  private addRow(design: Design, active: number[]): void {
    design.solver.addRow(active);
    design.rows.push(active);
  }

  /** Appends a target value; a missing one is replaced by the mean so far (a neutral row). */
  private pushValue(target: Target, metrics: Metrics): void {
    const y = target.value(metrics);
    if (typeof y === 'number' && Number.isFinite(y)) target.ys.push(y);
    else target.ys.push(target.ys.length > 0 ? target.ys.reduce((a, b) => a + b, 0) / target.ys.length : 0);
  }

  private designOf(target: Target): Design {
    return target.design === 'costs' && this.costsDesign ? this.costsDesign : this.evaluatedDesign;
  }

  private fit(target: Target, withR2 = false): LinearModel {
    let ys = target.ys;
    if (target.clip && this.options.clipQuantile > 0 && ys.length > 0) {
      // Targets are finite (pushValue), so a typed array's numeric sort (no comparator calls) ranks them alike.
      const sorted = Float64Array.from(ys).sort();
      const q = this.options.clipQuantile;
      const bound = target.maximise ? sorted[Math.floor(q * (sorted.length - 1))] : sorted[Math.ceil((1 - q) * (sorted.length - 1))];
      ys = ys.map((y) => (target.maximise ? Math.max(y, bound) : Math.min(y, bound)));
    }
    const design = this.designOf(target);
    target.model = fitRidge(design.solver, design.rows, ys, withR2);
    return target.model;
  }

  /** One fit -> anneal round: refits every predictor and queues the round's proposals. */
  private round(): void {
    const before = this.queue.length;
    tracedStep('fox-nas.fit-anneal', () => this.fitAndAnneal(), () => ({
      'hwnas.strategy': 'fox-nas',
      'hwnas.round': this.rounds,
      'hwnas.samples': this.evaluatedDesign.rows.length,
      'hwnas.proposals': this.queue.length - before,
    }));
  }

  private fitAndAnneal(): void {
    this.rounds++;
    // Only the primary objective is sampled (Thompson), so only it needs its residual scale.
    this.objectives.forEach((t, k) => this.fit(t, k === 0 && this.options.thompson));
    for (const c of this.constraints) this.fit(c.target);
    const seen = (a: Arch) => this.book.hasFull(a);
    const proposals: Arch[] = [];
    const keys = new Set<string>();
    const push = (a: Arch | undefined) => {
      if (!a) return;
      const k = archKey(this.space, a);
      if (keys.has(k) || seen(a)) return;
      keys.add(k);
      proposals.push(a);
    };
    // Rounds grow with the data (one refit per 2.5 % new evaluations once past 200), which keeps
    // the fitting cost of long runs flat while a refit after a few points matters less and less.
    const grow = Math.ceil(this.evaluatedDesign.rows.length / 40);
    const want = Math.max(this.options.proposalsPerRound, grow);
    const restarts = Math.max(this.options.restarts, grow);
    // The primary objective's spread sets every run's temperature; its targets do not change within a round.
    const spread = standardDeviation(this.objectives[0].ys) || 1;
    for (let r = 0; r < restarts && proposals.length < want; r++) {
      if (this.rng.next() < this.options.randomFraction) push(this.randomFeasible());
      else push(this.anneal(spread));
    }
    this.queue.push(...proposals.map((a) => a.slice()));
    // A short round means the unseen architectures the predictors call feasible are running out
    // (late in a long run under a tight constraint). Refitting and annealing again after every
    // evaluation would then cost a full round per evaluation and find next to nothing, so the
    // next round waits for as many new evaluations as a full round would have proposed; the asks
    // in between draw random (predicted-feasible when possible) unseen architectures.
    const rows = this.evaluatedDesign.rows.length;
    this.dryUntil = proposals.length < want / 2 ? rows + want : 0;
  }

  /** Predicted-cost feasibility (the hard filter), with epsilon bounds on extra objectives. */
  private feasibleBy(bounds: readonly { target: Target; bound: number; max: boolean }[]): (arch: Arch) => boolean {
    const f = this.features;
    return (arch) => {
      // Indexed: this runs at every annealing step, and for-of allocates an iterator result per
      // bound until V8 optimises it.
      for (let i = 0; i < bounds.length; i++) {
        const b = bounds[i];
        const v = f.predictArch(b.target.model!.coefficients, arch);
        if (b.max ? v < b.bound : v > b.bound) return false;
      }
      return true;
    };
  }

  /**
   * A uniformly random unseen architecture the cost predictors call feasible, from at most 200
   * draws (undefined when none of them is): bounded work however much of the space is seen.
   */
  private randomFeasible(): Arch | undefined {
    const ok = this.feasibleBy(this.constraints.map((c) => ({ ...c, max: false })));
    const decisions = this.space.decisions;
    // Filled by appending, so it stays a packed integer array like every architecture the
    // predictors read here (see anneal).
    const draw: number[] = [];
    for (let i = 0; i < 200; i++) {
      for (let d = 0; d < decisions.length; d++) draw[d] = this.rng.int(decisions[d].options.length);
      if (!this.book.hasFull(draw) && ok(draw)) return Object.freeze(draw.slice());
    }
    return undefined;
  }

  /**
   * One simulated-annealing run over the predictors; returns the best state it visited that was
   * never proposed. Moves change one decision (two with probability 0.3); a move whose predicted
   * costs break a bound is rejected outright (hard filter); others are accepted by the Metropolis
   * rule exp(delta / T) with T cooled geometrically from `temperature` x `spread` (the standard
   * deviation of the primary objective's targets, 1 when they have none).
   */
  private anneal(spread: number): Arch | undefined {
    const [primary, ...others] = this.objectives;
    const bounds = this.constraints.map((c) => ({ ...c, max: false }));
    for (const o of others) {
      // Epsilon-constraint on the other objectives: a random bound within the observed range.
      const lo = Math.min(...o.ys);
      const hi = Math.max(...o.ys);
      bounds.push({ target: o, bound: lo + this.rng.next() * (hi - lo), max: o.maximise });
    }
    const ok = this.feasibleBy(bounds);
    const sign = primary.maximise ? 1 : -1;
    const model = primary.model!;
    const coefficients = this.options.thompson
      ? samplePosterior(this.evaluatedDesign.solver, model.coefficients, (model.rmse || 0) * this.options.posteriorScale, () => this.rng.normal())
      : model.coefficients;
    const f = this.features;
    const value = (a: Arch) => sign * f.predictArch(coefficients, a);
    const decisions = this.space.decisions;
    const rng = this.rng;

    let start: number[] | undefined;
    for (let i = 0; i < 100 && !start; i++) {
      // Appended one by one: a packed integer array whatever tier runs this code (map's result is
      // holey or packed depending on whether it was optimised), so that predictArch sees one
      // elements kind and is not deoptimised and recompiled for each.
      const a: number[] = [];
      for (const d of decisions) a.push(rng.int(d.options.length));
      if (ok(a)) start = a;
    }
    if (!start) return undefined;
    const state = start;
    let current = value(state);
    let best: number[] | undefined;
    let bestValue = -Infinity;
    const consider = () => {
      if (current > bestValue && !this.book.hasFull(state)) {
        best = state.slice();
        bestValue = current;
      }
    };
    consider();
    const iterations = this.options.iterations;
    let temperature = this.options.temperature * spread;
    const decay = Math.pow(this.options.cooling, 1 / Math.max(iterations, 1));
    // The decisions a move changed and their previous options (at most two), kept in fixed arrays:
    // emptying and refilling an array each step reallocated its storage (most of the search's garbage).
    const changed = [0, 0];
    const previous = [0, 0];
    for (let it = 0; it < iterations; it++, temperature *= decay) {
      let changes = 0;
      const moves = rng.next() < 0.3 ? 2 : 1;
      for (let m = 0; m < moves; m++) {
        const d = rng.int(decisions.length);
        const n = decisions[d].options.length;
        if (n < 2) continue;
        changed[changes] = d;
        previous[changes] = state[d];
        changes++;
        state[d] = (state[d] + 1 + rng.int(n - 1)) % n;
      }
      let accept = ok(state);
      let v = current;
      if (accept) {
        v = value(state);
        accept = v >= current || rng.next() < Math.exp((v - current) / temperature);
      }
      if (accept) {
        current = v;
        if (current > bestValue) consider();
      } else {
        for (let k = changes - 1; k >= 0; k--) state[changed[k]] = previous[k];
      }
    }
    return best ? Object.freeze(best) : undefined;
  }

  /**
   * The prediction of the predictor of `metric` (an objective or constrained metric; `score` for
   * the scalar objective) for `arch`, as last fitted (at the last fit -> anneal round); undefined
   * before the first fit.
   */
  predicted(metric: string, arch: Arch): number | undefined {
    const target = [...this.objectives, ...this.constraints.map((c) => c.target)].find((t) => t.name === metric);
    return target?.model ? this.features.predictArch(target.model.coefficients, arch) : undefined;
  }

  /** The fitted predictors (refits them on all data told so far). */
  explain(): readonly PredictorExplanation[] {
    const out: PredictorExplanation[] = [];
    for (const t of [...this.objectives, ...this.constraints.map((c) => c.target)]) {
      if (t.ys.length === 0) continue;
      const m = this.fit(t, true);
      const coefficients = Array.from(m.coefficients)
        .map((weight, i) => ({ term: this.features.name(i), weight, i }))
        .filter((c) => c.i > 0 && Math.abs(c.weight) > 1e-6)
        .sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight) || a.i - b.i)
        .map(({ term, weight }) => ({ term, weight }));
      out.push({ metric: t.name === 'score' ? this.scoreName() : t.name, samples: m.samples, r2: m.r2, intercept: m.coefficients[0], coefficients });
    }
    return out;
  }

  private scoreName(): string {
    const p = this.problem;
    if (p.reward) return `reward(${p.reward.accuracy}, ${p.reward.cost})`;
    const o = p.objectives[0];
    return o.direction === 'max' ? o.metric : `-${o.metric}`;
  }

  snapshot(): StrategyState {
    const data: FoxNasData = { rng: this.rng.state(), book: this.book.state(), queue: this.queue, rounds: this.rounds, dryUntil: this.dryUntil };
    return { strategy: NAME, version: VERSION, data: toJson(data) };
  }
}

function standardDeviation(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
}

/** Registry entry of FOX-NAS (`fox-nas`). */
export const foxNas: StrategyDefinition<FoxNasOptions> = {
  name: NAME,
  summary: 'FOX-NAS: linear-regression predictors (one-hot + pairwise terms) and simulated annealing under predicted constraints',
  defaults: FOX_NAS_DEFAULTS,
  optionSpecs: {
    initialSamples: { type: 'int', min: 1, description: 'random architectures before the first fit (default 20)' },
    proposalsPerRound: { type: 'int', min: 1, description: 'proposals evaluated per fit -> anneal round (default 5)' },
    restarts: { type: 'int', min: 1, description: 'annealing runs per round (default 5)' },
    iterations: { type: 'int', min: 1, description: 'annealing steps per run (default 150)' },
    temperature: { type: 'number', min: 0, description: 'initial temperature in target standard deviations (default 0.5)' },
    cooling: { type: 'number', min: 1e-9, max: 1, description: 'final/initial temperature ratio (default 0.01)' },
    interactions: { type: 'enum', values: ['auto', 'all', 'none'], description: 'pairwise interaction terms (default auto)' },
    ridge: { type: 'number', min: 0, description: 'ridge weight on interaction terms (default 10)' },
    clipQuantile: { type: 'number', min: 0, max: 0.5, description: 'lower-tail clipping quantile of the objective targets (default 0.1)' },
    randomFraction: { type: 'number', min: 0, max: 1, description: 'fraction of random predicted-feasible proposals (default 0.2)' },
    thompson: { type: 'boolean', description: 'anneal a posterior draw of the objective predictor (Thompson sampling; default true)' },
    posteriorScale: { type: 'number', min: 0, description: 'multiplier of the posterior spread in Thompson sampling (default 1)' },
  },
  create: (ctx, options, state) => new FoxNas(ctx, options, state),
};
