import { oneShotTaskOf, SearchLoop } from '@hwnas/search';
import type { EvaluatedArch, LoopTask, RunCounts, RunStep as LoopStep, SearchSetup } from '@hwnas/search';
import type { EvalTask } from './ports/task-queue';
import type { SearchSpec } from './search-spec';
import { createPromotingScheduler } from './training-schedulers';

export type { EvaluatedArch, RunCounts, SearchSetup };

/** What one step of a {@link SearchRun} asks the coordinator to dispatch. */
export type RunStep = LoopStep<EvalTask>;

/**
 * A search's ask/tell loop ({@link SearchLoop} from `@hwnas/search`, the one loop of the code
 * base) set up from a {@link SearchSpec}, its tasks dressed as {@link EvalTask}s for the workers.
 */
export class SearchRun extends SearchLoop<EvalTask> {
  constructor(
    searchId: string,
    readonly spec: SearchSpec,
    setup: SearchSetup,
  ) {
    super(searchId, loopSettings(spec), withScheduler(spec, setup), (task) => evalTask(searchId, spec, task));
  }
}

/** The setup with the promoting scheduler of a trainer search with `sh` or `budget-sh` (a fresh one per run). */
function withScheduler(spec: SearchSpec, setup: SearchSetup): SearchSetup {
  const scheduler = spec.training ? createPromotingScheduler(spec.training, spec.budget) : undefined;
  return scheduler ? { ...setup, scheduler } : setup;
}

/** The loop settings a search spec states (budget, window, order, caps). */
export function loopSettings(spec: SearchSpec): SearchLoop['settings'] {
  return {
    strategy: spec.strategy,
    budget: spec.budget,
    // 0 (all worker slots): one at a time until the coordinator's `window_resized` says more.
    maxInFlight: spec.maxInFlight === 0 ? 1 : spec.maxInFlight,
    ordering: spec.ordering,
    ...(spec.maxCostQueries !== undefined ? { maxCostQueries: spec.maxCostQueries } : {}),
    ...(spec.maxFailed !== undefined ? { maxFailed: spec.maxFailed } : {}),
  };
}

function evalTask(searchId: string, spec: SearchSpec, task: LoopTask): EvalTask {
  // A one-shot search's keys are `<arch>#<stage>`: the stage travels as the task's payload.
  const oneShot = oneShotTaskOf(spec.strategy, spec.strategyOptions, task.key);
  return {
    taskId: task.taskId,
    searchId,
    trialId: task.trialId,
    space: spec.space,
    dataset: spec.dataset,
    arch: oneShot ? oneShot.arch : task.key,
    need: task.need,
    metrics: task.metrics,
    accuracySource: spec.accuracySource,
    devices: spec.devices,
    // Trainer searches: a trial trains to its rung (promoting schedulers) or to the full fidelity, with the search's seed.
    ...(spec.training ? { fidelity: { epochs: task.epochs ?? spec.training.epochs }, seed: spec.seed } : {}),
    ...(oneShot ? { oneShot: oneShot.payload } : {}),
  };
}
