import { FBNET_MACRO, NB201_OPS, Rng } from '@hwnas/bench-core';
import type { Arch, ArchKey, SearchSpace } from '@hwnas/bench-core';
import { hasObjectives, scalarScore } from './problem';
import type { SearchProblem } from './problem';
import { sampleUnseen } from './sampling';
import type { Candidate, SearchStrategy, StrategyContext, StrategyDefinition, StrategyState, TrialResult } from './strategy';
import { stateData, toJson } from './strategy';
import { TrialBook } from './trial-book';
import type { TrialBookState } from './trial-book';
import { tracedStep } from './tracing';

/**
 * How the options of one decision factor into variables (FP-NAS's coarse distribution):
 * `of[o][f]` is the level of factor `f` that option `o` has, or -1 when the factor does not apply
 * (e.g. FBNet `skip` has no kernel).
 */
export interface OptionFactors {
  readonly factors: readonly string[];
  readonly levels: readonly (readonly string[])[];
  readonly of: readonly (readonly number[])[];
}

/**
 * The factorisation of each decision of `space`: FBNet blocks into type (block/skip) x kernel x
 * expansion x group (from `FBNET_MACRO`), NB201 ops into family (none/skip/conv/pool) x kernel
 * (1/3); any other space one factor per decision (the coarse distribution then equals the fine).
 */
export function factorisation(space: SearchSpace): OptionFactors[] {
  if (space.id === 'fbnet') {
    const kernels = [...new Set(FBNET_MACRO.blocks.filter((b) => b.kernel !== null).map((b) => b.kernel!))];
    const expansions = [...new Set(FBNET_MACRO.blocks.filter((b) => b.expansion !== null).map((b) => b.expansion!))];
    const groups = [...new Set(FBNET_MACRO.blocks.filter((b) => b.group !== null).map((b) => b.group!))];
    const f: OptionFactors = {
      factors: ['type', 'kernel', 'expansion', 'group'],
      levels: [['block', 'skip'], kernels.map(String), expansions.map(String), groups.map(String)],
      of: FBNET_MACRO.blocks.map((b) =>
        b.kernel === null ? [1, -1, -1, -1] : [0, kernels.indexOf(b.kernel), expansions.indexOf(b.expansion!), groups.indexOf(b.group!)],
      ),
    };
    return space.decisions.map(() => f);
  }
  if (space.id === 'nb201') {
    const family: Record<string, number> = { none: 0, skip_connect: 1, nor_conv_1x1: 2, nor_conv_3x3: 2, avg_pool_3x3: 3 };
    const kernel: Record<string, number> = { nor_conv_1x1: 0, nor_conv_3x3: 1, avg_pool_3x3: 1 };
    const f: OptionFactors = {
      factors: ['family', 'kernel'],
      levels: [['none', 'skip', 'conv', 'pool'], ['1', '3']],
      of: NB201_OPS.map((op) => [family[op], kernel[op] ?? -1]),
    };
    return space.decisions.map(() => f);
  }
  return space.decisions.map((d) => ({ factors: ['option'], levels: [d.options], of: d.options.map((_, o) => [o]) }));
}

/** Options of {@link FpNas}. */
export interface FpNasOptions {
  /** Samples per round K = max(minSamples, ceil(lambda * H)), H the entropy in nats (default 0.25). */
  readonly lambda: number;
  /** K_min (default 2). */
  readonly minSamples: number;
  /** Rounds on the factorised (coarse) distribution before switching to the joint (fine) one (default 10). */
  readonly coarseRounds: number;
  /** Step size of the policy-gradient update (default 0.5). */
  readonly learningRate: number;
  /** Temperature of the importance weights softmax(reward / temperature), reward in the score's unit (default 1). */
  readonly temperature: number;
  /** Weight beta of the cost term beta * log max(0, cost/target - 1) (default 0.5). */
  readonly beta: number;
  /** Cost metric of the cost term; '' (default) = the first constrained metric (none: no cost term). */
  readonly costMetric: string;
  /** Cost target TAR; 0 (default) = the bound of the constraint on `costMetric`. */
  readonly target: number;
  /** Probability mass mixed in uniformly when sampling, so new architectures keep coming (default 0.05). */
  readonly exploration: number;
}

/** Defaults of {@link FpNasOptions}. */
export const FP_NAS_DEFAULTS: FpNasOptions = {
  lambda: 0.25,
  minSamples: 2,
  coarseRounds: 10,
  learningRate: 0.5,
  temperature: 1,
  beta: 0.5,
  costMetric: '',
  target: 0,
  exploration: 0.05,
};

interface FpNasData {
  readonly rng: number[];
  readonly book: TrialBookState;
  readonly mode: 'coarse' | 'fine';
  readonly round: number;
  /** Coarse logits alpha[d][f][level]. */
  readonly coarse: number[][][];
  /** Fine logits alpha[d][o] (set at the switch). */
  readonly fine: number[][];
  /** The current round's samples (each evaluated once; repeats reuse the result). */
  readonly samples: number[][];
  /** K of each completed round, for inspection. */
  readonly sampleCounts: number[];
}

const NAME = 'fp-nas';
const VERSION = 1;

/** Rounds in a row (within one ask) whose samples were all known before an unseen one is injected. */
const MAX_IDLE_ROUNDS = 10;

/**
 * FP-NAS (Yan et al., CVPR 2021), probabilistic sampling as a multi-trial strategy:
 *
 * - the architecture distribution is a product over decisions of categoricals. It starts
 *   **coarse**, factorised within each decision (log-linear: an option's logit is the sum of the
 *   logits of its factor levels, e.g. FBNet kernel + expansion + group), and after `coarseRounds`
 *   rounds switches to the **fine** joint per-decision categorical, initialised with
 *   alpha(o) = sum of its levels' logits so that both give exactly the same distribution at the
 *   switch;
 * - each round samples K = max(K_min, ceil(lambda * H)) architectures, H the entropy (nats) of
 *   the current distribution, so K falls as the distribution sharpens;
 * - update: alpha += lr * sum_k w^_k grad log P(A_k), with importance weights w = softmax over the
 *   rewards (the scalar score) and the cost term beta * log C, C(A) = max(0, cost/target - 1),
 *   entering as w^_k = w_k - beta * C(A_k) / sum_j C(A_j) (dropped when every C is 0);
 * - the recommendation is the most likely architecture.
 *
 * A sample evaluated before is not evaluated again (its result is reused); a failed or screened
 * sample gets no reward weight (its cost still counts). Rounds are barriers.
 */
export class FpNas implements SearchStrategy {
  private readonly rng: Rng;
  private readonly book: TrialBook;
  private mode: 'coarse' | 'fine';
  private round: number;
  private readonly coarse: number[][][];
  private fine: number[][];
  private samples: number[][];
  private readonly sampleCounts: number[];
  private readonly space: SearchSpace;
  private readonly problem: SearchProblem;
  private readonly factors: OptionFactors[];
  private readonly costMetric?: string;
  private readonly target: number;
  /** Cached option probabilities (undefined after an update). */
  private probs?: number[][];
  /** Keys of the current round's samples (derived; rebuilt after a restore). */
  private sampleKeys: string[] = [];

  constructor(
    ctx: StrategyContext,
    private readonly options: FpNasOptions,
    state?: StrategyState,
  ) {
    const data = state ? stateData<FpNasData>(state, NAME, VERSION) : undefined;
    this.space = ctx.space;
    this.problem = ctx.problem;
    this.factors = factorisation(ctx.space);
    this.rng = new Rng(data ? data.rng : ctx.seed);
    this.book = new TrialBook(ctx.space, data?.book);
    this.mode = data?.mode ?? 'coarse';
    this.round = data?.round ?? 0;
    this.coarse = data ? data.coarse.map((d) => d.map((f) => f.slice())) : this.factors.map((f) => f.levels.map((l) => l.map(() => 0)));
    this.fine = data ? data.fine.map((d) => d.slice()) : [];
    this.samples = data ? data.samples.map((a) => a.slice()) : [];
    this.sampleCounts = data ? data.sampleCounts.slice() : [];
    const constraint = options.costMetric ? ctx.problem.constraints.find((c) => c.metric === options.costMetric) : ctx.problem.constraints[0];
    this.costMetric = options.costMetric || constraint?.metric;
    this.target = options.target > 0 ? options.target : (constraint?.bound ?? 0);
  }

  /** Whether the distribution is still factorised (`coarse`) or joint (`fine`). */
  get distribution(): 'coarse' | 'fine' {
    return this.mode;
  }

  /** Option probabilities of decision `d` under the current distribution (a copy). */
  probabilities(d: number): number[] {
    return this.allProbabilities()[d].slice();
  }

  /** Probabilities of every decision, cached until the next update (the hot path of every round). */
  private allProbabilities(): number[][] {
    if (this.probs) return this.probs;
    this.probs = this.space.decisions.map((_, d) => {
      const of = this.factors[d].of;
      const logits = new Array<number>(of.length);
      let max = -Infinity;
      for (let o = 0; o < of.length; o++) {
        let x = 0;
        if (this.mode === 'fine') x = this.fine[d][o];
        else for (let f = 0; f < of[o].length; f++) if (of[o][f] >= 0) x += this.coarse[d][f][of[o][f]];
        logits[o] = x;
        if (x > max) max = x;
      }
      let z = 0;
      for (let o = 0; o < logits.length; o++) z += logits[o] = Math.exp(logits[o] - max);
      for (let o = 0; o < logits.length; o++) logits[o] /= z;
      return logits;
    });
    return this.probs;
  }

  /** Entropy of the current architecture distribution in nats (the sum over decisions). */
  entropy(): number {
    let h = 0;
    for (const row of this.allProbabilities()) for (const p of row) if (p > 0) h -= p * Math.log(p);
    return h;
  }

  /** Samples per round under the current distribution: max(K_min, ceil(lambda * H)). */
  samplesPerRound(): number {
    return Math.max(this.options.minSamples, Math.ceil(this.options.lambda * this.entropy() - 1e-9));
  }

  /** K of each completed round. */
  roundSizes(): readonly number[] {
    return this.sampleCounts.slice();
  }

  ask(n: number): readonly Candidate[] {
    const out: Candidate[] = [];
    let idle = 0;
    for (let guard = 0; out.length < n && guard < 10_000; guard++) {
      if (this.samples.length === 0) this.startRound(idle >= MAX_IDLE_ROUNDS);
      let waiting = false;
      if (this.sampleKeys.length !== this.samples.length) this.sampleKeys = this.samples.map((a) => this.book.key(a));
      for (let k = 0; k < this.samples.length; k++) {
        const arch = this.samples[k];
        const t = this.book.fullTrial(this.sampleKeys[k] as ArchKey);
        if (!t) {
          if (out.length < n) out.push(this.book.propose(arch, 'full'));
          waiting = true;
        } else if (t.status === 'pending') waiting = true;
      }
      if (waiting) break;
      if (this.samples.length === 0) break;
      idle++;
      this.update();
    }
    return out;
  }

  private startRound(inject: boolean): void {
    const k = this.samplesPerRound();
    const eps = this.options.exploration;
    const probs = this.allProbabilities().map((row) => row.map((p) => (1 - eps) * p + eps / row.length));
    this.samples = Array.from({ length: k }, () => probs.map((p) => this.rng.categorical(p)));
    this.sampleKeys = [];
    if (inject) {
      // The distribution keeps producing known architectures: add an unseen one so the search moves on.
      const fresh = sampleUnseen(this.space, this.rng, (a) => this.book.hasFull(a));
      if (fresh) this.samples.push(fresh.slice());
    }
  }

  /** Policy-gradient step on the completed round, then the coarse -> fine switch when due. */
  private update(): void {
    const k = this.sampleKeys.length;
    const mode = this.mode;
    tracedStep('fp-nas.round', () => this.updateDistribution(), () => ({ 'hwnas.strategy': 'fp-nas', 'hwnas.round': this.round, 'hwnas.samples': k, 'hwnas.distribution': mode }));
  }

  private updateDistribution(): void {
    const recs = this.sampleKeys.map((key) => this.book.fullTrial(key as ArchKey)!);
    const rewards = recs.map((t) => (t.status === 'ok' && hasObjectives(this.problem, t.metrics) ? scalarScore(this.problem, t.metrics) : NaN));
    const weights = rewards.map(() => 0);
    const valid = rewards.map((r, k) => (Number.isFinite(r) ? k : -1)).filter((k) => k >= 0);
    if (valid.length > 0) {
      const max = Math.max(...valid.map((k) => rewards[k]));
      const e = valid.map((k) => Math.exp((rewards[k] - max) / this.options.temperature));
      const z = e.reduce((a, b) => a + b, 0);
      valid.forEach((k, i) => (weights[k] = e[i] / z));
    }
    if (this.costMetric && this.target > 0 && this.options.beta > 0) {
      const c = recs.map((t) => {
        const v = t.metrics?.[this.costMetric!];
        return typeof v === 'number' ? Math.max(0, v / this.target - 1) : 0;
      });
      const total = c.reduce((a, b) => a + b, 0);
      if (total > 0) c.forEach((ck, k) => (weights[k] -= (this.options.beta * ck) / total));
    }
    const lr = this.options.learningRate;
    const all = this.allProbabilities();
    for (let d = 0; d < this.space.decisions.length; d++) {
      const p = all[d];
      this.samples.forEach((arch, k) => {
        const w = weights[k];
        if (w === 0) return;
        if (this.mode === 'fine') {
          for (let o = 0; o < p.length; o++) this.fine[d][o] += lr * w * ((arch[d] === o ? 1 : 0) - p[o]);
          return;
        }
        // d log P(o) / d alpha[f][l] = [o has level l of f] - sum_o' P(o') [o' has level l of f]
        const of = this.factors[d].of;
        this.coarse[d].forEach((levels, f) => {
          for (let l = 0; l < levels.length; l++) {
            let expected = 0;
            for (let o = 0; o < p.length; o++) if (of[o][f] === l) expected += p[o];
            levels[l] += lr * w * ((of[arch[d]][f] === l ? 1 : 0) - expected);
          }
        });
      });
    }
    this.probs = undefined;
    this.sampleCounts.push(this.samples.length);
    this.samples = [];
    this.sampleKeys = [];
    this.round++;
    if (this.mode === 'coarse' && this.round >= this.options.coarseRounds) this.switchToFine();
  }

  /** Joint logits equal to the sum of the factor-level logits: the same distribution, more parameters. */
  private switchToFine(): void {
    this.fine = this.factors.map((f, d) => f.of.map((levels) => levels.reduce((s, l, k) => (l >= 0 ? s + this.coarse[d][k][l] : s), 0)));
    this.mode = 'fine';
    this.probs = undefined;
  }

  /** The most likely architecture. */
  recommend(): Arch {
    return Object.freeze(
      this.space.decisions.map((_, d) => {
        const p = this.probabilities(d);
        return p.indexOf(Math.max(...p));
      }),
    );
  }

  tell(result: TrialResult): void {
    this.book.accept(result);
  }

  snapshot(): StrategyState {
    const data: FpNasData = {
      rng: this.rng.state(),
      book: this.book.state(),
      mode: this.mode,
      round: this.round,
      coarse: this.coarse,
      fine: this.fine,
      samples: this.samples,
      sampleCounts: this.sampleCounts,
    };
    return { strategy: NAME, version: VERSION, data: toJson(data) };
  }
}

/** Registry entry of FP-NAS (`fp-nas`). */
export const fpNas: StrategyDefinition<FpNasOptions> = {
  name: NAME,
  summary: 'FP-NAS: factorised -> joint sampling distribution, adaptive K = max(K_min, ceil(lambda H)), policy gradient',
  defaults: FP_NAS_DEFAULTS,
  optionSpecs: {
    lambda: { type: 'number', min: 0, description: 'K = max(minSamples, ceil(lambda * entropy)) (default 0.25)' },
    minSamples: { type: 'int', min: 1, description: 'K_min (default 2)' },
    coarseRounds: { type: 'int', min: 0, description: 'rounds on the factorised distribution before the switch (default 10)' },
    learningRate: { type: 'number', min: 0, description: 'policy-gradient step size (default 0.5)' },
    temperature: { type: 'number', min: 1e-9, description: 'softmax temperature of the importance weights (default 1)' },
    beta: { type: 'number', min: 0, description: 'weight of the cost term (default 0.5)' },
    costMetric: { type: 'string', description: "cost metric of the cost term ('' = first constrained metric)" },
    target: { type: 'number', min: 0, description: 'cost target TAR (0 = the constraint bound)' },
    exploration: { type: 'number', min: 0, max: 1, description: 'uniform mass mixed into sampling (default 0.05)' },
  },
  create: (ctx, options, state) => new FpNas(ctx, options, state),
};
