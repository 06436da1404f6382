import { archKey, InvalidArgumentError } from '@hwnas/bench-core';
import type { Metrics, SearchSpace } from '@hwnas/bench-core';
import { compareResults, isPareto, paretoFront } from '@hwnas/search';
import type { EvaluatedArch, LoopResult, RunStep, SearchProblem, SearchSetup, SearchStrategy, TrialResult } from '@hwnas/search';
import type { ScreenDecision } from './events';
import type { CostModels, CostScreener, LoadedCostModel } from './ports/cost-models';
import type { EvalTask } from './ports/task-queue';
import type { SearchSpec } from './search-spec';

/** Builds the screen of a search from its journalled cost model (in the fold: live and on replay alike). */
export type ScreenOf = (model: LoadedCostModel, spec: SearchSpec, setup: SearchSetup) => CostScreener;

/** The metric names a screened cost is reported under, beside the value the search uses. */
export function screenedMetricNames(metric: string): { readonly pred: string; readonly std: string; readonly measured: string } {
  return { pred: `${metric}_pred`, std: `${metric}_pred_std`, measured: `${metric}_measured` };
}

/**
 * The {@link ScreenOf} of a coordinator's stored cost models: the screen decides against the
 * search's constraints on the model's metric, which the search must use (a constraint or an objective).
 */
export function screenOfCostModels(costModels: CostModels): ScreenOf {
  return (model, spec, setup) => {
    const problem = setup.problem;
    const bounds = problem.constraints.filter((c) => c.metric === model.metric).map((c) => c.bound);
    if (!bounds.length && !problem.objectives.some((o) => o.metric === model.metric)) {
      throw new InvalidArgumentError(`costModel: the model of ${model.device} predicts "${model.metric}", which no objective or constraint of the search uses`);
    }
    if (!problem.cheapMetrics.includes(model.metric)) throw new InvalidArgumentError(`costModel: "${model.metric}" is not a cost metric of the search`);
    return costModels.screen(model, { space: spec.space, dataset: spec.dataset, bounds, z: spec.costModel!.z, ...(spec.costModel!.conformal !== undefined ? { conformal: spec.costModel!.conformal } : {}) });
  };
}

/**
 * Reads the cost model a submitted search asks for and builds its screen (to check the search
 * against it before anything is journalled). Throws InvalidArgumentError naming `costModel` when the
 * coordinator has no cost models or the model does not fit the search; the store's not_found as it is.
 */
export async function loadScreen(costModels: CostModels | undefined, screenOf: ScreenOf | undefined, spec: SearchSpec, setup: SearchSetup): Promise<{ readonly model: LoadedCostModel; readonly screener: CostScreener }> {
  if (!costModels || !screenOf) throw new InvalidArgumentError('costModel: this coordinator has no cost model store');
  const model = await costModels.load(spec.costModel!, { space: spec.space, dataset: spec.dataset });
  return { model, screener: screenOf(model, spec, setup) };
}

/** A decision with what the fold keeps beside it: the result it must beat to be verified. */
interface Decided extends ScreenDecision {
  readonly full: boolean;
  /** Single objective: the best when the task was asked; Pareto: the front then. */
  readonly bestAtAsk?: Metrics;
  readonly frontAtAsk?: readonly EvaluatedArch[];
}

/** What the screen needs of its run (a {@link SearchLoop}'s views at the time of a step). */
export interface ScreenedLoop {
  best(): EvaluatedArch | undefined;
  pareto(): EvaluatedArch[] | undefined;
}

/**
 * Cost-first screening of one search's device cost on a cluster, as part of its run (and so of the
 * journal fold: a replay rebuilds the same decisions).
 *
 * - When the loop asks for a task, the screen decides with the model as it stands then: `measure`
 *   (the task goes to the device agent: its prediction is within the band of a bound), `known`
 *   (measured earlier) or `predict` (the task goes out without the device, and its result carries
 *   the predicted mean). In an ordered search a task is asked right after a fixed set of tells, so
 *   the decision depends on the seed alone, not on the order results arrive in. New decisions are
 *   journalled (`costs_screened`) before their tasks go out; a replay adopts the journalled ones.
 * - Every result carries `<metric>` (the value used), `<metric>_pred`, `<metric>_pred_std` and
 *   `<metric>_measured` (1 or 0).
 * - A full evaluation whose cost was predicted, and that with its optimistic cost could beat the
 *   best when it was asked (or enter the front then), is held and verified on the device first
 *   (a `costs` task `<taskId>/verify`): the reported best is always measured.
 * - The model learns from each measured cost when it is told to the strategy (tell order).
 */
export class RunScreening {
  private readonly names: ReturnType<typeof screenedMetricNames>;
  private readonly decided = new Map<string, Decided>();
  private readonly tasks = new Map<string, EvalTask>();
  /** Decisions not journalled yet, in the order they were made. */
  private fresh: ScreenDecision[] = [];
  /** Full results held for verification, by the verification task's id. */
  private readonly held = new Map<string, { readonly result: LoopResult; readonly task: EvalTask }>();
  private measuredCount = 0;
  private predictedCount = 0;

  constructor(
    readonly screener: CostScreener,
    readonly device: string,
    private readonly space: SearchSpace,
    private readonly problem: SearchProblem,
  ) {
    this.names = screenedMetricNames(screener.metric);
  }

  get metric(): string {
    return this.screener.metric;
  }

  /** Distinct architectures measured on the device during the search (verifications included), and costs told as predictions. */
  get counts(): { readonly measured: number; readonly predicted: number } {
    return { measured: this.measuredCount, predicted: this.predictedCount };
  }

  /** The strategy, told through the screen: each measured cost refits the model before the next ask. */
  wrap(setup: SearchSetup): SearchSetup {
    const inner = setup.strategy;
    const learn = (r: TrialResult) => {
      const value = r.metrics?.[this.metric];
      if (r.status !== 'ok' || r.metrics?.[this.names.measured] !== 1 || value === undefined) return;
      const key = archKey(this.space, r.arch);
      if (this.screener.measured(key) === undefined) this.measuredCount++;
      this.screener.record(key, value);
    };
    const strategy: SearchStrategy = {
      ask: (n) => inner.ask(n),
      tell: (r) => {
        learn(r);
        if (r.status === 'ok' && r.metrics?.[this.names.measured] === 0) this.predictedCount++;
        inner.tell(r);
      },
      snapshot: () => inner.snapshot(),
      ...(inner.recommend ? { recommend: () => inner.recommend!() } : {}),
      ...(inner.explain ? { explain: () => inner.explain!() } : {}),
    };
    return { ...setup, strategy };
  }

  /** Decides a task the loop asks for (see the class doc); returns it with the device or without. */
  dress(task: EvalTask, loop: ScreenedLoop): EvalTask {
    const full = task.need === 'full';
    if (!full && !task.metrics.includes(this.metric)) return task;
    const known = this.screener.measured(task.arch);
    const p = this.screener.predict(task.arch);
    const decision: ScreenDecision['decision'] = known !== undefined ? 'known' : this.screener.mustMeasure(task.arch) ? 'measure' : 'predict';
    const d: Decided = {
      taskId: task.taskId,
      decision,
      mean: p.mean,
      std: p.std,
      ...(known !== undefined ? { value: known } : {}),
      ...(decision === 'predict' ? { optimistic: this.screener.optimistic(task.arch) } : {}),
      full,
      ...(full && decision === 'predict' ? this.atAsk(loop) : {}),
    };
    this.decided.set(task.taskId, d);
    this.fresh.push(journalForm(d));
    const out = decision === 'measure' ? task : { ...task, devices: task.devices.filter((x) => x !== this.device) };
    this.tasks.set(task.taskId, out);
    return out;
  }

  private atAsk(loop: ScreenedLoop): Pick<Decided, 'bestAtAsk' | 'frontAtAsk'> {
    if (isPareto(this.problem)) return { frontAtAsk: loop.pareto() ?? [] };
    const best = loop.best()?.metrics;
    return best ? { bestAtAsk: best } : {};
  }

  /** Decisions made since the last call (to journal before their tasks go out). */
  takeFresh(): ScreenDecision[] {
    const out = this.fresh;
    this.fresh = [];
    return out;
  }

  /**
   * Journalled decisions (`costs_screened`): the journal wins over what this fold decided (a
   * replay with other reference data still tells the strategy what the original run told it).
   */
  adopt(decisions: readonly ScreenDecision[]): void {
    const ids = new Set(decisions.map((d) => d.taskId));
    this.fresh = this.fresh.filter((d) => !ids.has(d.taskId));
    for (const d of decisions) {
      const mine = this.decided.get(d.taskId);
      if (!mine || d.decision === 'verify') continue;
      this.decided.set(d.taskId, { ...mine, ...d });
      const task = this.tasks.get(d.taskId) as { devices: readonly string[] } | undefined;
      if (task && d.decision !== mine.decision) task.devices = d.decision === 'measure' ? [...new Set([...task.devices, this.device])] : task.devices.filter((x) => x !== this.device);
    }
  }

  /** Whether the device cost of task `taskId` is (to be) the model's prediction; undefined for a task not screened. */
  predicted(taskId: string): boolean | undefined {
    if (this.held.has(taskId)) return false;
    const d = this.decided.get(taskId);
    return d ? d.decision === 'predict' : undefined;
  }

  /** Whether `taskId` is a verification in flight. */
  verifying(taskId: string): boolean {
    return this.held.has(taskId);
  }

  /** Task ids of full evaluations held for verification (the loop still counts them in flight). */
  heldTaskIds(): Set<string> {
    return new Set([...this.held.values()].map((h) => h.result.taskId));
  }

  /** The verification tasks in flight (re-dispatched after a restart like the loop's). */
  verifications(): EvalTask[] {
    return [...this.held.entries()].map(([taskId, h]) => ({ ...h.task, taskId, need: 'costs', metrics: [this.metric], devices: [this.device] }));
  }

  /**
   * A worker's result through the screen: annotated, held for verification, or (a verification's
   * result) merged into the result it held. `accept` passes a result on to the loop.
   */
  accept(result: LoopResult, accept: (r: LoopResult) => RunStep<EvalTask>): RunStep<EvalTask> {
    const held = this.held.get(result.taskId);
    if (held) {
      this.held.delete(result.taskId);
      const d = this.decided.get(held.result.taskId)!;
      const value = result.metrics?.[this.metric];
      if (result.status !== 'ok' || !(value !== undefined && Number.isFinite(value) && value > 0)) {
        const why = result.error ? `${result.error.code}: ${result.error.message}` : `no positive "${this.metric}" in its result`;
        return accept({ taskId: held.result.taskId, status: 'failed', error: { code: result.error?.code ?? 'internal', message: `verifying the predicted ${this.metric} on ${this.device} failed (${why})` } });
      }
      return accept(this.annotate(held.result, { ...d, decision: 'measure' }, value));
    }
    const d = this.decided.get(result.taskId);
    if (!d || result.status !== 'ok') return accept(result);
    const value = d.decision === 'predict' ? d.mean : d.decision === 'known' ? d.value! : result.metrics?.[this.metric];
    // A measurement the model cannot learn from fails the trial (it would otherwise break the fold at its tell).
    if (!(value !== undefined && Number.isFinite(value) && value > 0)) {
      return accept({ taskId: result.taskId, status: 'failed', error: { code: 'internal', message: `device ${this.device} returned ${value === undefined ? `no "${this.metric}"` : `"${this.metric}" = ${value}, not a positive number`}` } });
    }
    const annotated = this.annotate(result, d, value);
    if (d.full && d.decision === 'predict' && this.couldChangeResult(d, annotated.metrics!)) {
      const verifyId = `${result.taskId}/verify`;
      this.held.set(verifyId, { result, task: this.tasks.get(result.taskId)! });
      this.fresh.push({ taskId: verifyId, decision: 'verify', mean: d.mean, std: d.std });
      return { dispatch: this.verifications().filter((t) => t.taskId === verifyId), ignored: false };
    }
    return accept(annotated);
  }

  private annotate(result: LoopResult, d: ScreenDecision, value: number): LoopResult {
    const measured = d.decision === 'predict' ? 0 : 1;
    return { ...result, metrics: { ...result.metrics, [this.metric]: value, [this.names.pred]: d.mean, [this.names.std]: d.std, [this.names.measured]: measured } };
  }

  /** Whether, with its optimistic cost, a predicted full result could beat the best (or enter the front) at its ask. */
  private couldChangeResult(d: Decided, metrics: Metrics): boolean {
    const optimistic = { ...metrics, [this.metric]: d.optimistic ?? d.mean };
    if (isPareto(this.problem)) {
      const front = (d.frontAtAsk ?? []).map((e) => ({ arch: e.arch, metrics: e.metrics ?? {} }));
      return paretoFront(this.problem, [...front, { arch: [], metrics: optimistic }]).some((e) => e.metrics === optimistic);
    }
    return compareResults(this.problem, optimistic, d.bestAtAsk) > 0;
  }
}

/** The journalled part of a decision. */
function journalForm(d: Decided): ScreenDecision {
  return { taskId: d.taskId, decision: d.decision, mean: d.mean, std: d.std, ...(d.value !== undefined ? { value: d.value } : {}), ...(d.optimistic !== undefined ? { optimistic: d.optimistic } : {}) };
}
