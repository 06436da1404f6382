import { Rng } from '@hwnas/bench-core';
import type { Arch, Metrics, SearchSpace } from '@hwnas/bench-core';
import { hasObjectives, violation } from './problem';
import type { SearchProblem } from './problem';
import type { Candidate, SearchStrategy, StrategyContext, StrategyDefinition, StrategyState, TrialResult } from './strategy';
import { stateData, toJson } from './strategy';
import { TrialBook } from './trial-book';
import type { TrialBookState } from './trial-book';
import { tracedStep } from './tracing';

/** Options of {@link AutoShrink}. */
export interface AutoShrinkOptions {
  /** Candidate removals scored per step, k (default 10, as in AutoShrink). */
  readonly candidates: number;
  /** Architectures drawn from each candidate's shrunk space to score it (default 1). */
  readonly samples: number;
  /**
   * Cost metric of the efficiency term; '' (default) = the first constrained metric, else the
   * first minimised objective, else `flops`.
   */
  readonly costMetric: string;
  /** Weight of the cost term per decade of cost (default 0.1, AutoShrink's). */
  readonly costWeight: number;
  /** Start a new shrinking pass from the full space when one ends (default true). */
  readonly restart: boolean;
}

/** Defaults of {@link AutoShrinkOptions}. */
export const AUTOSHRINK_DEFAULTS: AutoShrinkOptions = { candidates: 10, samples: 1, costMetric: '', costWeight: 0.1, restart: true };

/** One removal scored in a step: decision `d` loses option `o`; `draws` are the sampled architectures. */
interface Removal {
  readonly d: number;
  readonly o: number;
  readonly draws: number[][];
}

/** What one shrinking step did (a snapshot of the trajectory). */
export interface ShrinkStep {
  readonly pass: number;
  readonly step: number;
  /** The removed option: decision index and option index. */
  readonly removed: readonly [number, number];
  /** Options left alive per decision after the step. */
  readonly alive: readonly number[];
  /** Best and mean efficiency score of the step's candidates. */
  readonly bestScore: number;
  readonly meanScore: number;
  /** The best-scoring architecture drawn in the step. */
  readonly bestArch: readonly number[];
}

interface AutoShrinkData {
  readonly rng: number[];
  readonly book: TrialBookState;
  /** alive[d][o] = 1 while option o of decision d is in the space. */
  readonly alive: number[][];
  readonly pass: number;
  readonly step: number;
  /** Removals being scored in the current step ([] = the step has not started). */
  readonly removals: Removal[];
  readonly trajectory: ShrinkStep[];
}

const NAME = 'autoshrink';
const VERSION = 1;

/**
 * AutoShrink (Zhang et al., AAAI 2020), progressive shrinking of a categorical space: start with
 * every option alive at every decision (NB201: every op on every edge, `none` removing the edge;
 * FBNet: every block at every layer, `skip` removing the layer). Each step draws k candidate
 * removals (decision, option) at random among decisions with two or more options left, scores
 * each by evaluating `samples` architectures drawn uniformly from the space WITHOUT that option,
 * and removes the best-scoring one: exactly one option per step. The score is AutoShrink's
 * efficiency-aware metric generalised to the chosen cost,
 * `acc - costWeight * (log10(cost) - 6)` with acc as a fraction (a % metric is divided by 100);
 * an infeasible architecture scores 1 + its relative violation lower. A pass ends when one option
 * is left per decision; the recommendation is the best snapshot along the way (the step with the
 * best candidate score), not the last. Architectures drawn twice are evaluated once.
 */
export class AutoShrink implements SearchStrategy {
  private readonly rng: Rng;
  private readonly book: TrialBook;
  private alive: number[][];
  private pass: number;
  private step: number;
  private removals: Removal[];
  private readonly trajectory: ShrinkStep[];
  private readonly space: SearchSpace;
  private readonly problem: SearchProblem;
  private readonly costMetric: string;
  private readonly accuracyMetric: string;
  private readonly accuracyScale: number;
  private done = false;

  constructor(
    ctx: StrategyContext,
    private readonly options: AutoShrinkOptions,
    state?: StrategyState,
  ) {
    const data = state ? stateData<AutoShrinkData>(state, NAME, VERSION) : undefined;
    this.space = ctx.space;
    this.problem = ctx.problem;
    this.rng = new Rng(data ? data.rng : ctx.seed);
    this.book = new TrialBook(ctx.space, data?.book);
    this.alive = data ? data.alive.map((r) => r.slice()) : this.fullSpace();
    this.pass = data?.pass ?? 0;
    this.step = data?.step ?? 0;
    this.removals = data ? data.removals.map((r) => ({ ...r, draws: r.draws.map((a) => a.slice()) })) : [];
    this.trajectory = data ? data.trajectory.slice() : [];
    const p = ctx.problem;
    const maxObjective = p.objectives.find((o) => o.direction === 'max');
    this.accuracyMetric = p.reward?.accuracy ?? maxObjective?.metric ?? p.objectives[0].metric;
    this.accuracyScale = p.metricInfo[this.accuracyMetric]?.unit === '%' ? 0.01 : 1;
    this.costMetric =
      options.costMetric || p.constraints[0]?.metric || p.objectives.find((o) => o.direction === 'min')?.metric || 'flops';
  }

  private fullSpace(): number[][] {
    return this.space.decisions.map((d) => d.options.map(() => 1));
  }

  /** Options alive per decision (a copy): alive[d][o] is 1 while option o is in the space. */
  aliveOptions(): number[][] {
    return this.alive.map((r) => r.slice());
  }

  /** The shrinking trajectory so far, one entry per removed option. */
  steps(): readonly ShrinkStep[] {
    return this.trajectory.slice();
  }

  /** The efficiency-aware score of one evaluation (higher is better). */
  score(metrics: Metrics): number {
    const acc = (metrics[this.accuracyMetric] ?? 0) * this.accuracyScale;
    const cost = metrics[this.costMetric];
    const efficiency = typeof cost === 'number' && cost > 0 ? this.options.costWeight * (Math.log10(cost) - 6) : 0;
    const v = violation(this.problem, metrics);
    const penalty = v > 0 ? 1 + (Number.isFinite(v) ? v : 1) : 0;
    return acc - efficiency - penalty;
  }

  ask(n: number): readonly Candidate[] {
    const out: Candidate[] = [];
    for (let guard = 0; out.length < n && !this.done && guard < 10_000; guard++) {
      if (this.removals.length === 0 && !this.startStep()) break;
      let waiting = false;
      for (const r of this.removals) {
        for (const arch of r.draws) {
          const key = this.book.key(arch);
          const t = this.book.fullTrial(key);
          if (!t) {
            if (out.length < n) {
              out.push(this.book.propose(arch, 'full'));
            }
            waiting = true;
          } else if (t.status === 'pending') waiting = true;
        }
      }
      if (waiting) break;
      this.finishStep();
    }
    return out;
  }

  /** Draws the step's candidate removals; false when the space is fully shrunk and no restart is due. */
  private startStep(): boolean {
    let choices: [number, number][] = [];
    this.alive.forEach((row, d) => {
      const left = row.reduce((a, b) => a + b, 0);
      if (left >= 2) row.forEach((on, o) => on && choices.push([d, o]));
    });
    if (choices.length === 0) {
      if (!this.options.restart || this.pass > 1000) {
        this.done = true;
        return false;
      }
      this.pass++;
      this.step = 0;
      this.alive = this.fullSpace();
      return this.startStep();
    }
    choices = this.rng.shuffle(choices).slice(0, this.options.candidates);
    this.removals = choices.map(([d, o]) => ({ d, o, draws: this.draws(d, o) }));
    return true;
  }

  /** `samples` architectures drawn uniformly from the space with option `o` of decision `d` removed. */
  private draws(d: number, o: number): number[][] {
    const out: number[][] = [];
    for (let s = 0; s < this.options.samples; s++) {
      out.push(
        this.alive.map((row, i) => {
          const opts = row.map((on, k) => (on && !(i === d && k === o) ? k : -1)).filter((k) => k >= 0);
          return opts[this.rng.int(opts.length)];
        }),
      );
    }
    return out;
  }

  /** Scores the step's removals (all draws told), removes the best one and records the snapshot. */
  private finishStep(): void {
    tracedStep('autoshrink.step', () => this.scoreAndRemove(), () => ({ 'hwnas.strategy': 'autoshrink', 'hwnas.step': this.trajectory.length }));
  }

  private scoreAndRemove(): void {
    let best = -1;
    let bestScore = -Infinity;
    let bestArch: readonly number[] = this.removals[0].draws[0];
    let bestArchScore = -Infinity;
    let sum = 0;
    let count = 0;
    this.removals.forEach((r, i) => {
      const scores: number[] = [];
      for (const arch of r.draws) {
        const t = this.book.fullTrial(arch)!;
        if (t.status !== 'ok' || !hasObjectives(this.problem, t.metrics)) continue;
        const s = this.score(t.metrics);
        scores.push(s);
        if (s > bestArchScore) {
          bestArchScore = s;
          bestArch = arch;
        }
      }
      const mean = scores.length > 0 ? scores.reduce((a, b) => a + b, 0) / scores.length : -Infinity;
      if (Number.isFinite(mean)) {
        sum += mean;
        count++;
      }
      if (best < 0 || mean > bestScore) {
        best = i;
        bestScore = mean;
      }
    });
    const { d, o } = this.removals[best];
    this.alive[d][o] = 0;
    this.step++;
    this.trajectory.push({
      pass: this.pass,
      step: this.step,
      removed: [d, o],
      alive: this.alive.map((row) => row.reduce((a, b) => a + b, 0)),
      bestScore: Number.isFinite(bestScore) ? bestScore : -1e9,
      meanScore: count > 0 ? sum / count : -1e9,
      bestArch: bestArch.slice(),
    });
    this.removals = [];
  }

  /** The best snapshot of the trajectory (the step with the best candidate score): its best architecture. */
  recommend(): Arch | undefined {
    let best: ShrinkStep | undefined;
    for (const s of this.trajectory) if (!best || s.bestScore > best.bestScore) best = s;
    return best ? Object.freeze(best.bestArch.slice()) : undefined;
  }

  tell(result: TrialResult): void {
    this.book.accept(result);
  }

  snapshot(): StrategyState {
    const data: AutoShrinkData = {
      rng: this.rng.state(),
      book: this.book.state(),
      alive: this.alive,
      pass: this.pass,
      step: this.step,
      removals: this.removals,
      trajectory: this.trajectory as ShrinkStep[],
    };
    return { strategy: NAME, version: VERSION, data: toJson(data) };
  }
}

/** Registry entry of AutoShrink (`autoshrink`). */
export const autoShrink: StrategyDefinition<AutoShrinkOptions> = {
  name: NAME,
  summary: 'AutoShrink: progressive shrinking, one option removed per step by an efficiency-aware score',
  defaults: AUTOSHRINK_DEFAULTS,
  optionSpecs: {
    candidates: { type: 'int', min: 1, description: 'candidate removals scored per step, k (default 10)' },
    samples: { type: 'int', min: 1, description: 'architectures drawn per candidate removal (default 1)' },
    costMetric: { type: 'string', description: "cost metric of the efficiency term ('' = auto: first constrained metric, else first minimised objective, else flops)" },
    costWeight: { type: 'number', min: 0, description: 'weight per decade of cost (default 0.1)' },
    restart: { type: 'boolean', description: 'start a new pass when the space is fully shrunk (default true)' },
  },
  create: (ctx, options, state) => new AutoShrink(ctx, options, state),
};
