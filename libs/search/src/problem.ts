import { InvalidArgumentError, UnknownMetricError } from '@hwnas/bench-core';
import type { MetricInfo, Metrics } from '@hwnas/bench-core';
import { dominates as dominatesMin, nonDominated } from './pareto';

/** Whether an objective is maximised or minimised. */
export type Direction = 'max' | 'min';

/** One objective: a metric and its direction. */
export interface Objective {
  readonly metric: string;
  readonly direction: Direction;
}

/** A constraint `metric <= bound` (bound in the metric's unit, e.g. ms for `*_latency`). */
export interface Constraint {
  readonly metric: string;
  readonly bound: number;
}

/**
 * MnasNet's scalarised reward `accuracy * (cost / targetCost) ^ exponent` (Tan et al. 2019; the
 * soft-constraint form with one exponent on both sides of the target). `exponent` is negative,
 * -0.07 in MnasNet.
 */
export interface MnasReward {
  readonly accuracy: string;
  readonly cost: string;
  readonly targetCost: number;
  readonly exponent: number;
}

/**
 * A search problem: what to optimise, under which constraints, and what a cost-first query
 * returns. Plain JSON; build it with {@link createProblem}, which validates every metric name.
 *
 * - One objective (or a `reward`): single-objective search; results report the best feasible
 *   architecture.
 * - Two or more objectives: Pareto search; results report the non-dominated feasible set.
 */
export interface SearchProblem {
  readonly objectives: readonly Objective[];
  readonly constraints: readonly Constraint[];
  readonly reward?: MnasReward;
  /**
   * Metrics a `costs` candidate returns (device costs, flops, params: what a table or simulator
   * gives cheaply). Empty in "joint" mode, where strategies never ask for costs alone.
   */
  readonly cheapMetrics: readonly string[];
  /** Descriptions of the metrics the problem refers to (units, kind, default direction). */
  readonly metricInfo: Readonly<Record<string, MetricInfo>>;
}

/** What {@link createProblem} takes: objectives and constraints as text or objects. */
export interface ProblemSpec {
  /** `METRIC`, `METRIC:max` or `METRIC:min` (or objects); default `['accuracy']`. */
  readonly objectives?: readonly (string | { readonly metric: string; readonly direction?: Direction })[];
  /** `METRIC<=VALUE` (or objects). */
  readonly constraints?: readonly (string | Constraint)[];
  /** MnasNet reward; `accuracy` defaults to the first objective, `exponent` to -0.07. */
  readonly reward?: { readonly accuracy?: string; readonly cost: string; readonly targetCost: number; readonly exponent?: number };
  /** Cost-first mode: cost queries return every `cost` and `model` metric. Default false (joint). */
  readonly costFirst?: boolean;
}

/** Parses `METRIC`, `METRIC:max` or `METRIC:min`; the direction is left undefined when absent. */
export function parseObjective(text: string): { metric: string; direction?: Direction } {
  const m = /^\s*([A-Za-z0-9_.-]+)\s*(?::\s*(max|min)\s*)?$/.exec(text);
  if (!m) throw new InvalidArgumentError(`objective "${text}" must look like METRIC, METRIC:max or METRIC:min`);
  return m[2] ? { metric: m[1], direction: m[2] as Direction } : { metric: m[1] };
}

/** Parses `METRIC<=VALUE` (VALUE a finite number in the metric's unit). */
export function parseConstraint(text: string): Constraint {
  const m = /^\s*([A-Za-z0-9_.-]+)\s*(<=|>=|<|>|=)\s*([^\s]+)\s*$/.exec(text);
  if (!m) throw new InvalidArgumentError(`constraint "${text}" must look like METRIC<=VALUE, e.g. raspi4_latency<=15.72`);
  if (m[2] !== '<=') {
    throw new InvalidArgumentError(`constraint "${text}": only "<=" is supported (an upper bound such as raspi4_latency<=15.72)`);
  }
  const bound = Number(m[3]);
  if (!Number.isFinite(bound)) throw new InvalidArgumentError(`constraint "${text}": bound "${m[3]}" is not a finite number`);
  return { metric: m[1], bound };
}

/**
 * Builds a validated problem against the metrics `available` (e.g. `Benchmark.metrics(space,
 * dataset)`). Directions default from `MetricInfo.higherIsBetter`. Throws
 * {@link UnknownMetricError} (listing the available metrics) for an unknown name and
 * {@link InvalidArgumentError} for a malformed or contradictory spec.
 */
export function createProblem(spec: ProblemSpec, available: readonly MetricInfo[]): SearchProblem {
  const byName = new Map(available.map((m) => [m.name, m]));
  const info: Record<string, MetricInfo> = {};
  const known = (metric: string, role: string): MetricInfo => {
    const m = byName.get(metric);
    if (!m) throw new UnknownMetricError(metric, [...byName.keys()], `(${role})`);
    info[metric] = m;
    return m;
  };
  const objectives: Objective[] = (spec.objectives ?? ['accuracy']).map((o) => {
    const parsed = typeof o === 'string' ? parseObjective(o) : o;
    const m = known(parsed.metric, 'objective');
    return { metric: parsed.metric, direction: parsed.direction ?? (m.higherIsBetter ? 'max' : 'min') };
  });
  if (objectives.length === 0) throw new InvalidArgumentError('a search problem needs at least one objective');
  const seen = new Set<string>();
  for (const o of objectives) {
    if (seen.has(o.metric)) throw new InvalidArgumentError(`objective "${o.metric}" is given twice`);
    seen.add(o.metric);
  }
  const constraints = (spec.constraints ?? []).map((c) => {
    const parsed = typeof c === 'string' ? parseConstraint(c) : c;
    known(parsed.metric, 'constraint');
    if (!Number.isFinite(parsed.bound)) throw new InvalidArgumentError(`constraint on ${parsed.metric}: bound must be a finite number`);
    return { metric: parsed.metric, bound: parsed.bound };
  });
  let reward: MnasReward | undefined;
  if (spec.reward) {
    if (objectives.length > 1) throw new InvalidArgumentError('a MnasNet reward scalarises one objective; it cannot be combined with Pareto search');
    const r = spec.reward;
    const accuracy = r.accuracy ?? objectives[0].metric;
    known(accuracy, 'reward accuracy');
    known(r.cost, 'reward cost');
    if (!(r.targetCost > 0)) throw new InvalidArgumentError(`reward target cost must be a positive number, got ${r.targetCost}`);
    const exponent = r.exponent ?? -0.07;
    if (!Number.isFinite(exponent)) throw new InvalidArgumentError(`reward exponent must be a finite number, got ${exponent}`);
    reward = { accuracy, cost: r.cost, targetCost: r.targetCost, exponent };
  }
  const cheapMetrics = spec.costFirst ? available.filter((m) => m.kind === 'cost' || m.kind === 'model').map((m) => m.name) : [];
  for (const name of cheapMetrics) info[name] = byName.get(name)!;
  return { objectives, constraints, ...(reward ? { reward } : {}), cheapMetrics, metricInfo: info };
}

/** True for Pareto search (two or more objectives). */
export function isPareto(problem: SearchProblem): boolean {
  return problem.objectives.length >= 2;
}

/** Every metric the problem reads: objectives, constraints and reward, without repeats. */
export function problemMetrics(problem: SearchProblem): string[] {
  const names = [...problem.objectives.map((o) => o.metric), ...problem.constraints.map((c) => c.metric)];
  if (problem.reward) names.push(problem.reward.accuracy, problem.reward.cost);
  return [...new Set(names)];
}

/** True when `metrics` holds every objective value (a `full` result that was not screened out). */
export function hasObjectives(problem: SearchProblem, metrics: Metrics | undefined): metrics is Metrics {
  if (!metrics) return false;
  for (const o of problem.objectives) if (typeof metrics[o.metric] !== 'number' || Number.isNaN(metrics[o.metric])) return false;
  if (problem.reward && (typeof metrics[problem.reward.cost] !== 'number' || typeof metrics[problem.reward.accuracy] !== 'number')) return false;
  return true;
}

/**
 * Total relative constraint violation: the sum of max(0, value - bound) / max(|bound|, 1e-12).
 * 0 when feasible; Infinity when a constrained metric is missing.
 */
export function violation(problem: SearchProblem, metrics: Metrics | undefined): number {
  let v = 0;
  for (const c of problem.constraints) {
    const x = metrics?.[c.metric];
    if (typeof x !== 'number' || Number.isNaN(x)) return Infinity;
    if (x > c.bound) v += (x - c.bound) / Math.max(Math.abs(c.bound), 1e-12);
  }
  return v;
}

/** True when every constraint holds (missing constrained metrics count as violated). */
export function isFeasible(problem: SearchProblem, metrics: Metrics | undefined): boolean {
  return violation(problem, metrics) === 0;
}

/**
 * Feasibility of the constraints whose metrics `metrics` holds, ignoring the others: what a
 * cost-first screen can decide from cost metrics alone.
 */
export function passesKnownConstraints(problem: SearchProblem, metrics: Metrics): boolean {
  for (const c of problem.constraints) {
    const x = metrics[c.metric];
    if (typeof x === 'number' && x > c.bound) return false;
  }
  return true;
}

/**
 * The scalar to maximise in single-objective search: the MnasNet reward when the problem has one,
 * else the first objective, negated when it is minimised. NaN when the metrics lack it.
 */
export function scalarScore(problem: SearchProblem, metrics: Metrics | undefined): number {
  if (!metrics) return NaN;
  if (problem.reward) {
    const { accuracy, cost, targetCost, exponent } = problem.reward;
    const a = metrics[accuracy];
    const c = metrics[cost];
    if (typeof a !== 'number' || typeof c !== 'number') return NaN;
    return a * Math.pow(Math.max(c, 1e-12) / targetCost, exponent);
  }
  const o = problem.objectives[0];
  const v = metrics[o.metric];
  if (typeof v !== 'number') return NaN;
  return o.direction === 'max' ? v : -v;
}

/** The objective values in minimisation form (maximised objectives negated). */
export function objectiveVector(problem: SearchProblem, metrics: Metrics): number[] {
  return problem.objectives.map((o) => (o.direction === 'max' ? -metrics[o.metric] : metrics[o.metric]));
}

/**
 * Total order for single-objective search: positive when `a` is better than `b`. Evaluated
 * feasible results rank first (by {@link scalarScore}), then evaluated infeasible ones (by smaller
 * violation), then everything without objective values (failed or screened out).
 */
export function compareResults(problem: SearchProblem, a: Metrics | undefined, b: Metrics | undefined): number {
  const ka = rankKey(problem, a);
  const kb = rankKey(problem, b);
  return ka.tier !== kb.tier ? ka.tier - kb.tier : ka.value - kb.value;
}

/** Lexicographic fitness behind {@link compareResults}: tier 2 feasible, 1 infeasible, 0 no values. */
export function rankKey(problem: SearchProblem, m: Metrics | undefined): { tier: number; value: number } {
  if (!hasObjectives(problem, m)) return { tier: 0, value: 0 };
  const v = violation(problem, m);
  if (v > 0) return { tier: 1, value: Number.isFinite(v) ? -v : -Number.MAX_VALUE };
  const s = scalarScore(problem, m);
  return { tier: 2, value: Number.isNaN(s) ? -Number.MAX_VALUE : s };
}

/**
 * Constrained domination (Deb 2002): a feasible result dominates an infeasible one, of two
 * infeasible results the one with the smaller violation dominates, and two feasible results
 * compare by Pareto dominance of their objective vectors. Results without objective values are
 * dominated by every evaluated one.
 */
export function constrainedDominates(problem: SearchProblem, a: Metrics | undefined, b: Metrics | undefined): boolean {
  const ea = hasObjectives(problem, a);
  const eb = hasObjectives(problem, b);
  if (!ea || !eb) return ea && !eb;
  const va = violation(problem, a);
  const vb = violation(problem, b);
  if (va > 0 || vb > 0) return va < vb;
  return dominatesMin(objectiveVector(problem, a), objectiveVector(problem, b));
}

/** An evaluated architecture as the result helpers see it. */
export interface Evaluated<A = unknown> {
  readonly arch: A;
  readonly metrics: Metrics;
}

/** The best feasible evaluated item by {@link scalarScore}; the earliest wins ties; undefined if none. */
export function bestFeasible<T extends Evaluated>(problem: SearchProblem, items: readonly T[]): T | undefined {
  let best: T | undefined;
  let bestScore = -Infinity;
  for (const it of items) {
    if (!hasObjectives(problem, it.metrics) || !isFeasible(problem, it.metrics)) continue;
    const s = scalarScore(problem, it.metrics);
    if (best === undefined || s > bestScore) {
      best = it;
      bestScore = s;
    }
  }
  return best;
}

/** The feasible evaluated items no other feasible item dominates, in input order. */
export function paretoFront<T extends Evaluated>(problem: SearchProblem, items: readonly T[]): T[] {
  const feasible = items.filter((it) => hasObjectives(problem, it.metrics) && isFeasible(problem, it.metrics));
  const vectors = feasible.map((it) => objectiveVector(problem, it.metrics));
  return nonDominated(vectors).map((i) => feasible[i]);
}
