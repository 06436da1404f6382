import { oneShotTaskOf, SearchLoop } from '@hwnas/search';
import type { EvaluatedArch, LoopResult, LoopTask, RunCounts, RunStep as LoopStep, SearchSetup } from '@hwnas/search';
import type { ScreenDecision } from './events';
import type { CostScreener } from './ports/cost-models';
import type { EvalTask } from './ports/task-queue';
import { RunScreening } from './search-screening';
import type { SearchSpec } from './search-spec';
import { createPromotingScheduler } from './training-schedulers';

export type { EvaluatedArch, RunCounts, SearchSetup };

/** What one step of a {@link SearchRun} asks the coordinator to dispatch. */
export type RunStep = LoopStep<EvalTask>;

/**
 * A search's ask/tell loop ({@link SearchLoop} from `@hwnas/search`, the one loop of the code
 * base) set up from a {@link SearchSpec}, its tasks dressed as {@link EvalTask}s for the workers.
 * With a `screener` (a search with a cost model) its device cost goes through a {@link RunScreening}.
 */
export class SearchRun extends SearchLoop<EvalTask> {
  /** The cost screen of a search with a cost model. */
  readonly screening?: RunScreening;

  constructor(
    searchId: string,
    readonly spec: SearchSpec,
    setup: SearchSetup,
    screener?: CostScreener,
  ) {
    const screening = screener && spec.costModel ? new RunScreening(screener, spec.costModel.device, setup.space, setup.problem) : undefined;
    // The loop calls `dress` only once constructed: `self` is set by then.
    const self: { run?: SearchRun } = {};
    const dress = (task: LoopTask) => (screening ? screening.dress(evalTask(searchId, spec, task), self.run!) : evalTask(searchId, spec, task));
    super(searchId, loopSettings(spec), withScheduler(spec, screening ? screening.wrap(setup) : setup), dress);
    self.run = this;
    if (screening) this.screening = screening;
  }

  override accept(result: LoopResult, at?: number): LoopStep<EvalTask> {
    if (!this.screening) return super.accept(result, at);
    return this.screening.accept(result, (r) => super.accept(r, at));
  }

  override expects(taskId: string): boolean {
    if (!this.screening) return super.expects(taskId);
    return this.screening.verifying(taskId) || (super.expects(taskId) && !this.screening.heldTaskIds().has(taskId));
  }

  override needOf(taskId: string): LoopStep<EvalTask>['dispatch'][number]['need'] | undefined {
    return this.screening?.verifying(taskId) ? 'costs' : super.needOf(taskId);
  }

  override pending(): EvalTask[] {
    if (!this.screening) return super.pending();
    const held = this.screening.heldTaskIds();
    return [...super.pending().filter((t) => !held.has(t.taskId)), ...this.screening.verifications()];
  }

  /** Screening decisions not journalled yet (none without a cost model). */
  takeScreenDecisions(): ScreenDecision[] {
    return this.screening?.takeFresh() ?? [];
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
