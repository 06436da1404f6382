import { neighbours, Rng } from '@hwnas/bench-core';
import type { Arch, Metrics, SearchSpace } from '@hwnas/bench-core';
import { archEncoder } from './arch-features';
import type { ArchEncoding } from './arch-features';
import { CategoricalGp, expectedExcess, normalCdf, selectHyper } from './gaussian-process';
import type { GpHyper, GpPrediction } from './gaussian-process';
import { fitRidge, LinearFeatures, RidgeSolver } from './linear-model';
import type { LinearModel } from './linear-model';
import { hasObjectives, isFeasible, isPareto, rankKey, scalarScore } from './problem';
import type { SearchProblem } from './problem';
import { sampleUnseen } from './sampling';
import type { Candidate, SearchStrategy, StrategyContext, StrategyDefinition, StrategyState, TrialResult } from './strategy';
import { stateData, toJson } from './strategy';
import { TrialBook } from './trial-book';
import type { TrialBookState } from './trial-book';

/** Options of {@link GpBo}. */
export interface GpBoOptions {
  /** Random architectures evaluated before the first model fit (default 10). */
  readonly initialSamples: number;
  /** Incumbents whose one-decision neighbourhoods are scored each round (default 5). */
  readonly incumbents: number;
  /** Uniformly random architectures scored each round besides the neighbourhoods (default 150). */
  readonly randomCandidates: number;
  /** Most evaluated architectures the Gaussian process is fitted on (default 120; see the class doc). */
  readonly modelPoints: number;
  /**
   * Proposals per round: ceil(n / batchDivisor) x ceil(n / (3 batchDivisor)) after n evaluations
   * (default 100): one refit per evaluation for the first 100, rounds of 2 and 3 up to 300, then
   * growing with n^2 so that a run through the whole space (15,625) needs about 300 rounds in all.
   */
  readonly batchDivisor: number;
  /**
   * Objective targets below this quantile of the observed ones are raised to it before fitting
   * (default 0.1): NB201's broken cells (10 % accuracy) would otherwise dominate the fit.
   */
  readonly clipQuantile: number;
}

/** Defaults of {@link GpBoOptions}. */
export const GP_BO_DEFAULTS: GpBoOptions = {
  initialSamples: 10,
  incumbents: 5,
  randomCandidates: 150,
  modelPoints: 120,
  batchDivisor: 100,
  clipQuantile: 0.1,
};

interface GpBoData {
  readonly rng: number[];
  readonly book: TrialBookState;
  readonly queue: number[][];
  /** Kernel hyperparameters in use and the evaluated count they were chosen at. */
  readonly hyper: GpHyper | null;
  readonly hyperAt: number;
}

const NAME = 'gp-bo';
const VERSION = 1;

/** Hyperparameters are chosen again once the evaluated count has grown by this factor. */
const HYPER_REFIT_GROWTH = 1.3;

/** A secondary metric (constraint or further objective) and its linear model. */
interface CostTarget {
  readonly metric: string;
  readonly ys: number[];
  model?: LinearModel;
}

/**
 * An acquisition function: the value of evaluating `arch` given the objective model's prediction
 * there; non-decreasing in the prediction's sd (what the bound of a round relies on).
 */
type Acquisition = (arch: Arch, prediction: GpPrediction) => number;

/** One scored candidate of a round. */
interface Scored {
  readonly arch: Arch;
  readonly value: number;
}

/**
 * Bayesian optimisation with a Gaussian process over architectures (constrained, and
 * multi-objective), for spaces of categorical decisions:
 *
 * - Surrogate of the objective: a Gaussian process over the decisions with an additive
 *   (one-hot linear) plus exponentiated-Hamming kernel ({@link CategoricalGp}), hyperparameters by
 *   marginal likelihood over a small grid, chosen again each time the data grew by 30 %. Fitted
 *   on at most `modelPoints` evaluated architectures: the best half and the most recent ones.
 * - Surrogate of every constrained metric (and of the further objectives in Pareto search):
 *   FOX-NAS's Bayesian ridge regression on decision indicators and pairwise terms
 *   ({@link LinearFeatures}, {@link RidgeSolver}), as device costs are close to additive over the
 *   decisions; its residual spread is the predictive standard deviation. In cost-first mode the
 *   architectures a cost screen rejected feed these models too, and the screen itself makes
 *   feasibility exact.
 * - Acquisition, single objective: expected improvement over the best feasible value times the
 *   probability that every constraint holds; while nothing feasible is known, that probability
 *   alone. Two objectives: expected hypervolume improvement (closed form, the second objective at
 *   its predicted mean) times the probability of feasibility; three or more: a random
 *   augmented-Tchebycheff scalarisation per round (ParEGO) of the optimistic predictions.
 * - Maximised over the one-decision neighbourhoods of the incumbents (the best feasible
 *   architectures; the front in Pareto search) plus two-decision mutants and uniform samples.
 *
 * Models are refitted from the trial data each round, so a restore rebuilds them exactly.
 */
export class GpBo implements SearchStrategy {
  private readonly rng: Rng;
  private readonly book: TrialBook;
  private readonly queue: number[][];
  private readonly space: SearchSpace;
  private readonly problem: SearchProblem;
  private readonly encode: (arch: Arch) => ArchEncoding;
  private hyper: GpHyper | null;
  private hyperAt: number;
  private readonly features: LinearFeatures;
  private readonly solver: RidgeSolver;
  private readonly rows: number[][] = [];
  private readonly costs: CostTarget[];
  /** Told trials with objective values, in tell order (the objective model's data). */
  private readonly evaluated: number[] = [];
  /**
   * The same trials best first by {@link rankKey} (feasible by score, then by violation), kept
   * sorted as tells arrive, so that a round reads its incumbents without sorting everything.
   */
  private readonly ranked: { readonly id: number; readonly tier: number; readonly value: number }[] = [];
  /** Pareto search: trial ids of the feasible non-dominated evaluated trials, kept as tells arrive. */
  private readonly front: number[] = [];
  private ingested = 0;
  /** The previous round's objective model, whose factor the next round extends when its data only grew (derived: not in snapshots). */
  private lastGp?: CategoricalGp;

  constructor(
    ctx: StrategyContext,
    private readonly options: GpBoOptions,
    state?: StrategyState,
  ) {
    const data = state ? stateData<GpBoData>(state, NAME, VERSION) : undefined;
    this.space = ctx.space;
    this.problem = ctx.problem;
    this.encode = archEncoder(ctx.space);
    this.rng = new Rng(data ? data.rng : ctx.seed);
    this.book = new TrialBook(ctx.space, data?.book);
    this.queue = data ? data.queue.map((a) => a.slice()) : [];
    this.hyper = data?.hyper ?? null;
    this.hyperAt = data?.hyperAt ?? 0;
    const mode = LinearFeatures.countFor(ctx.space, 'all') <= 400 ? 'all' : 'none';
    this.features = new LinearFeatures(ctx.space, mode);
    const f = this.features;
    this.solver = new RidgeSolver(f.count, (i) => (i === 0 ? 0 : i < f.firstInteraction ? 1e-3 : 10));
    const secondary = [...ctx.problem.constraints.map((c) => c.metric), ...(isPareto(ctx.problem) ? ctx.problem.objectives.slice(1).map((o) => o.metric) : [])];
    this.costs = [...new Set(secondary)].map((metric) => ({ metric, ys: [] }));
    this.ingest();
  }

  ask(n: number): readonly Candidate[] {
    const out: Candidate[] = [];
    const seen = (a: Arch) => this.book.hasFull(a);
    while (out.length < n) {
      let arch: Arch | undefined;
      if (this.evaluated.length + this.book.pending < this.options.initialSamples) arch = sampleUnseen(this.space, this.rng, seen);
      else {
        while (!arch && this.queue.length > 0) {
          const next = this.queue.shift()!;
          if (!seen(next)) arch = next;
        }
        if (!arch) {
          this.round();
          arch = this.queue.shift() ?? sampleUnseen(this.space, this.rng, seen);
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

  /** Adds newly told trials to the objective data and the cost models' design. */
  private ingest(): void {
    for (; this.ingested < this.book.toldCount; this.ingested++) {
      const t = this.book.toldAt(this.ingested);
      if (t.status !== 'ok' || !t.metrics) continue;
      if (hasObjectives(this.problem, t.metrics)) this.addEvaluated(t.trialId, t.metrics);
      if (this.costs.length === 0) continue;
      const values = this.costs.map((c) => t.metrics![c.metric]);
      if (values.some((v) => typeof v !== 'number' || !Number.isFinite(v))) continue;
      const active = this.features.active(t.arch);
      this.solver.addRow(active);
      this.rows.push(active);
      this.costs.forEach((c, k) => c.ys.push(values[k]));
    }
  }

  private addEvaluated(id: number, metrics: Metrics): void {
    this.evaluated.push(id);
    const key = rankKey(this.problem, metrics);
    // Binary search for the first entry ranked below the new one (ties: earlier trials first).
    let lo = 0;
    let hi = this.ranked.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const r = this.ranked[mid];
      if (r.tier > key.tier || (r.tier === key.tier && r.value >= key.value)) lo = mid + 1;
      else hi = mid;
    }
    this.ranked.splice(lo, 0, { id, ...key });
    if (!isPareto(this.problem) || !isFeasible(this.problem, metrics)) return;
    const v = this.maxVector(metrics);
    const dominates = (a: number[], b: number[]) => a.every((x, i) => x >= b[i]) && a.some((x, i) => x > b[i]);
    if (this.front.some((f) => dominates(this.maxVector(this.book.get(f)!.metrics!), v))) return;
    for (let k = this.front.length - 1; k >= 0; k--) if (dominates(v, this.maxVector(this.book.get(this.front[k])!.metrics!))) this.front.splice(k, 1);
    this.front.push(id);
  }

  /** The objective values in maximisation form. */
  private maxVector(m: Metrics): number[] {
    return this.problem.objectives.map((o) => (o.direction === 'max' ? m[o.metric] : -m[o.metric]));
  }

  /** The objective value the Gaussian process models, in maximisation form. */
  private primary(m: Metrics): number {
    if (!isPareto(this.problem)) return scalarScore(this.problem, m);
    const o = this.problem.objectives[0];
    return o.direction === 'max' ? m[o.metric] : -m[o.metric];
  }

  /** The evaluated trials the Gaussian process is fitted on (all, or the best half plus the most recent). */
  private modelTrials(): number[] {
    const ids = this.evaluated;
    const cap = this.options.modelPoints;
    if (ids.length <= cap) return ids.slice();
    const chosen = new Set(this.ranked.slice(0, Math.floor(cap / 2)).map((r) => r.id));
    for (let k = ids.length - 1; k >= 0 && chosen.size < cap; k--) chosen.add(ids[k]);
    return [...chosen].sort((a, b) => a - b);
  }

  /** One model -> acquisition round: queues the best-scoring unseen candidates. */
  private round(): void {
    const trials = this.modelTrials().map((id) => this.book.get(id)!);
    const points = trials.map((t) => this.encode(t.arch));
    let ys = trials.map((t) => this.primary(t.metrics!));
    const q = this.options.clipQuantile;
    if (q > 0 && ys.length > 0) {
      const sorted = ys.slice().sort((a, b) => a - b);
      const floor = sorted[Math.floor(q * (sorted.length - 1))];
      ys = ys.map((y) => Math.max(y, floor));
    }
    if (!this.hyper || this.evaluated.length >= HYPER_REFIT_GROWTH * this.hyperAt) {
      this.hyper = selectHyper(points, ys);
      this.hyperAt = this.evaluated.length;
    }
    const gp = new CategoricalGp(points, ys, this.hyper, undefined, this.lastGp);
    this.lastGp = gp;
    const costModels = this.costs.map((c) => {
      c.model = fitRidge(this.solver, this.rows, c.ys, true);
      return { metric: c.metric, model: c.model, sd: Math.max(c.model.rmse, 1e-9) };
    });
    const predictCost = (metric: string, arch: Arch): GpPrediction => {
      const m = costModels.find((c) => c.metric === metric)!;
      return { mean: this.features.predictArch(m.model.coefficients, arch), sd: m.sd };
    };
    const feasibility = (arch: Arch): number => {
      let p = 1;
      for (const c of this.problem.constraints) {
        const pred = predictCost(c.metric, arch);
        p *= normalCdf((c.bound - pred.mean) / pred.sd);
      }
      return p;
    };
    const feasibleTrials = trials.filter((t) => isFeasible(this.problem, t.metrics));
    const acquisition = isPareto(this.problem) ? this.paretoAcquisition(predictCost) : this.improvement(trials, ys);
    const n = this.evaluated.length;
    const d = this.options.batchDivisor;
    const batch = Math.max(1, Math.ceil(n / d) * Math.ceil(n / (3 * d)));
    const byModel = feasibleTrials.length > 0 || this.problem.constraints.length === 0;
    // The acquisition grows with the predictive sd, which is at most the sd given the nearest data
    // point alone: scored at that sd, a candidate gets a bound in O(n). Exact scores
    // (O(n^2) each) are computed best bound first until no remaining bound can enter the batch.
    const constrained = this.problem.constraints.length > 0;
    const bounded = this.candidates((arch) => constrained && feasibility(arch) < 0.5).map((arch) => {
      const pof = this.problem.constraints.length > 0 ? feasibility(arch) : 1;
      if (!byModel) return { arch, pof, kernels: undefined, bound: pof };
      const kernels = gp.kernels(this.encode(arch));
      return { arch, pof, kernels, bound: acquisition(arch, { mean: gp.meanAt(kernels), sd: gp.sdBoundAt(kernels) * (1 + 1e-9) }) * pof };
    });
    bounded.sort((a, b) => b.bound - a.bound);
    const scored: Scored[] = [];
    for (const c of bounded) {
      if (scored.length >= batch && c.bound < scored[batch - 1].value) break;
      const value = c.kernels ? acquisition(c.arch, gp.predictAt(c.kernels)) * c.pof : c.pof;
      let at = scored.length;
      while (at > 0 && scored[at - 1].value < value) at--;
      scored.splice(at, 0, { arch: c.arch, value });
    }
    for (const s of scored.slice(0, batch)) this.queue.push(s.arch.slice());
  }

  /** Expected improvement over the best feasible modelled value. */
  private improvement(trials: readonly { metrics?: Metrics }[], ys: readonly number[]): Acquisition {
    let best = -Infinity;
    trials.forEach((t, i) => {
      if (isFeasible(this.problem, t.metrics)) best = Math.max(best, ys[i]);
    });
    return (_arch, p) => expectedExcess(p.mean, p.sd, best) + 1e-12;
  }

  /**
   * Two objectives: expected hypervolume improvement over the feasible front, in maximisation form
   * and normalised by the observed ranges, with the second objective at its predicted mean.
   * Three or more: a ParEGO scalarisation with weights drawn for this round.
   */
  private paretoAcquisition(predictCost: (metric: string, arch: Arch) => GpPrediction): Acquisition {
    const objectives = this.problem.objectives;
    const signs = objectives.map((o) => (o.direction === 'max' ? 1 : -1));
    const points = this.evaluated.map((id) => objectives.map((o, k) => signs[k] * this.book.get(id)!.metrics![o.metric]));
    const lo = objectives.map((_, k) => Math.min(...points.map((p) => p[k])));
    const hi = objectives.map((_, k) => Math.max(...points.map((p) => p[k])));
    const span = lo.map((l, k) => hi[k] - l || 1);
    const norm = (v: number, k: number) => (v - lo[k]) / span[k];
    const front = this.front.map((id) => this.maxVector(this.book.get(id)!.metrics!).map(norm));
    const secondary = (arch: Arch, k: number) => norm(signs[k] * predictCost(objectives[k].metric, arch).mean, k);
    const primary = (p: GpPrediction) => ({ mean: norm(p.mean, 0), sd: p.sd / span[0] });
    if (objectives.length === 2) {
      // Reference point a tenth of the observed range below the worst observed values.
      const ref = -0.1;
      const levels = front.slice().sort((a, b) => b[1] - a[1]);
      return (arch, prediction) => {
        const s = secondary(arch, 1);
        const p = primary(prediction);
        // Gain = integral over x in [ref, s] of E[(p - P(x))^+], P(x) = best primary among front
        // points whose secondary value is >= x: a step function, constant between front points.
        let gain = 0;
        let upper = s;
        let level = ref;
        for (const f of levels) {
          if (f[1] < upper) {
            gain += (upper - Math.max(f[1], ref)) * expectedExcess(p.mean, p.sd, level);
            upper = f[1];
            if (upper <= ref) break;
          }
          level = Math.max(level, f[0]);
        }
        if (upper > ref) gain += (upper - ref) * expectedExcess(p.mean, p.sd, level);
        return gain + 1e-12;
      };
    }
    const weights = objectives.map(() => this.rng.next() + 1e-3);
    const total = weights.reduce((a, b) => a + b, 0);
    return (arch, prediction) => {
      const p = primary(prediction);
      const values = objectives.map((_, k) => (k === 0 ? p.mean + p.sd : secondary(arch, k)));
      let worst = Infinity;
      let sum = 0;
      values.forEach((v, k) => {
        worst = Math.min(worst, (weights[k] / total) * v);
        sum += (weights[k] / total) * v;
      });
      return Math.exp(worst + 0.05 * sum);
    };
  }

  /**
   * Unseen candidates of a round: neighbourhoods of the incumbents, two-decision mutants, random
   * draws, and, for each neighbour and draw that `repair` selects (the constraint model calls it
   * more likely infeasible than not), its pruned form: the same network with the decisions that
   * cannot affect it (NB201's dead edges, {@link archEncoder}) set to `none`. The pruned form
   * computes the same function (the objective model cannot tell them apart), usually at less
   * latency (over NB201's 6,180 cells with dead edges: not slower in 77-93 % of them, 0.73-0.86x on
   * average, on raspi4, pixel3 and HELP's 13 devices; slower on most HELP devices where only skip
   * connections are pruned: scripts/pruned-twins.ts), so it is where a constrained search finds a
   * network it wants under a bound the original misses; neighbourhoods and uniform draws rarely
   * propose such sparse cells themselves. Other spaces have no pruned forms.
   */
  private candidates(repair: (arch: Arch) => boolean): Arch[] {
    const out: Arch[] = [];
    const keys = new Set<string>();
    const add = (a: Arch) => {
      const k = a.join(',');
      if (keys.has(k) || this.book.hasFull(a)) return;
      keys.add(k);
      out.push(a);
    };
    const addWithPruned = (a: Arch) => {
      add(a);
      if (repair(a)) add(this.encode(a).arch.slice());
    };
    const decisions = this.space.decisions;
    for (const inc of this.incumbents()) {
      for (const a of neighbours(this.space, inc)) {
        addWithPruned(a);
        const b = a.slice();
        const d = this.rng.int(decisions.length);
        b[d] = this.rng.int(decisions[d].options.length);
        add(b);
      }
    }
    const draw = new Array<number>(decisions.length);
    for (let i = 0; i < this.options.randomCandidates; i++) {
      for (let d = 0; d < decisions.length; d++) draw[d] = this.rng.int(decisions[d].options.length);
      addWithPruned(draw.slice());
    }
    return out;
  }

  /** The best feasible evaluated architectures (least violating when none is feasible); in Pareto search a random part of the front. */
  private incumbents(): Arch[] {
    const k = this.options.incumbents;
    if (isPareto(this.problem)) {
      // A random subset of the front, so that every part of it gets explored over the rounds.
      const pool = this.front.slice();
      const picked: Arch[] = [];
      while (pool.length > 0 && picked.length < k) picked.push(this.book.get(pool.splice(this.rng.int(pool.length), 1)[0])!.arch);
      return picked;
    }
    return this.ranked.slice(0, k).map((r) => this.book.get(r.id)!.arch);
  }

  snapshot(): StrategyState {
    const data: GpBoData = { rng: this.rng.state(), book: this.book.state(), queue: this.queue, hyper: this.hyper, hyperAt: this.hyperAt };
    return { strategy: NAME, version: VERSION, data: toJson(data) };
  }
}

/** Registry entry of Gaussian-process Bayesian optimisation (`gp-bo`). */
export const gpBo: StrategyDefinition<GpBoOptions> = {
  name: NAME,
  summary: 'Bayesian optimisation: Gaussian process over the decisions, constrained EI (EHVI in Pareto search) over incumbent neighbourhoods',
  defaults: GP_BO_DEFAULTS,
  optionSpecs: {
    initialSamples: { type: 'int', min: 1, description: 'random architectures before the first fit (default 10)' },
    incumbents: { type: 'int', min: 1, description: 'incumbents whose neighbourhoods are scored each round (default 5)' },
    randomCandidates: { type: 'int', min: 0, description: 'random architectures scored each round (default 150)' },
    modelPoints: { type: 'int', min: 10, description: 'most evaluated architectures the Gaussian process is fitted on (default 120)' },
    batchDivisor: { type: 'int', min: 1, description: 'proposals per round = ceil(n / batchDivisor) x ceil(n / (3 batchDivisor)) after n evaluations (default 100)' },
    clipQuantile: { type: 'number', min: 0, max: 0.5, description: 'lower-tail clipping quantile of the objective targets (default 0.1)' },
  },
  create: (ctx, options, state) => new GpBo(ctx, options, state),
};
