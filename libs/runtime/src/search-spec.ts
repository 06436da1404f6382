import { getSpace, InvalidArgumentError, datasetSpec } from '@hwnas/bench-core';
import type { SpaceId } from '@hwnas/bench-core';
import { isOneShotStrategyName, isStrategyName, ONE_SHOT_STRATEGY_NAMES, STRATEGY_NAMES } from '@hwnas/search';
import type { CostModelSpec } from './ports/cost-models';
import { createPromotingScheduler, createStopper, isPromotingRule } from './training-schedulers';

/** Branded id of a search. */
export type SearchId = string & { readonly __brand: 'SearchId' };

/** Where a worker gets accuracy from: the benchmark tables or a training-free proxy. */
export type AccuracySource = 'table' | 'proxy';

/**
 * Everything a search is defined by, as plain JSON. It is the first event of a search's log, so a
 * restarted coordinator rebuilds the search from it alone. Fields are all explicit: there are no
 * hidden defaults after {@link normalizeSearchSpec}.
 */
export interface SearchSpec {
  readonly space: SpaceId;
  readonly dataset: string;
  /** Strategy name in the `@hwnas/search` registry (`random`, `rea`, ...). */
  readonly strategy: string;
  /** Strategy options as `key -> value` strings (parsed by the registry). */
  readonly strategyOptions: Readonly<Record<string, string>>;
  /** `METRIC`, `METRIC:max` or `METRIC:min`; two or more make a Pareto search. */
  readonly objectives: readonly string[];
  /** `METRIC<=VALUE`. */
  readonly constraints: readonly string[];
  /** MnasNet reward accuracy * (cost/targetCost)^exponent, instead of the plain objective. */
  readonly reward?: { readonly cost: string; readonly targetCost: number; readonly exponent?: number };
  /** `joint`: an evaluation returns accuracy and costs together; `cost-first`: costs may be queried alone. */
  readonly mode: 'joint' | 'cost-first';
  /** Number of distinct architectures to evaluate fully. */
  readonly budget: number;
  /**
   * Evaluations in flight at once. 0: as many as the live workers have slots, following them as
   * workers come and go (each change journalled as `window_resized`; the trajectory then depends
   * on the seed and those changes, both in the log).
   */
  readonly maxInFlight: number;
  readonly seed: number;
  /**
   * `ordered`: results are told to the strategy in the order the candidates were asked, so the
   * trajectory depends on the seed alone. `async`: told as they land (faster, not reproducible
   * across runs; recorded in the search).
   */
  readonly ordering: 'ordered' | 'async';
  readonly accuracySource: AccuracySource;
  /** Device backends whose measured costs join each evaluation (besides the tables). */
  readonly devices: readonly string[];
  /** Cost-first queries allowed before the search stops (absent: 1000 x budget). */
  readonly maxCostQueries?: number;
  /** Failed full evaluations after which the search stops and ends failed (absent: no limit). */
  readonly maxFailed?: number;
  /** Real training on trainer workers (absent: accuracy from `accuracySource` alone). */
  readonly training?: TrainingSpec;
  /**
   * Cost-first screening with a stored cost model (absent: every device cost is measured): the
   * device measures only the architectures near a bound or that could change the result; the
   * other costs are the model's predictions, marked as such (see `search-screening.ts`).
   */
  readonly costModel?: CostModelSpec;
}

/**
 * Early-stopping rules of a trainer search: `asha` and `hyperband` judge intermediate reports and
 * stop trials that fall behind; `sh` and `budget-sh` promote trials rung by rung (see `PROMOTING_RULES`).
 */
export const EARLY_STOPPING_RULES = ['none', 'asha', 'hyperband', 'sh', 'budget-sh'] as const;
export type EarlyStoppingRule = (typeof EARLY_STOPPING_RULES)[number];

/**
 * The training settings of a search whose workers train (`--trainer` on the workers; the
 * command lives there, not in the spec). Every task carries its fidelity (epochs to reach) and
 * the search's seed. With `asha` or `hyperband` every task trains to `epochs` and the coordinator
 * judges each intermediate report with a `RungStopper` (rungs from `minEpochs` to `epochs`,
 * factor `eta`), stopping trials that fall behind; with `sh` or `budget-sh` a task trains to a
 * rung, and the search's loop promotes the best to the next rung as a task of its own.
 */
export interface TrainingSpec {
  /** Epochs every trial trains to (the full fidelity). */
  readonly epochs: number;
  readonly scheduler: EarlyStoppingRule;
  /** Lowest rung, epochs (absent: the stopper's default). */
  readonly minEpochs?: number;
  /** Reduction factor between rungs (> 1). */
  readonly eta: number;
}

/** Limits a coordinator enforces on submitted searches. */
export interface SearchLimits {
  /** Largest budget accepted (default 100,000). */
  readonly maxBudget: number;
  /** Largest window of evaluations in flight (default 1,024). */
  readonly maxInFlight: number;
}

/** Default {@link SearchLimits}. */
export const DEFAULT_LIMITS: SearchLimits = { maxBudget: 100_000, maxInFlight: 1024 };

const bad = (field: string, why: string) => new InvalidArgumentError(`${field}: ${why}`);

function requireField<T>(raw: Record<string, unknown>, field: string, label = field): T {
  const v = raw[field];
  if (v === undefined || v === null || v === '') throw bad(label, 'is required');
  return v as T;
}

/** `label`: the field's name in messages (a nested field's path). */
function int(raw: Record<string, unknown>, field: string, min: number, max: number, label = field): number {
  const v = requireField<number>(raw, field, label);
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw bad(label, `must be an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function stringList(raw: Record<string, unknown>, field: string): string[] {
  const v = raw[field] ?? [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw bad(field, 'must be a list of strings');
  return v as string[];
}

/**
 * Checks a submitted spec field by field and returns it normalized. Required: space, dataset,
 * strategy, budget, seed. Optional with documented defaults: objectives (`['accuracy']`),
 * constraints (`[]`), mode (`joint`), maxInFlight (1; 0 = every live worker slot), ordering (`ordered`), accuracySource
 * (`table`), devices (`[]`), strategyOptions (`{}`), maxCostQueries (absent: 1000 x budget). Throws {@link InvalidArgumentError} whose
 * message starts with the offending field's name. Metric names are checked later, against the
 * metrics the tables and devices provide.
 */
export function normalizeSearchSpec(input: unknown, limits: SearchLimits = DEFAULT_LIMITS): SearchSpec {
  if (typeof input !== 'object' || input === null) throw new InvalidArgumentError('search: must be an object');
  const raw = input as Record<string, unknown>;
  const space = getSpace(requireField<string>(raw, 'space')).id;
  const dataset = requireField<string>(raw, 'dataset');
  try {
    datasetSpec(getSpace(space), dataset);
  } catch (e) {
    throw bad('dataset', (e as Error).message);
  }
  const strategy = requireField<string>(raw, 'strategy');
  if (!isStrategyName(strategy) && !isOneShotStrategyName(strategy)) {
    throw bad('strategy', `unknown strategy "${strategy}"; known strategies: ${[...STRATEGY_NAMES, ...ONE_SHOT_STRATEGY_NAMES].join(', ')}`);
  }
  const budget = int(raw, 'budget', 1, limits.maxBudget);
  const seed = int(raw, 'seed', -(2 ** 31), 2 ** 32 - 1);
  // 0: every live worker slot (the coordinator's AutoWindows); absent: 1, as before.
  const maxInFlight = raw.maxInFlight === undefined ? 1 : int(raw, 'maxInFlight', 0, limits.maxInFlight);
  const mode = (raw.mode ?? 'joint') as SearchSpec['mode'];
  if (mode !== 'joint' && mode !== 'cost-first') throw bad('mode', `must be "joint" or "cost-first", got ${JSON.stringify(mode)}`);
  const ordering = (raw.ordering ?? 'ordered') as SearchSpec['ordering'];
  if (ordering !== 'ordered' && ordering !== 'async') throw bad('ordering', `must be "ordered" or "async", got ${JSON.stringify(ordering)}`);
  const accuracySource = (raw.accuracySource ?? 'table') as AccuracySource;
  if (accuracySource !== 'table' && accuracySource !== 'proxy') throw bad('accuracySource', `must be "table" or "proxy", got ${JSON.stringify(accuracySource)}`);
  const opts = raw.strategyOptions ?? {};
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts) || Object.values(opts).some((v) => typeof v !== 'string')) {
    throw bad('strategyOptions', 'must map option names to string values');
  }
  let reward: SearchSpec['reward'];
  if (raw.reward !== undefined && raw.reward !== null) {
    const r = raw.reward as Record<string, unknown>;
    if (typeof r.cost !== 'string' || !r.cost) throw bad('reward.cost', 'is required (a cost metric, e.g. raspi4_latency)');
    if (typeof r.targetCost !== 'number' || !(r.targetCost > 0)) throw bad('reward.targetCost', 'must be a positive number');
    if (r.exponent !== undefined && (typeof r.exponent !== 'number' || !Number.isFinite(r.exponent))) throw bad('reward.exponent', 'must be a finite number');
    reward = { cost: r.cost, targetCost: r.targetCost, ...(r.exponent !== undefined ? { exponent: r.exponent as number } : {}) };
  }
  const training = raw.training !== undefined && raw.training !== null ? normalizeTraining(raw.training) : undefined;
  if (training && isPromotingRule(training.scheduler) && mode === 'cost-first') {
    // A cost-first strategy asks cost queries, which are not trials a scheduler could promote.
    throw bad('training.scheduler', `${training.scheduler} promotes trials; it needs mode joint, not cost-first`);
  }
  if (isOneShotStrategyName(strategy) && (!training || training.scheduler !== 'none')) {
    // The supernet task trains for training.epochs; a scheduler's stop order would end the whole search.
    throw bad('training', `a one-shot search (${strategy}) needs training with its supernet epochs and no scheduler`);
  }
  const objectives = stringList(raw, 'objectives');
  const maxCostQueries = raw.maxCostQueries === undefined ? undefined : int(raw, 'maxCostQueries', 1, limits.maxBudget * 1000);
  const maxFailed = raw.maxFailed === undefined ? undefined : int(raw, 'maxFailed', 1, budget);
  const devices = stringList(raw, 'devices');
  const costModel = raw.costModel !== undefined && raw.costModel !== null ? normalizeCostModel(raw.costModel, mode, devices, training) : undefined;
  return {
    space,
    dataset,
    strategy,
    strategyOptions: { ...(opts as Record<string, string>) },
    objectives: objectives.length ? objectives : ['accuracy'],
    constraints: stringList(raw, 'constraints'),
    ...(reward ? { reward } : {}),
    mode,
    budget,
    maxInFlight,
    seed,
    ordering,
    accuracySource,
    devices,
    ...(maxCostQueries !== undefined ? { maxCostQueries } : {}),
    ...(maxFailed !== undefined ? { maxFailed } : {}),
    ...(training ? { training } : {}),
    ...(costModel ? { costModel } : {}),
  };
}

/** Checks `costModel` (see {@link CostModelSpec}); its device must be one of `devices`, which measures what it does not predict. */
function normalizeCostModel(input: unknown, mode: SearchSpec['mode'], devices: readonly string[], training: TrainingSpec | undefined): CostModelSpec {
  if (typeof input !== 'object' || Array.isArray(input)) throw bad('costModel', 'must be an object with device, bucket, z, conformal');
  const raw = input as Record<string, unknown>;
  if (mode !== 'cost-first') throw bad('costModel', `screens cost queries: it needs mode cost-first, not ${mode}`);
  if (training) throw bad('costModel', 'is not available for trainer searches');
  const device = raw.device;
  if (typeof device !== 'string' || device === '') throw bad('costModel.device', 'is required (the calibrated device id)');
  if (!devices.includes(device)) throw bad('costModel.device', `"${device}" must also be one of devices (${devices.length ? devices.join(', ') : 'none given'}): its agent measures what the model does not predict`);
  if (raw.bucket !== undefined && (typeof raw.bucket !== 'string' || raw.bucket === '')) throw bad('costModel.bucket', 'must be a non-empty string');
  const conformal = raw.conformal;
  if (conformal !== undefined && (typeof conformal !== 'number' || !(conformal > 0 && conformal < 1))) throw bad('costModel.conformal', `must be a coverage level in (0, 1), got ${JSON.stringify(conformal)}`);
  const z = raw.z;
  if (typeof z !== 'number' || !Number.isFinite(z) || z < 0 || (z === 0 && conformal === undefined)) {
    throw bad('costModel.z', `must be > 0 (or 0 with costModel.conformal), got ${JSON.stringify(z)}`);
  }
  return { device, ...(raw.bucket !== undefined ? { bucket: raw.bucket as string } : {}), z, ...(conformal !== undefined ? { conformal: conformal as number } : {}) };
}

/** Checks `training` (see {@link TrainingSpec}); defaults: scheduler `none`, eta 3. */
function normalizeTraining(input: unknown): TrainingSpec {
  if (typeof input !== 'object' || Array.isArray(input)) throw bad('training', 'must be an object with epochs, scheduler, minEpochs, eta');
  const raw = input as Record<string, unknown>;
  const epochs = int(raw, 'epochs', 1, 1_000_000, 'training.epochs');
  const scheduler = (raw.scheduler ?? 'none') as EarlyStoppingRule;
  if (!EARLY_STOPPING_RULES.includes(scheduler)) throw bad('training.scheduler', `must be one of ${EARLY_STOPPING_RULES.join(', ')}, got ${JSON.stringify(raw.scheduler)}`);
  const minEpochs = raw.minEpochs === undefined ? undefined : int(raw, 'minEpochs', 1, epochs, 'training.minEpochs');
  const eta = raw.eta ?? 3;
  if (typeof eta !== 'number' || !Number.isFinite(eta) || eta <= 1) throw bad('training.eta', `must be a number greater than 1, got ${JSON.stringify(raw.eta)}`);
  const training = { epochs, scheduler, ...(minEpochs !== undefined ? { minEpochs } : {}), eta };
  if (scheduler !== 'none') {
    // Refused now rather than when the search starts: e.g. minEpochs = epochs leaves one rung.
    try {
      createStopper(training);
      createPromotingScheduler(training, 1);
    } catch (e) {
      throw bad('training', (e as Error).message);
    }
  }
  return training;
}
