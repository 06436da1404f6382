/**
 * @hwnas/search: hardware-aware search strategies (ask/tell), the search problem (objectives,
 * constraints, MnasNet reward, Pareto), the ask/tell loop (SearchLoop) with an in-process driver, and the search-benchmark harness.
 * Pure: no I/O, no clock, no Math.random.
 */
export type {
  Candidate,
  TrialNeed,
  TrialStatus,
  TrialResult,
  JsonValue,
  StrategyState,
  PredictorExplanation,
  SearchStrategy,
  StrategyContext,
  StrategyDefinition,
} from './strategy';
export type { Direction, Objective, Constraint, MnasReward, SearchProblem, ProblemSpec, Evaluated } from './problem';
export {
  createProblem,
  parseObjective,
  parseConstraint,
  isPareto,
  problemMetrics,
  hasObjectives,
  violation,
  isFeasible,
  passesKnownConstraints,
  scalarScore,
  objectiveVector,
  compareResults,
  constrainedDominates,
  bestFeasible,
  paretoFront,
} from './problem';
export { dominates, nonDominatedSort, nonDominated, crowdingDistance, hypervolume } from './pareto';
export type { OptionSpec, OptionSpecs, RawOptionValue } from './options';
export { resolveOptions } from './options';
export { STRATEGIES, STRATEGY_NAMES, isStrategyName, getStrategyDefinition, createStrategy, restoreStrategy } from './registry';
export type { StrategyName, StrategyOptions, CreateStrategyOptions } from './registry';
export { ScreenedStrategy, canScreen } from './screening';
export {
  OneShotStrategy,
  ONE_SHOT_STRATEGIES,
  ONE_SHOT_STRATEGY_NAMES,
  ONE_SHOT_STAGES,
  DERIVED_DECISION_METRIC,
  isOneShotStrategyName,
  derivedArchOf,
  derivedArchMetrics,
  oneShotTaskOf,
} from './one-shot';
export type { OneShotStrategyName, OneShotStage, OneShotOptions, OneShotTaskPayload } from './one-shot';
export { RandomSearch, randomSearch } from './random';
export type { RandomOptions } from './random';
export { RegularizedEvolution, regularizedEvolution, REA_DEFAULTS } from './regularized-evolution';
export type { ReaOptions } from './regularized-evolution';
export { NeighbourhoodAwareRandomSearch, naRs, NA_RS_DEFAULTS } from './na-rs';
export type { NaRsOptions } from './na-rs';
export { FoxNas, foxNas, FOX_NAS_DEFAULTS } from './fox-nas';
export type { FoxNasOptions } from './fox-nas';
export { AutoShrink, autoShrink, AUTOSHRINK_DEFAULTS } from './autoshrink';
export type { AutoShrinkOptions, ShrinkStep } from './autoshrink';
export { FpNas, fpNas, FP_NAS_DEFAULTS, factorisation } from './fp-nas';
export type { FpNasOptions, OptionFactors } from './fp-nas';
export { Nsga2, nsga2, NSGA2_DEFAULTS } from './nsga2';
export { GpBo, gpBo, GP_BO_DEFAULTS } from './gp-bo';
export type { GpBoOptions } from './gp-bo';
export type { Nsga2Options } from './nsga2';
export { LinearFeatures, RidgeSolver, fitRidge, predict } from './linear-model';
export type { InteractionMode, LinearModel } from './linear-model';
export { SearchLoop } from './search-loop';
export type { SearchSetup, LoopSettings, LoopTask, LoopResult, TrialError, EvaluatedArch, RunStep, RunCounts } from './search-loop';
export { runInProcess, tabularSource, columnSource } from './run-in-process';
export type { MetricSource, RunOptions, RunResult, RunArch, TrialLogEntry } from './run-in-process';
export { percentile, taskC, taskP, regretOf, hvOf } from './harness/tasks';
export type { TaskCInfo, TaskPInfo } from './harness/tasks';
export { runBenchSearch, stats } from './harness/bench-search';
export type { BenchMode, BenchTask, BenchTables, BenchSearchOptions, BenchSearchReport, BenchRow, BenchRowLabel, PeerLabel, BenchTable, Stats } from './harness/bench-search';
export { renderBenchMarkdown } from './harness/report';
export { benchSettingsOf, rerunStrategies } from './harness/merge';
export type { BenchSettings, RerunOptions } from './harness/merge';
export { parsePeerRuns, addPeerRows } from './harness/peers';
export type { PeerRuns, PeerRun } from './harness/peers';
export type { ReportHeader } from './harness/report';
// Multi-fidelity schedulers (early stopping over training epochs) and their in-process runner.
export { createScheduler } from './schedulers/registry';
export { SCHEDULER_NAMES, isSchedulerName, needsEpochBudget, rungLevels, resolveRungs, promotionScore } from './schedulers/fidelity-scheduler';
export type { FidelityScheduler, FidelityJob, TrialFate, Proposal, SchedulerName, SchedulerOptions } from './schedulers/fidelity-scheduler';
export { AshaScheduler } from './schedulers/asha';
export { SynchronousHalvingScheduler } from './schedulers/successive-halving';
export { BudgetedHalvingScheduler, halvingBracketEpochs } from './schedulers/budgeted-halving';
export { FullFidelityScheduler } from './schedulers/full-fidelity';
export { ForecastingScheduler } from './schedulers/forecasting';
export type { ForecastOptions } from './schedulers/forecasting';
export { runFidelitySearch } from './schedulers/run-fidelity';
export type { FidelitySource, FidelityRunOptions, FidelityRunResult, FidelityLogEntry } from './schedulers/run-fidelity';
export { runTaskE, renderTaskEMarkdown, lowFidelityRanking, TASK_E_RUNGS } from './harness/task-e';
export type { TaskETables, TaskEOptions, TaskERow, TaskETable, TaskEReport, LowFidelityRanking } from './harness/task-e';
export { RungStopper } from './schedulers/rung-stopper';
export type { StopDecision } from './schedulers/rung-stopper';
