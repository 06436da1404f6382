import type { Arch, ArchKey, Metrics, SearchSpace } from '@hwnas/bench-core';
import { InvalidArgumentError } from '@hwnas/bench-core';
import type { OptionSpecs } from './options';
import type { SearchProblem } from './problem';

/**
 * What a candidate asks the evaluator for:
 * - `full`: a complete evaluation (accuracy and every cost); counts against the evaluation budget
 *   once per distinct architecture.
 * - `costs`: a cost-first screening query. The runner answers it with the cheap metrics only
 *   ({@link SearchProblem.cheapMetrics}) and counts it separately from full evaluations.
 */
export type TrialNeed = 'full' | 'costs';

/**
 * One proposal of a strategy. `trialId` is the strategy's own sequence number (0, 1, 2, ... in
 * the order the strategy proposed them); a coordinator maps it to its own trial ids. Treat as
 * frozen.
 */
export interface Candidate {
  readonly trialId: number;
  readonly arch: Arch;
  readonly need: TrialNeed;
  /**
   * `archKey(space, arch)` when the strategy has it at hand ({@link TrialBook} fills it in), so
   * that the runner does not format the architecture a second time. Must be exactly that key,
   * except for a one-shot search's stages (`<arch>#<stage>`, see `one-shot.ts`).
   */
  readonly key?: ArchKey;
}

/** Outcome of a trial. */
export type TrialStatus = 'ok' | 'failed';

/**
 * What came back for a candidate. `metrics` is flat (see `Metrics` in bench-core) and present
 * when `status` is `ok`. A `full` trial may come back `ok` with cost metrics only: a screening
 * layer rejected it before training (see `screening.ts`). It then counts as infeasible and has no
 * objective values. Treat as frozen.
 */
export interface TrialResult {
  readonly trialId: number;
  readonly arch: Arch;
  readonly status: TrialStatus;
  readonly metrics?: Metrics;
  readonly error?: string;
}

/** JSON-serialisable value (what {@link StrategyState.data} holds). */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * A strategy's complete state as plain JSON. Restore it with `restoreStrategy` from the registry,
 * with the same name, options, seed and problem; the restored strategy continues exactly as the
 * original would have (same asks for the same tells).
 */
export interface StrategyState {
  readonly strategy: string;
  readonly version: number;
  readonly data: JsonValue;
}

/** One fitted predictor of an explainable strategy (FOX-NAS): its terms and their weights. */
export interface PredictorExplanation {
  /** Metric the predictor estimates. */
  readonly metric: string;
  /** Number of architectures it was fitted on. */
  readonly samples: number;
  /** Coefficient of determination on the fitting data. */
  readonly r2: number;
  readonly intercept: number;
  /** Terms with non-negligible weight, largest magnitude first; `term` names decisions and options. */
  readonly coefficients: readonly { readonly term: string; readonly weight: number }[];
}

/**
 * A hardware-aware search strategy, ask/tell style (as Optuna and Syne Tune). CPU only, no I/O,
 * no clock: every random choice comes from the strategy's own seeded Rng, so it is deterministic
 * given its seed and the order of calls. A coordinator can rebuild it exactly by creating it
 * fresh from (name, options, seed, problem) and replaying the recorded asks and tells in order.
 * Not thread-safe: one caller at a time.
 */
export interface SearchStrategy {
  /**
   * Proposes up to `n` candidates (several may be in flight). Returns `[]` when there is nothing
   * to propose right now: either it waits for results (a round barrier; trials are in flight) or
   * the space is exhausted (nothing in flight). Never proposes the same architecture for a `full`
   * evaluation twice. The returned array and candidates are owned by the caller and frozen.
   */
  ask(n: number): readonly Candidate[];
  /**
   * Feeds back one result, in any order relative to the asks. A duplicate tell of a trial already
   * told is ignored; a tell of a trial id never proposed throws `InvalidArgumentError`. Failed
   * trials are treated as infeasible and never retried with the same architecture.
   */
  tell(result: TrialResult): void;
  /** The complete state as JSON (see {@link StrategyState}); the strategy keeps working after it. */
  snapshot(): StrategyState;
  /**
   * The strategy's own pick when it differs from "best evaluated" (NA-RS: the best
   * neighbourhood score; AutoShrink: the best snapshot of the shrinking). Optional.
   */
  recommend?(): Arch | undefined;
  /** The fitted predictors of an explainable strategy (FOX-NAS). Optional. */
  explain?(): readonly PredictorExplanation[];
}

/** What every strategy is created from (besides its own options). */
export interface StrategyContext {
  readonly space: SearchSpace;
  readonly problem: SearchProblem;
  /** Seed of the strategy's Rng (any integer). */
  readonly seed: number;
}

/**
 * One entry of the strategy registry: the strategy's typed options with their defaults, and a
 * factory. `create` with a `state` restores a strategy from its snapshot.
 */
export interface StrategyDefinition<O extends object> {
  /** CLI name, e.g. `rea`. */
  readonly name: string;
  readonly summary: string;
  readonly defaults: Readonly<O>;
  readonly optionSpecs: OptionSpecs<O>;
  create(ctx: StrategyContext, options: Readonly<O>, state?: StrategyState): SearchStrategy;
}

/**
 * Checks that `state` is a snapshot of strategy `name` at `version` and returns its data.
 * Throws {@link InvalidArgumentError} otherwise.
 */
export function stateData<D>(state: StrategyState, name: string, version: number): D {
  if (state.strategy !== name || state.version !== version || typeof state.data !== 'object' || state.data === null) {
    throw new InvalidArgumentError(`cannot restore strategy ${name} (state version ${version}) from a snapshot of ${state.strategy} version ${state.version}`);
  }
  return state.data as unknown as D;
}

/** Deep copy of plain data as a {@link JsonValue} (snapshots must not share objects with the live strategy). */
export function toJson(data: object): JsonValue {
  return structuredClone(data) as unknown as JsonValue;
}
