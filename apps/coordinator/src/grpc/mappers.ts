/**
 * The only place where proto types meet domain types: proto requests -> runtime inputs (with
 * presence checks that name the proto field), runtime views -> proto records.
 */
import { getSpace } from '@hwnas/bench-core';
import { DEFAULT_SCREEN_Z } from '@hwnas/cost-model';
import type { CurvePoint, EvaluatedArch, SearchLimits, SearchSpec, SearchView } from '@hwnas/runtime';
import { EARLY_STOPPING_RULES } from '@hwnas/runtime';
import { isFeasible, parseConstraint, parseObjective, scalarScore } from '@hwnas/search';
import type { SearchProblem } from '@hwnas/search';
import {
  AccuracySource,
  Direction,
  SearchMode,
  SubmitSearchRequest,
  TrialNeed,
  TrialStatus,
} from '@hwnas/proto';
import type { CostModelSettings, Incumbent, Search, TrainingSettings, Trial, TrialReport as ProtoTrialReport } from '@hwnas/proto';
import { toCounts, toFailure, toFinishReason, toState, toStopReason } from './state-mappers';
import { bad, requireString, requireUint } from './fields';

/** Server-side limits on requests, besides the runtime's {@link SearchLimits}. */
export interface RequestLimits extends SearchLimits {
  /** Most labels per search (default 64). */
  readonly maxLabels: number;
  /** Longest label key or value, characters (default 256). */
  readonly maxLabelLength: number;
  /** Largest page of GetResults / ListSearches (default 10,000 / 1,000). */
  readonly maxResultsPage: number;
  readonly maxSearchesPage: number;
}

/** Default {@link RequestLimits}. */
export const DEFAULT_REQUEST_LIMITS: RequestLimits = {
  maxBudget: 100_000,
  maxInFlight: 1024,
  maxLabels: 64,
  maxLabelLength: 256,
  maxResultsPage: 10_000,
  maxSearchesPage: 1_000,
};

/** What {@link fromSubmitRequest} returns: the runtime input and what the coordinator keeps. */
export interface SubmitInput {
  readonly spec: Record<string, unknown>;
  readonly requestId?: string;
  /** The request as submitted (proto JSON), kept in the search's log. */
  readonly attachment: unknown;
}

/**
 * Checks a SubmitSearchRequest for presence and limits (messages name the proto field, e.g.
 * `objectives[1].metric`, `max_in_flight`) and converts it to the runtime's spec input; the
 * runtime then validates names (space, dataset, strategy, metrics, devices). Nothing required
 * is defaulted.
 */
export function fromSubmitRequest(req: SubmitSearchRequest, limits: RequestLimits = DEFAULT_REQUEST_LIMITS): SubmitInput {
  requireString(req.space, 'space');
  requireString(req.dataset, 'dataset');
  requireString(req.strategy, 'strategy');
  if (req.objectives.length === 0) throw bad('objectives', 'at least one objective is required');
  const seen = new Set<string>();
  const objectives = req.objectives.map((o, i) => {
    const metric = requireString(o.metric, `objectives[${i}].metric`);
    if (seen.has(metric)) throw bad(`objectives[${i}].metric`, `"${metric}" appears twice`);
    seen.add(metric);
    if (o.direction === Direction.DIRECTION_MAXIMIZE) return `${metric}:max`;
    if (o.direction === Direction.DIRECTION_MINIMIZE) return `${metric}:min`;
    if (o.direction !== Direction.DIRECTION_UNSPECIFIED) throw bad(`objectives[${i}].direction`, `unknown value ${o.direction}`);
    return metric;
  });
  const constraints = req.constraints.map((c, i) => {
    const metric = requireString(c.metric, `constraints[${i}].metric`);
    if (c.upperBound === undefined) throw bad(`constraints[${i}].upper_bound`, 'is required');
    if (!Number.isFinite(c.upperBound)) throw bad(`constraints[${i}].upper_bound`, 'must be a finite number');
    return `${metric}<=${c.upperBound}`;
  });
  let reward: Record<string, unknown> | undefined;
  if (req.reward) {
    if (req.objectives.length > 1) throw bad('reward', 'is not allowed with two or more objectives');
    if (req.reward.accuracyMetric && req.reward.accuracyMetric !== req.objectives[0].metric) {
      throw bad('reward.accuracy_metric', `must be the objective's metric "${req.objectives[0].metric}" (or empty)`);
    }
    const cost = requireString(req.reward.costMetric, 'reward.cost_metric');
    if (req.reward.targetCost === undefined) throw bad('reward.target_cost', 'is required');
    if (!(req.reward.targetCost > 0)) throw bad('reward.target_cost', 'must be > 0');
    reward = { cost, targetCost: req.reward.targetCost, exponent: req.reward.exponent ?? -0.07 };
  }
  const budget = requireUint(req.budget, 'budget', 1, limits.maxBudget, 'budget');
  // Absent or 0: every live worker slot (the coordinator follows them as workers come and go).
  const maxInFlight = requireUint(req.maxInFlight ?? 0, 'max_in_flight', 0, limits.maxInFlight, 'max_in_flight');
  const seed = requireUint(req.seed, 'seed', 0, 2 ** 32 - 1);
  let accuracySource: string;
  if (req.accuracySource === AccuracySource.ACCURACY_SOURCE_TABLE) accuracySource = 'table';
  else if (req.accuracySource === AccuracySource.ACCURACY_SOURCE_PROXY) accuracySource = 'proxy';
  else throw bad('accuracy_source', req.accuracySource === AccuracySource.ACCURACY_SOURCE_UNSPECIFIED ? 'is required (ACCURACY_SOURCE_TABLE or ACCURACY_SOURCE_PROXY)' : `unknown value ${req.accuracySource}`);
  let mode: string;
  if (req.mode === SearchMode.SEARCH_MODE_JOINT) mode = 'joint';
  else if (req.mode === SearchMode.SEARCH_MODE_COST_FIRST) mode = 'cost-first';
  else throw bad('mode', req.mode === SearchMode.SEARCH_MODE_UNSPECIFIED ? 'is required (SEARCH_MODE_JOINT or SEARCH_MODE_COST_FIRST)' : `unknown value ${req.mode}`);
  const maxCostQueries = req.maxCostQueries === undefined ? undefined : requireUint(req.maxCostQueries, 'max_cost_queries', 1, limits.maxBudget * 1000, 'max_cost_queries');
  const maxFailed = req.maxFailedEvaluations === undefined ? undefined : requireUint(req.maxFailedEvaluations, 'max_failed_evaluations', 1, Number.MAX_SAFE_INTEGER);
  if (maxFailed !== undefined && maxFailed > budget) throw bad('max_failed_evaluations', `must be at most the budget (${budget}), got ${maxFailed}`);
  req.deviceIds.forEach((d, i) => requireString(d, `device_ids[${i}]`));
  const training = req.training ? fromTrainingSettings(req.training) : undefined;
  const costModel = req.costModel ? fromCostModelSettings(req.costModel) : undefined;
  const labels = Object.entries(req.labels);
  if (labels.length > limits.maxLabels) throw bad('labels', `at most ${limits.maxLabels} labels are allowed, got ${labels.length}`);
  for (const [k, v] of labels) {
    if (!k) throw bad('labels', 'keys must not be empty');
    if (k.length > limits.maxLabelLength || v.length > limits.maxLabelLength) throw bad(`labels[${JSON.stringify(k.slice(0, 40))}]`, `keys and values are limited to ${limits.maxLabelLength} characters`);
  }
  return {
    spec: {
      space: req.space,
      dataset: req.dataset,
      strategy: req.strategy,
      strategyOptions: { ...req.strategyOptions },
      objectives,
      constraints,
      ...(reward ? { reward } : {}),
      mode,
      budget,
      maxInFlight,
      seed,
      ordering: req.asynchronous ? 'async' : 'ordered',
      accuracySource,
      devices: [...req.deviceIds],
      ...(maxCostQueries !== undefined ? { maxCostQueries } : {}),
      ...(maxFailed !== undefined ? { maxFailed } : {}),
      ...(training ? { training } : {}),
      ...(costModel ? { costModel } : {}),
    },
    ...(req.requestId ? { requestId: req.requestId } : {}),
    attachment: SubmitSearchRequest.toJSON(req),
  };
}

/** `training` of a request, checked field by field (the runtime checks the ranges against each other). */
function fromTrainingSettings(t: TrainingSettings): Record<string, unknown> {
  const epochs = requireUint(t.epochs, 'training.epochs', 1, 1_000_000);
  const scheduler = t.scheduler === '' ? 'none' : t.scheduler;
  if (!(EARLY_STOPPING_RULES as readonly string[]).includes(scheduler)) throw bad('training.scheduler', `must be one of ${EARLY_STOPPING_RULES.join(', ')} (or empty), got "${t.scheduler}"`);
  const minEpochs = t.minEpochs === undefined ? undefined : requireUint(t.minEpochs, 'training.min_epochs', 1, epochs);
  if (t.eta !== undefined && !(Number.isFinite(t.eta) && t.eta > 1)) throw bad('training.eta', `must be a number greater than 1, got ${t.eta}`);
  return { epochs, scheduler, ...(minEpochs !== undefined ? { minEpochs } : {}), eta: t.eta ?? 3 };
}

/** `cost_model` of a request, checked field by field (the runtime checks it against the rest of the spec). */
function fromCostModelSettings(c: CostModelSettings): Record<string, unknown> {
  const device = requireString(c.device, 'cost_model.device');
  // The calibrations live in a JetStream key-value bucket, whose names allow these characters only.
  if (c.bucket && !/^[-\w]+$/.test(c.bucket)) throw bad('cost_model.bucket', `must be a key-value bucket name (letters, digits, - and _), got ${JSON.stringify(c.bucket)}`);
  const z = c.z ?? DEFAULT_SCREEN_Z;
  if (c.conformal !== undefined && !(c.conformal > 0 && c.conformal < 1)) throw bad('cost_model.conformal', `must be a coverage level in (0, 1), got ${c.conformal}`);
  if (!Number.isFinite(z) || z < 0 || (z === 0 && c.conformal === undefined)) throw bad('cost_model.z', `must be > 0 (or 0 with cost_model.conformal), got ${z}`);
  return { device, ...(c.bucket ? { bucket: c.bucket } : {}), z, ...(c.conformal !== undefined ? { conformal: c.conformal } : {}) };
}

/**
 * The request with every default applied, rebuilt from the normalized spec and the validated
 * problem (objective directions and the reward come from the problem, as the search uses them).
 */
export function resolvedRequest(spec: SearchSpec, problem: SearchProblem | undefined, original?: SubmitSearchRequest): SubmitSearchRequest {
  return SubmitSearchRequest.fromPartial({
    space: spec.space,
    dataset: spec.dataset,
    strategy: spec.strategy,
    strategyOptions: { ...spec.strategyOptions },
    objectives: spec.objectives.map((o, i) => {
      const p = parseObjective(o);
      const dir = problem?.objectives[i]?.direction ?? p.direction;
      return { metric: p.metric, direction: dir === 'max' ? Direction.DIRECTION_MAXIMIZE : dir === 'min' ? Direction.DIRECTION_MINIMIZE : Direction.DIRECTION_UNSPECIFIED };
    }),
    constraints: spec.constraints.map((c) => {
      const p = parseConstraint(c);
      return { metric: p.metric, upperBound: p.bound };
    }),
    ...(problem?.reward
      ? { reward: { accuracyMetric: problem.reward.accuracy, costMetric: problem.reward.cost, targetCost: problem.reward.targetCost, exponent: problem.reward.exponent } }
      : spec.reward
        ? { reward: { accuracyMetric: parseObjective(spec.objectives[0]).metric, costMetric: spec.reward.cost, targetCost: spec.reward.targetCost, ...(spec.reward.exponent !== undefined ? { exponent: spec.reward.exponent } : {}) } }
        : {}),
    budget: spec.budget,
    maxInFlight: spec.maxInFlight,
    seed: spec.seed,
    accuracySource: spec.accuracySource === 'proxy' ? AccuracySource.ACCURACY_SOURCE_PROXY : AccuracySource.ACCURACY_SOURCE_TABLE,
    deviceIds: [...spec.devices],
    mode: spec.mode === 'cost-first' ? SearchMode.SEARCH_MODE_COST_FIRST : SearchMode.SEARCH_MODE_JOINT,
    asynchronous: spec.ordering === 'async',
    maxCostQueries: spec.maxCostQueries ?? 1000 * spec.budget,
    ...(spec.maxFailed !== undefined ? { maxFailedEvaluations: spec.maxFailed } : {}),
    ...(spec.training
      ? { training: { epochs: spec.training.epochs, scheduler: spec.training.scheduler, eta: spec.training.eta, ...(spec.training.minEpochs !== undefined ? { minEpochs: spec.training.minEpochs } : {}) } }
      : {}),
    ...(spec.costModel
      ? { costModel: { device: spec.costModel.device, bucket: spec.costModel.bucket ?? '', z: spec.costModel.z, ...(spec.costModel.conformal !== undefined ? { conformal: spec.costModel.conformal } : {}) } }
      : {}),
    requestId: original?.requestId ?? '',
    labels: { ...(original?.labels ?? {}) },
  });
}

/** Feasibility of a trial under the search's problem (none without one: nothing was evaluated). */
function feasibilityOf(problem: SearchProblem | undefined): (e: EvaluatedArch) => boolean {
  return (e) => problem !== undefined && e.status === 'ok' && e.need === 'full' && isFeasible(problem, e.metrics);
}

/**
 * Whether a cost query was screened out: a cost metric it returned breaks a constraint, so
 * cost-first screening rejects the architecture without computing its accuracy.
 */
function screenedBy(problem: SearchProblem | undefined): (e: EvaluatedArch) => boolean {
  const bounds = problem?.constraints ?? [];
  return (e) => e.need === 'costs' && e.status === 'ok' && bounds.some((c) => e.metrics?.[c.metric] !== undefined && e.metrics[c.metric] > c.bound);
}

/**
 * One told trial as a proto Trial: `tell_index` is its position in the order results were told to
 * the strategy (cost queries included), `ask_index` the strategy's trial number; `cached` marks a
 * trial answered from another trial's evaluation of the same architecture, `screened` a cost query
 * whose costs break a constraint (cost-first screening rejects the architecture there).
 */
export function toTrial(e: EvaluatedArch, tellIndex: number, feasible: boolean, spec: SearchSpec, problem: SearchProblem | undefined, screened = false, curve: readonly CurvePoint[] = []): Trial {
  const reward = problem?.reward && e.metrics ? scalarScore(problem, e.metrics) : undefined;
  return {
    trialId: String(e.trialId),
    askIndex: e.trialId,
    tellIndex: e.tellIndex ?? tellIndex,
    need: e.need === 'full' ? TrialNeed.TRIAL_NEED_FULL : TrialNeed.TRIAL_NEED_COSTS,
    arch: { arch: e.key },
    status: e.status === 'ok' ? TrialStatus.TRIAL_STATUS_OK : TrialStatus.TRIAL_STATUS_FAILED,
    metrics: { ...(e.metrics ?? {}) },
    ...(e.error ? { failure: { code: e.error.code, message: e.error.message } } : {}),
    feasible,
    screened,
    cached: e.cached === true,
    ...(reward !== undefined && !Number.isNaN(reward) ? { reward } : {}),
    deviceId: spec.devices.join(','),
    askedAtMs: e.askedAt ?? 0,
    toldAtMs: e.toldAt ?? e.at ?? 0,
    curve: curve.map((p) => toTrialReport(e.trialId, p)),
  };
}

/** One point of a learning curve (or a report as it arrives) in proto form. */
export function toTrialReport(trialId: number, point: CurvePoint): ProtoTrialReport {
  return { trialId: String(trialId), epoch: point.epoch, metrics: { ...point.metrics } };
}

/** Maps told trials (`history[from..to)`, tell order) of a search to proto Trials, with their learning curves (trainer searches). */
export function toTrials(
  view: Pick<SearchView, 'spec' | 'problem'>,
  history: readonly EvaluatedArch[],
  from = 0,
  to = history.length,
  curves: ReadonlyMap<number, readonly CurvePoint[]> = new Map(),
): Trial[] {
  const feasible = feasibilityOf(view.problem);
  const screened = screenedBy(view.problem);
  const out: Trial[] = [];
  for (let i = from; i < Math.min(to, history.length); i++) {
    out.push(toTrial(history[i], i, feasible(history[i]), view.spec, view.problem, screened(history[i]), curves.get(history[i].trialId)));
  }
  return out;
}

/** Best-so-far or Pareto set, with tell indices looked up in the history. */
export function toIncumbent(view: SearchView, history: readonly EvaluatedArch[]): Incumbent {
  const feasible = feasibilityOf(view.problem);
  const index = new Map<number, number>();
  history.forEach((h, i) => index.set(h.trialId, i));
  const trial = (e: EvaluatedArch) => toTrial(e, index.get(e.trialId) ?? 0, feasible(e), view.spec, view.problem);
  return { ...(view.best ? { best: trial(view.best) } : {}), paretoSet: (view.pareto ?? []).map(trial) };
}

/** The proto record of a search. */
export function toSearch(view: SearchView, history: readonly EvaluatedArch[]): Search {
  const original = view.attachment !== undefined ? SubmitSearchRequest.fromJSON(view.attachment) : undefined;
  const failure = toFailure(view);
  return {
    searchId: view.searchId,
    state: toState(view),
    ...(original ? { request: original } : {}),
    resolvedRequest: resolvedRequest(view.spec, view.problem, original),
    counts: toCounts(view),
    incumbent: toIncumbent(view, history),
    ...(view.recommended ? { recommended: { arch: getSpace(view.spec.space).format(view.recommended) } } : {}),
    createdAtMs: view.submittedAt,
    ...(view.startedAt !== undefined ? { startedAtMs: view.startedAt } : {}),
    ...(view.finishedAt !== undefined ? { finishedAtMs: view.finishedAt } : {}),
    ...(view.etaMs !== undefined ? { etaMs: Math.round(view.etaMs) } : {}),
    stopReason: toStopReason(view),
    ...(failure ? { failure } : {}),
    cancelReason: view.state === 'cancelled' ? (view.finishReason ?? '') : '',
    finishReason: toFinishReason(view),
    ...(view.costModel ? { costModel: { ...view.costModel } } : {}),
  };
}
