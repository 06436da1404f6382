import { archKey, InvalidArgumentError } from '@hwnas/bench-core';
import type { Arch, ArchKey, Metrics, SearchSpace } from '@hwnas/bench-core';
import { resolveOptions } from './options';
import type { OptionSpecs, RawOptionValue } from './options';
import type { Candidate, JsonValue, SearchStrategy, StrategyContext, StrategyDefinition, StrategyState, TrialResult } from './strategy';
import { stateData, toJson } from './strategy';

/** Names of the one-shot strategies (the methods of the reference trainer's `oneshot/search.py`). */
export const ONE_SHOT_STRATEGY_NAMES = ['darts', 'na-darts', 'nas-ood'] as const;
export type OneShotStrategyName = (typeof ONE_SHOT_STRATEGY_NAMES)[number];

/** Whether `name` is a one-shot strategy (one supernet task, not an architecture sampler). */
export function isOneShotStrategyName(name: string): name is OneShotStrategyName {
  return (ONE_SHOT_STRATEGY_NAMES as readonly string[]).includes(name);
}

/**
 * The stages of a one-shot search, one trial each, in this order: the supernet search (a long
 * trainer task that derives an architecture), the derived architecture measured like any
 * evaluation (tables and device backends), and, with the `retrain` option, its training from
 * scratch as an ordinary trainer evaluation.
 */
export const ONE_SHOT_STAGES = ['supernet', 'measure', 'retrain'] as const;
export type OneShotStage = (typeof ONE_SHOT_STAGES)[number];

/** Prefix of the metrics that carry a derived architecture: `derived_decision_<i>` = the option chosen at decision i. */
export const DERIVED_DECISION_METRIC = 'derived_decision_';

/** Separates the architecture of a stage's evaluation key from the stage (no space's arch string has it). */
const STAGE_MARK = '#';

/** Options of the one-shot strategies. */
export interface OneShotOptions {
  /** The hardware cost the supernet is made aware of (a table column or device metric); '' (default): none. */
  readonly costMetric: string;
  /** Weight of the expected-cost term (default 1). */
  readonly costWeight: number;
  /** A bound on the cost: the term becomes a soft constraint; 0 (default): none. */
  readonly costTarget: number;
  /** Retrain the derived architecture from scratch as a third trial (default false). */
  readonly retrain: boolean;
}

const DEFAULTS: OneShotOptions = { costMetric: '', costWeight: 1, costTarget: 0, retrain: false };

const OPTION_SPECS: OptionSpecs<OneShotOptions> = {
  costMetric: { type: 'string', description: 'the hardware cost the supernet is made aware of (default: none, an accuracy-only search)' },
  costWeight: { type: 'number', min: 0, description: 'weight of the expected-cost term (default 1)' },
  costTarget: { type: 'number', min: 0, description: 'a bound on the cost, making the term a soft constraint (default 0: none)' },
  retrain: { type: 'boolean', description: 'retrain the derived architecture from scratch as a third trial (default false)' },
};

/** What a one-shot trial's task carries besides its architecture. Plain JSON; treat as frozen. */
export interface OneShotTaskPayload {
  readonly stage: OneShotStage;
  readonly method: OneShotStrategyName;
  readonly costMetric?: string;
  readonly costWeight?: number;
  readonly costTarget?: number;
}

/** A derived architecture as metrics (`derived_decision_<i>`), for the supernet's results and reports. */
export function derivedArchMetrics(arch: readonly number[]): Record<string, number> {
  const out: Record<string, number> = {};
  arch.forEach((v, i) => (out[`${DERIVED_DECISION_METRIC}${i}`] = v));
  return out;
}

/** The architecture {@link derivedArchMetrics} wrote into `metrics`; undefined when incomplete or invalid for `space`. */
export function derivedArchOf(space: SearchSpace, metrics: Metrics | undefined): Arch | undefined {
  if (!metrics) return undefined;
  const arch = space.decisions.map((_, i) => metrics[`${DERIVED_DECISION_METRIC}${i}`]);
  if (arch.some((v, i) => v === undefined || !Number.isInteger(v) || v < 0 || v >= space.decisions[i].options.length)) return undefined;
  return arch as Arch;
}

/**
 * The task of one trial of a one-shot search, from its evaluation key `<arch>#<stage>`: the
 * architecture to evaluate and the payload (stage, method, cost settings from the options).
 * Undefined for a search of any other strategy. Throws {@link InvalidArgumentError} for a key
 * that names no stage or options that do not parse.
 */
export function oneShotTaskOf(
  strategy: string,
  options: Readonly<Record<string, RawOptionValue | undefined>>,
  key: string,
): { readonly arch: string; readonly payload: OneShotTaskPayload } | undefined {
  if (!isOneShotStrategyName(strategy)) return undefined;
  const at = key.lastIndexOf(STAGE_MARK);
  const stage = at < 0 ? '' : key.slice(at + 1);
  if (!(ONE_SHOT_STAGES as readonly string[]).includes(stage)) throw new InvalidArgumentError(`one-shot search: evaluation key "${key}" names no stage (${ONE_SHOT_STAGES.join(', ')})`);
  const o = resolveOptions(strategy, OPTION_SPECS, DEFAULTS, options);
  const payload: OneShotTaskPayload = {
    stage: stage as OneShotStage,
    method: strategy,
    ...(o.costMetric ? { costMetric: o.costMetric, costWeight: o.costWeight } : {}),
    ...(o.costMetric && o.costTarget > 0 ? { costTarget: o.costTarget } : {}),
  };
  return { arch: key.slice(0, at), payload };
}

interface OneShotData {
  /** Keys of the candidates proposed so far, one per stage in stage order. */
  readonly keys: string[];
  /** Outcomes told, by trial id. */
  readonly told: Record<string, { readonly status: 'ok' | 'failed'; readonly metrics?: Metrics }>;
}

const VERSION = 1;

/**
 * A one-shot search as an ask/tell strategy for the coordinator's search loop: trial 0 is the
 * supernet task; once it is told with a derived architecture (`derived_decision_<i>` metrics),
 * trial 1 measures that architecture; once that is told ok and with `retrain`, trial 2 trains it
 * from scratch. One stage at a time: `ask` returns nothing while a stage is in flight, and nothing
 * after a failed stage or a supernet result without a valid architecture (the search then ends).
 * Deterministic without a seed: the trajectory is the supernet's.
 */
export class OneShotStrategy implements SearchStrategy {
  private readonly data: OneShotData;

  constructor(
    private readonly method: OneShotStrategyName,
    private readonly space: SearchSpace,
    private readonly options: Readonly<OneShotOptions>,
    state?: StrategyState,
  ) {
    this.data = state ? structuredClone(stateData<OneShotData>(state, method, VERSION)) : { keys: [], told: {} };
  }

  ask(n: number): readonly Candidate[] {
    const next = this.data.keys.length;
    const stages = this.options.retrain ? 3 : 2;
    if (n < 1 || next >= stages || (next > 0 && this.data.told[next - 1]?.status !== 'ok')) return [];
    const arch = next === 0 ? this.space.decisions.map(() => 0) : derivedArchOf(this.space, this.data.told[0].metrics);
    if (!arch) return [];
    const key = `${archKey(this.space, arch)}${STAGE_MARK}${ONE_SHOT_STAGES[next]}`;
    this.data.keys.push(key);
    // A stage key is not an ArchKey (see Candidate.key): the loop only uses it to tell evaluations apart.
    return [Object.freeze({ trialId: next, arch: Object.freeze([...arch]), need: 'full' as const, key: key as ArchKey })];
  }

  tell(result: TrialResult): void {
    if (!Number.isInteger(result.trialId) || result.trialId < 0 || result.trialId >= this.data.keys.length) {
      throw new InvalidArgumentError(`tell: trial ${result.trialId} was never proposed by this strategy`);
    }
    if (this.data.told[result.trialId]) return;
    this.data.told[result.trialId] = result.status === 'ok' && result.metrics ? { status: 'ok', metrics: { ...result.metrics } } : { status: 'failed' };
  }

  snapshot(): StrategyState {
    return { strategy: this.method, version: VERSION, data: toJson(this.data) as JsonValue };
  }

  /** The architecture the supernet derived, once known. */
  recommend(): Arch | undefined {
    return derivedArchOf(this.space, this.data.told[0]?.metrics);
  }
}

function definition(method: OneShotStrategyName, summary: string): StrategyDefinition<OneShotOptions> {
  return {
    name: method,
    summary,
    defaults: DEFAULTS,
    optionSpecs: OPTION_SPECS,
    create: (ctx: StrategyContext, options, state) => new OneShotStrategy(method, ctx.space, options, state),
  };
}

/**
 * The one-shot strategies by name. Kept apart from `STRATEGIES` (the general architecture
 * strategies that the conformance suite and the benchmarks run): they propose one supernet task
 * and what follows from it, not architectures of a space. The registry resolves both tables.
 */
export const ONE_SHOT_STRATEGIES: { readonly [M in OneShotStrategyName]: StrategyDefinition<OneShotOptions> } = {
  darts: definition('darts', 'hardware-aware DARTS: one supernet task on a trainer slot, then the derived architecture measured'),
  'na-darts': definition('na-darts', 'neighbourhood-aware DARTS (flat regions of the architecture space), staged as darts'),
  'nas-ood': definition('nas-ood', 'NAS-OoD: the supernet against a generator of out-of-distribution data, staged as darts'),
};
