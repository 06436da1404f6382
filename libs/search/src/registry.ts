import { InvalidArgumentError } from '@hwnas/bench-core';
import { autoShrink } from './autoshrink';
import { foxNas } from './fox-nas';
import { fpNas } from './fp-nas';
import { gpBo } from './gp-bo';
import { naRs } from './na-rs';
import { nsga2 } from './nsga2';
import { isOneShotStrategyName, ONE_SHOT_STRATEGIES } from './one-shot';
import { resolveOptions } from './options';
import type { RawOptionValue } from './options';
import { randomSearch } from './random';
import { regularizedEvolution } from './regularized-evolution';
import { canScreen, SCREENING_STATE, ScreenedStrategy } from './screening';
import type { SearchStrategy, StrategyContext, StrategyDefinition, StrategyState } from './strategy';

/**
 * Every strategy by its CLI name. The table is immutable: a new strategy is one file plus one
 * entry here (and one in `strategies.conformance.spec.ts`).
 */
export const STRATEGIES = {
  random: randomSearch,
  rea: regularizedEvolution,
  'na-rs': naRs,
  'fox-nas': foxNas,
  autoshrink: autoShrink,
  'fp-nas': fpNas,
  nsga2: nsga2,
  'gp-bo': gpBo,
} as const;

/** Name of a registered strategy. */
export type StrategyName = keyof typeof STRATEGIES;

/** The typed options of strategy `N`. */
export type StrategyOptions<N extends StrategyName> = (typeof STRATEGIES)[N] extends StrategyDefinition<infer O> ? O : never;

/** Names of every registered strategy, in registry order. */
export const STRATEGY_NAMES: readonly StrategyName[] = Object.keys(STRATEGIES) as StrategyName[];

/** Options that apply to every strategy (not the strategy's own). */
export interface CreateStrategyOptions {
  /**
   * Wrap the strategy in cost-first screening (`ScreenedStrategy`) when the problem allows it,
   * i.e. a constraint is on a metric that `problem.cheapMetrics` lists. Default true.
   */
  readonly screen?: boolean;
}

/** True when `name` is a registered strategy. */
export function isStrategyName(name: string): name is StrategyName {
  return Object.prototype.hasOwnProperty.call(STRATEGIES, name);
}

/**
 * The registry entry of `name` (a general strategy or a one-shot method, see `one-shot.ts`);
 * throws {@link InvalidArgumentError} listing the known names.
 */
export function getStrategyDefinition(name: string): StrategyDefinition<object> {
  if (isOneShotStrategyName(name)) return ONE_SHOT_STRATEGIES[name] as unknown as StrategyDefinition<object>;
  if (!isStrategyName(name)) throw new InvalidArgumentError(`unknown strategy "${name}"; known strategies: ${[...STRATEGY_NAMES, ...Object.keys(ONE_SHOT_STRATEGIES)].join(', ')}`);
  return STRATEGIES[name] as unknown as StrategyDefinition<object>;
}

/**
 * Creates strategy `name` for `ctx`, with `options` (typed values or CLI text) merged over its
 * defaults. Throws {@link InvalidArgumentError} for an unknown name or option.
 */
export function createStrategy(
  name: string,
  ctx: StrategyContext,
  options: Readonly<Record<string, RawOptionValue | undefined>> = {},
  create: CreateStrategyOptions = {},
): SearchStrategy {
  const def = getStrategyDefinition(name);
  const opts = resolveOptions(name, def.optionSpecs, def.defaults, options);
  const inner = def.create(ctx, opts);
  // A one-shot search's trials are stages of one supernet search, not candidates to screen.
  return (create.screen ?? true) && !isOneShotStrategyName(name) && canScreen(ctx.problem) ? new ScreenedStrategy(ctx, inner) : inner;
}

/**
 * Rebuilds strategy `name` from a snapshot taken with the same context and options; it continues
 * exactly where the snapshot was taken. Throws {@link InvalidArgumentError} when the snapshot is of
 * another strategy or version.
 */
export function restoreStrategy(
  name: string,
  ctx: StrategyContext,
  state: StrategyState,
  options: Readonly<Record<string, RawOptionValue | undefined>> = {},
): SearchStrategy {
  const def = getStrategyDefinition(name);
  const opts = resolveOptions(name, def.optionSpecs, def.defaults, options);
  if (state.strategy === SCREENING_STATE) {
    const inner = def.create(ctx, opts, ScreenedStrategy.innerState(state));
    return new ScreenedStrategy(ctx, inner, state);
  }
  return def.create(ctx, opts, state);
}
