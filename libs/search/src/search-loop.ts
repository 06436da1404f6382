import { archKey, InvalidArgumentError } from '@hwnas/bench-core';
import type { Arch, Metrics, SearchSpace } from '@hwnas/bench-core';
import { bestFeasible, isPareto, paretoFront } from './problem';
import type { SearchProblem } from './problem';
import { promotionScore } from './schedulers/fidelity-scheduler';
import type { FidelityJob, FidelityScheduler, TrialFate } from './schedulers/fidelity-scheduler';
import type { Candidate, PredictorExplanation, SearchStrategy, TrialNeed, TrialResult } from './strategy';

/** What a search runs with: its space, validated problem and a fresh strategy. */
export interface SearchSetup {
  readonly space: SearchSpace;
  readonly problem: SearchProblem;
  readonly strategy: SearchStrategy;
  /**
   * Multi-fidelity (a trainer search with successive halving): the scheduler decides each trial's
   * epochs, and promotes trials to higher rungs as their rungs complete. Every candidate is then
   * a trial of its own (the budget counts trials), the strategy is told each trial's first
   * (lowest-rung) result, and only results at the top rung can be the best. Absent: every
   * evaluation is at the search's one fidelity.
   */
  readonly scheduler?: FidelityScheduler;
}

/** Why an evaluation failed: a NasError's code and message. */
export interface TrialError {
  readonly code: string;
  readonly message: string;
}

/**
 * The settings of a {@link SearchLoop}: its budget rule, window and tell order. Every driver (the
 * coordinator, the in-process runner, the benchmark harness) states them here, and nowhere else.
 */
export interface LoopSettings {
  /** Name of the strategy, for error messages. */
  readonly strategy: string;
  /** Number of distinct architectures to evaluate fully. */
  readonly budget: number;
  /** Trials asked and not yet told, at most. */
  readonly maxInFlight: number;
  /** `ordered`: tell in ask order (a reorder buffer); `async`: tell as results are accepted. */
  readonly ordering: 'ordered' | 'async';
  /** Cost-first queries allowed before the search stops (absent: 1000 x budget). */
  readonly maxCostQueries?: number;
  /** Failed full evaluations after which the search stops and ends failed (absent: no limit). */
  readonly maxFailed?: number;
}

/** One evaluation the loop wants done, before its owner dresses it as a task for its workers. */
export interface LoopTask {
  /** `<searchId>.<trialId>`: unique per evaluation. */
  readonly taskId: string;
  readonly trialId: number;
  /** Canonical arch string. */
  readonly key: string;
  readonly need: TrialNeed;
  /** For `costs`: the cheap metrics to return; empty for `full`. */
  readonly metrics: readonly string[];
  /** Multi-fidelity: epochs to reach (total; a promotion resumes the trial's checkpoint). Absent: the search's fidelity. */
  readonly epochs?: number;
}

/** The outcome of one dispatched task, as accepted by {@link SearchLoop.accept}. */
export interface LoopResult {
  readonly taskId: string;
  readonly status: 'ok' | 'failed';
  readonly metrics?: Metrics;
  readonly error?: TrialError;
}

/** An evaluated architecture in a search's results. */
export interface EvaluatedArch {
  readonly trialId: number;
  readonly arch: Arch;
  readonly key: string;
  readonly need: TrialNeed;
  readonly status: 'ok' | 'failed';
  readonly metrics?: Metrics;
  readonly error?: TrialError;
  /** When the result was accepted (epoch ms), as passed to {@link SearchLoop.accept}. */
  readonly at?: number;
  /** Position in the order results were told to the strategy (every trial, cost queries too). */
  readonly tellIndex?: number;
  /** When the strategy asked for the candidate, and when its result was told (epoch ms). */
  readonly askedAt?: number;
  readonly toldAt?: number;
  /** Answered from another trial's evaluation of the same architecture (no task of its own). */
  readonly cached?: boolean;
  /** Multi-fidelity: the epochs the trial was trained to for these metrics. */
  readonly epochs?: number;
}

/** What one step of a {@link SearchLoop} asks its owner to do. */
export interface RunStep<T = LoopTask> {
  /** Tasks to dispatch to workers. */
  readonly dispatch: readonly T[];
  /** True when the result given to `accept` was a duplicate or unknown (nothing changed). */
  readonly ignored: boolean;
}

/** Counters of a search. */
export interface RunCounts {
  /** Distinct architectures sent for a full evaluation (the budget counts these). */
  readonly evaluationsDispatched: number;
  /** Full evaluations with a result (ok or failed). */
  readonly evaluationsDone: number;
  readonly evaluationsFailed: number;
  /** Cost-first queries dispatched (not counted against the budget). */
  readonly costQueries: number;
  /** Tasks dispatched and not yet answered. */
  readonly inFlight: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The (never written) ready list of an ordered pump. */
const NO_TRIALS: number[] = [];

/** Cap on cost-first queries per unit of budget (a strategy that only screens must still stop). */
const COST_QUERIES_PER_EVALUATION = 1000;

/**
 * One search's ask/tell loop as a deterministic state machine, free of I/O and clocks. Its owner
 * (the coordinator) dispatches the tasks each step returns and feeds results back with
 * {@link SearchLoop.accept}, in any order and possibly more than once.
 *
 * Determinism: in `ordered` mode results are told to the strategy in the order its candidates
 * were asked (a reorder buffer), and new candidates are asked only right after such a tell, so
 * the sequence of strategy calls depends on the seed alone. In `async` mode results are told as
 * they are accepted; replaying the accepted results in the same order rebuilds the same state.
 * Either way, a restarted coordinator rebuilds a run by `start()` plus `accept()` of the logged
 * results, then re-dispatches {@link SearchLoop.pending}.
 *
 * Budget: `spec.budget` distinct architectures are evaluated fully; asking again for an
 * architecture already evaluated (or being evaluated) is answered from the run's cache and counts
 * nothing, as is a cost query for an architecture whose costs are known.
 */
export class SearchLoop<T = LoopTask> {
  private readonly candidates: Candidate[] = [];
  /** Outcome per trial id (from a worker or from the cache). */
  private readonly outcomes = new Map<number, EvaluatedArch>();
  /** Trials whose tasks are with workers, by task id. */
  private readonly dispatched = new Map<string, { readonly base: LoopTask; readonly task: T }>();
  /** Trials waiting for an in-flight task of the same architecture and need, by task id. */
  private readonly waiters = new Map<string, number[]>();
  /** Task id of the full evaluation of each architecture (distinct evaluations). */
  private readonly fullTask = new Map<string, string>();
  /** Task id of the cost query of each architecture. */
  private readonly costTask = new Map<string, string>();
  /** Known outcomes by task id. */
  private readonly taskOutcome = new Map<string, EvaluatedArch>();
  private readonly told = new Set<number>();
  private nextTell = 0;
  private exhausted = false;
  private cancelled = false;
  private started = false;
  /** Trials asked and not yet told, at most: `settings.maxInFlight` until {@link SearchLoop.resize}. */
  private window: number;
  private costQueries = 0;
  /** Full evaluations with results (ok or failed), as accepted. */
  private fullDone = 0;
  private failed = 0;
  /** Every trial told to the strategy, in tell order; and its full trials alone (the history). */
  private readonly toldLog: EvaluatedArch[] = [];
  private readonly fullLog: EvaluatedArch[] = [];
  /** When each trial was asked (by trial id), and the time of the step being run. */
  private readonly askedAt: (number | undefined)[] = [];
  private stepAt?: number;
  /** Best feasible so far in tell order, kept incrementally (same answer as a scan of the history). */
  private bestSoFar?: EvaluatedArch & { readonly metrics: Metrics };
  /** Multi-fidelity: candidates asked and not yet started by the scheduler (ask order), and the ok results at the top rung. */
  private readonly proposals: Candidate[] = [];
  private readonly topLog: EvaluatedArch[] = [];
  private sealed = false;
  /** Multi-fidelity: candidates the scheduler will never start (the search was cancelled, or the scheduler takes no more trials). */
  private dropped = 0;
  private paretoCache?: { readonly length: number; readonly front: EvaluatedArch[] };

  /**
   * @param dress turns the loop's task into what the owner's workers take (default: as it is);
   *   the owner adds what the loop does not know (the space's name, devices, a trace context).
   */
  constructor(
    readonly searchId: string,
    readonly settings: LoopSettings,
    private readonly setup: SearchSetup,
    private readonly dress: (task: LoopTask) => T = (task) => task as T,
  ) {
    this.window = settings.maxInFlight;
  }

  /** The first candidates of the search. Call once; `at` (epoch ms) is recorded as their ask time. */
  start(at?: number): RunStep<T> {
    this.started = true;
    this.stepAt = at;
    const tasks: T[] = [];
    const settled: number[] = [];
    this.askOnce(tasks, settled);
    for (const t of this.pump(settled)) tasks.push(t);
    return { dispatch: tasks, ignored: false };
  }

  /**
   * Applies a worker's result. Duplicates (a task id already answered) and results for unknown
   * tasks are ignored. Returns the tasks to dispatch next. `at` (epoch ms) is only recorded (as
   * the time of the result, and of the tells and asks it leads to); it never influences what the
   * run does.
   */
  accept(result: LoopResult, at?: number): RunStep<T> {
    const entry = this.dispatched.get(result.taskId);
    if (!entry) return { dispatch: [], ignored: true };
    const task = entry.base;
    this.dispatched.delete(result.taskId);
    this.stepAt = at;
    // Built by assignment, not conditional spreads: this runs once per evaluation.
    const outcome: Mutable<EvaluatedArch> = { trialId: task.trialId, arch: this.candidates[task.trialId].arch, key: task.key, need: task.need, status: result.status };
    if (result.metrics) outcome.metrics = result.metrics;
    if (result.error) outcome.error = result.error;
    if (at !== undefined) outcome.at = at;
    this.taskOutcome.set(task.taskId, outcome);
    const scheduler = this.setup.scheduler;
    if (scheduler && task.epochs !== undefined) return { dispatch: this.acceptJob(scheduler, task, outcome), ignored: false };
    if (task.need === 'full') {
      this.fullDone++;
      if (outcome.status === 'failed') this.failed++;
    }
    this.outcomes.set(task.trialId, outcome);
    const waiting = this.waiters.get(task.taskId);
    if (!waiting) return { dispatch: this.pump(task.trialId), ignored: false };
    this.waiters.delete(task.taskId);
    for (const t of waiting) this.outcomes.set(t, { ...outcome, trialId: t, need: this.candidates[t].need, cached: true });
    return { dispatch: this.pump([task.trialId, ...waiting]), ignored: false };
  }

  /**
   * Changes the window (trials asked and not yet told, at least 1). A larger window asks for more
   * candidates at once (returned to dispatch); a smaller one lets what is in flight land and asks
   * again only below it. Deterministic like every other step: an owner that logs each resize and
   * replays it at the same place among the results rebuilds the same run.
   */
  resize(maxInFlight: number, at?: number): RunStep<T> {
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new InvalidArgumentError(`maxInFlight must be an integer >= 1, got ${maxInFlight}`);
    this.window = maxInFlight;
    if (!this.started) return { dispatch: [], ignored: false };
    this.stepAt = at;
    const tasks: T[] = [];
    const settled: number[] = [];
    this.askOnce(tasks, settled);
    for (const t of this.pump(settled)) tasks.push(t);
    return { dispatch: tasks, ignored: false };
  }

  /** The current window (see {@link SearchLoop.resize}). */
  get maxInFlight(): number {
    return this.window;
  }

  /** Stops asking for new candidates (and, multi-fidelity, promoting); what is in flight still lands (drain). */
  cancel(): void {
    this.cancelled = true;
    this.dropProposals();
  }

  /** Multi-fidelity: where trial `trialId` stands (final once the search finished); undefined for a search without a scheduler. */
  fateOf(trialId: number): TrialFate | undefined {
    return this.setup.scheduler?.fate(trialId);
  }

  /** Whether a task of trial `trialId` (any fidelity) is dispatched and not answered yet. */
  trialInFlight(trialId: number): boolean {
    for (const d of this.dispatched.values()) if (d.base.trialId === trialId) return true;
    return false;
  }

  /** Need of a task dispatched and not answered yet (undefined for any other task id). */
  needOf(taskId: string): TrialNeed | undefined {
    return this.dispatched.get(taskId)?.base.need;
  }

  /** Whether `taskId` is dispatched and not answered yet (a result for it would be applied). */
  expects(taskId: string): boolean {
    return this.dispatched.has(taskId);
  }

  /** Tasks dispatched and not answered yet (re-dispatch them after a restart). */
  pending(): T[] {
    return [...this.dispatched.values()].map((d) => d.task);
  }

  /** Whether the search is over: nothing in flight and nothing more to ask. */
  get finished(): boolean {
    return this.outstanding() === 0 && this.dispatched.size === 0 && (this.cancelled || this.exhausted || this.budgetSpent() || this.costCapReached() || this.tooManyFailures());
  }

  /**
   * Why the search ended (valid once {@link SearchLoop.finished}). `failures`: `maxFailed`
   * evaluations failed; the search ends failed, not succeeded.
   */
  get finishReason(): 'cancelled' | 'failures' | 'budget' | 'exhausted' | 'cost-queries' {
    if (this.cancelled) return 'cancelled';
    if (this.tooManyFailures()) return 'failures';
    if (this.budgetSpent()) return 'budget';
    if (this.costCapReached()) return 'cost-queries';
    return 'exhausted';
  }

  get counts(): RunCounts {
    return {
      evaluationsDispatched: this.setup.scheduler ? this.candidates.length - this.proposals.length - this.dropped : this.fullTask.size,
      evaluationsDone: this.fullDone,
      evaluationsFailed: this.failed,
      costQueries: this.costQueries,
      inFlight: this.dispatched.size,
    };
  }

  get problem(): SearchProblem {
    return this.setup.problem;
  }

  get space(): SearchSpace {
    return this.setup.space;
  }

  /**
   * Full evaluations in the order they were told to the strategy (in an ordered search, the order
   * they were asked), each with its `tellIndex`. A result held in the reorder buffer is not here yet.
   */
  history(): readonly EvaluatedArch[] {
    return this.fullLog;
  }

  /** Every trial told to the strategy, cost queries included, in tell order (`tellIndex` = position). */
  trials(): readonly EvaluatedArch[] {
    return this.toldLog;
  }

  /** Best feasible evaluated architecture (single-objective searches). */
  best(): EvaluatedArch | undefined {
    return this.bestSoFar;
  }

  /** Feasible non-dominated evaluated architectures (Pareto searches). */
  pareto(): EvaluatedArch[] | undefined {
    if (!isPareto(this.setup.problem)) return undefined;
    // Recomputed only when the history grew: watchers ask after every evaluation.
    const log = this.setup.scheduler ? this.topLog : this.fullLog;
    if (this.paretoCache?.length !== log.length) this.paretoCache = { length: log.length, front: paretoFront(this.setup.problem, this.okEvaluations()) };
    return [...this.paretoCache.front];
  }

  private okEvaluations(): (EvaluatedArch & { readonly metrics: Metrics })[] {
    // A cached answer repeats an evaluation already in the log: one architecture, one point.
    return (this.setup.scheduler ? this.topLog : this.fullLog).filter((e): e is EvaluatedArch & { readonly metrics: Metrics } => e.status === 'ok' && e.metrics !== undefined && !e.cached);
  }

  /** The architecture the strategy proposed as trial `trialId`. */
  archOf(trialId: number): Arch {
    const c = this.candidates[trialId];
    if (!c) throw new InvalidArgumentError(`search ${this.searchId} has no trial ${trialId}`);
    return c.arch;
  }

  /** The fitted predictors of an explainable strategy (FOX-NAS); empty for the others. */
  explain(): readonly PredictorExplanation[] {
    return this.setup.strategy.explain?.() ?? [];
  }

  /** The strategy's own pick where it has one (NA-RS, AutoShrink). */
  recommended(): Arch | undefined {
    return this.setup.strategy.recommend?.();
  }

  private outstanding(): number {
    return this.candidates.length - this.told.size - this.dropped;
  }

  private budgetSpent(): boolean {
    return this.trialsCounted() >= this.settings.budget;
  }

  /** What the budget counts: distinct architectures evaluated fully, or (multi-fidelity) trials asked. */
  private trialsCounted(): number {
    return this.setup.scheduler ? this.candidates.length : this.fullTask.size;
  }

  private tooManyFailures(): boolean {
    return this.settings.maxFailed !== undefined && this.failed >= this.settings.maxFailed;
  }

  private costCapReached(): boolean {
    return this.costQueries >= (this.settings.maxCostQueries ?? COST_QUERIES_PER_EVALUATION * this.settings.budget);
  }

  /**
   * Tells what can be told (in ask order when ordered, else in the order settled), asking for
   * new candidates right after each single tell. Iterative: candidates answered from the cache
   * settle at once and are told in the same loop.
   */
  private pump(settled: number | readonly number[]): T[] {
    const out: T[] = [];
    const ordered = this.settings.ordering === 'ordered';
    // Unordered: trials in the order they settled (cache answers join the end of the line).
    // Ordered: the reorder buffer decides, and `settled` is not needed (nor copied).
    const ready = ordered ? NO_TRIALS : typeof settled === 'number' ? [settled] : settled.slice();
    let head = 0;
    for (;;) {
      let next: number | undefined;
      if (ordered) {
        if (this.nextTell < this.candidates.length && this.outcomes.has(this.nextTell)) next = this.nextTell++;
      } else {
        while (head < ready.length && next === undefined) {
          const t = ready[head++];
          if (!this.told.has(t)) next = t;
        }
      }
      if (next === undefined) return out;
      this.tell(next);
      this.askOnce(out, ordered ? undefined : ready);
    }
  }

  private tell(trialId: number): void {
    // The outcome becomes the history entry: it is stamped here, the one time it is told.
    const o = this.outcomes.get(trialId)! as Mutable<EvaluatedArch>;
    this.told.add(trialId);
    o.tellIndex = this.toldLog.length;
    // Assigned even when unknown: a cached outcome is a copy of another trial's, stamps included.
    o.askedAt = this.askedAt[trialId];
    o.toldAt = this.stepAt;
    this.toldLog.push(o);
    if (this.candidates[trialId].need === 'full') {
      this.fullLog.push(o);
      // Multi-fidelity: a result below the top rung is the strategy's to learn from, never the best.
      if (!this.setup.scheduler) this.noteComplete(o);
      else if (o.epochs === this.topEpochs()) this.noteComplete(o);
    }
    const result: Mutable<TrialResult> = { trialId, arch: o.arch, status: o.status };
    if (o.metrics) result.metrics = o.metrics;
    if (o.error) result.error = `${o.error.code}: ${o.error.message}`;
    this.setup.strategy.tell(result);
  }

  /**
   * Asks the strategy once for as many candidates as the window and budget allow; pushes the
   * tasks to dispatch onto `tasks` and the trials answered at once (from the cache) onto `settled`.
   */
  private askOnce(tasks: T[], settled?: number[]): void {
    this.askStrategy(tasks, settled);
    if (this.setup.scheduler) this.nextJobs(this.setup.scheduler, tasks);
  }

  private askStrategy(tasks: T[], settled?: number[]): void {
    if (this.cancelled || this.exhausted || this.costCapReached() || this.tooManyFailures()) return;
    const n = Math.min(this.window - this.outstanding(), this.settings.budget - this.trialsCounted());
    if (n <= 0) return;
    const asked = this.setup.strategy.ask(n);
    if (asked.length > n) throw new InvalidArgumentError(`strategy ${this.settings.strategy} proposed ${asked.length} candidates when asked for ${n}`);
    if (asked.length === 0 && this.outstanding() === 0) this.exhausted = true;
    for (const c of asked) {
      if (c.trialId !== this.candidates.length) {
        throw new InvalidArgumentError(`strategy ${this.settings.strategy} numbered a candidate ${c.trialId}, expected ${this.candidates.length}`);
      }
      this.candidates.push(c);
      this.askedAt.push(this.stepAt);
      if (this.setup.scheduler) {
        if (c.need !== 'full') throw new InvalidArgumentError(`strategy ${this.settings.strategy} asked for a "${c.need}" query; a multi-fidelity search runs full evaluations only`);
        this.proposals.push(c);
        continue;
      }
      const task = this.route(c, c.key ?? archKey(this.setup.space, c.arch));
      if (task) tasks.push(task);
      else if (settled && this.outcomes.has(c.trialId)) settled.push(c.trialId);
    }
  }

  /** Dispatches a candidate, attaches it to an identical in-flight task, or answers it from the cache. */
  private route(c: Candidate, key: string): T | undefined {
    const fullId = this.fullTask.get(key);
    if (c.need === 'full' || fullId !== undefined) {
      // A full evaluation also answers a cost query of the same architecture.
      if (fullId !== undefined) return this.attach(c.trialId, fullId);
      if (c.need === 'full') return this.newTask(c, key, 'full');
    }
    const costId = this.costTask.get(key);
    if (costId !== undefined) return this.attach(c.trialId, costId);
    this.costQueries++;
    return this.newTask(c, key, 'costs');
  }

  private attach(trialId: number, taskId: string): undefined {
    const known = this.taskOutcome.get(taskId);
    if (known) this.outcomes.set(trialId, { ...known, trialId, need: this.candidates[trialId].need, cached: true });
    else this.waiters.set(taskId, [...(this.waiters.get(taskId) ?? []), trialId]);
    return undefined;
  }

  /** A result counts toward the best (and the front) once the trial reached full fidelity. */
  private noteComplete(o: EvaluatedArch): void {
    if (this.setup.scheduler && o.status === 'ok') this.topLog.push(o);
    if (o.status === 'ok' && o.metrics && !isPareto(this.setup.problem)) {
      const item = o as EvaluatedArch & { readonly metrics: Metrics };
      this.bestSoFar = bestFeasible(this.setup.problem, this.bestSoFar ? [this.bestSoFar, item] : [item]);
    }
  }

  private topEpochs(): number | undefined {
    const rungs = this.setup.scheduler?.rungs;
    return rungs?.[rungs.length - 1];
  }

  /**
   * Multi-fidelity: a job's result goes to the scheduler first. A trial's first result is then
   * told to the strategy as any result is; a promotion's only updates the trial (and the best,
   * at the top rung). Either may free the scheduler's next jobs.
   */
  private acceptJob(scheduler: FidelityScheduler, task: LoopTask, outcome: Mutable<EvaluatedArch>): T[] {
    outcome.epochs = task.epochs;
    scheduler.report(task.trialId, task.epochs!, promotionScore(this.setup.problem, outcome.metrics), outcome.status === 'failed');
    let out: T[];
    if (this.outcomes.has(task.trialId)) {
      out = [];
      if (task.epochs === this.topEpochs()) this.noteComplete(outcome);
    } else {
      this.fullDone++;
      if (outcome.status === 'failed') this.failed++;
      this.outcomes.set(task.trialId, outcome);
      out = this.pump(task.trialId);
    }
    // Also when nothing was told (a result held in the reorder buffer): the report may have completed a rung.
    this.nextJobs(scheduler, out);
    if (this.finished) scheduler.finish();
    return out;
  }

  /**
   * Hands out the scheduler's jobs while worker slots (the window) are free: promotions, and new
   * trials from the candidates asked (in ask order). New candidates are asked only right after a
   * tell (see askOnce), so the strategy's calls stay in the same order whatever the timing.
   */
  private nextJobs(scheduler: FidelityScheduler, tasks: T[]): void {
    if (this.cancelled || this.tooManyFailures()) return this.dropProposals();
    const propose = () => {
      const c = this.proposals.shift();
      return c && { trialId: c.trialId, arch: c.arch };
    };
    while (this.dispatched.size < this.window) {
      let job = scheduler.next(propose);
      if (!job && !this.sealed && this.proposals.length === 0 && (this.exhausted || this.budgetSpent())) {
        // No new trial will come: the bracket still filling is cut to what it has.
        this.sealed = true;
        scheduler.seal?.();
        job = scheduler.next(propose);
      }
      if (!job) {
        // Nothing out that could change its mind: the scheduler takes no more trials.
        if (this.dispatched.size === 0 && this.proposals.length > 0) {
          this.exhausted = true;
          this.dropProposals();
        }
        return;
      }
      tasks.push(this.jobTask(job));
    }
  }

  private dropProposals(): void {
    this.dropped += this.proposals.length;
    this.proposals.length = 0;
  }

  private jobTask(job: FidelityJob): T {
    const c = this.candidates[job.trialId];
    // A trial's first job keeps the plain task id; a promotion's names its rung.
    const taskId = job.kind === 'start' ? `${this.searchId}.${job.trialId}` : `${this.searchId}.${job.trialId}@${job.epochs}`;
    const base: LoopTask = { taskId, trialId: job.trialId, key: c.key ?? archKey(this.setup.space, c.arch), need: 'full', metrics: [], epochs: job.epochs };
    const task = this.dress(base);
    this.dispatched.set(taskId, { base, task });
    return task;
  }

  private newTask(c: Candidate, key: string, need: TrialNeed): T {
    const base: LoopTask = {
      taskId: `${this.searchId}.${c.trialId}`,
      trialId: c.trialId,
      key,
      need,
      metrics: need === 'costs' ? this.setup.problem.cheapMetrics : [],
    };
    const task = this.dress(base);
    (need === 'full' ? this.fullTask : this.costTask).set(key, base.taskId);
    this.dispatched.set(base.taskId, { base, task });
    return task;
  }
}
