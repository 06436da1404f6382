import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Metrics } from '@hwnas/bench-core';
import { buildNetworkIR, getSpace, InvalidArgumentError } from '@hwnas/bench-core';
import type { EvalTask, TrialEvaluator, TrialReport, TrialReportSink } from '@hwnas/runtime';
import { formatTraceparent, metricAttributes } from '@hwnas/runtime';
import { trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { TRAINER_CONTRACT } from './protocol';
import type { TrainerMessage } from './protocol';
import { TrainerCancelledError } from './errors';
import { runTrainer } from './run-trainer';
import type { TrainerRun } from './run-trainer';
import { parseShellWords } from './shell-words';
import { StoppedSearches } from './stopped-searches';

/** Name of the file, in the trial's work dir, that holds the trial description. */
export const TRIAL_FILE_NAME = 'hwnas-trial.json';
/** Span event added to the active (evaluation) span per intermediate report. */
export const EPOCH_EVENT_NAME = 'trainer.epoch';

/** Options of {@link ProcessTrainerEvaluator}. */
export interface ProcessTrainerOptions {
  /** The user's command line, e.g. `/usr/bin/python3 train.py --data DIR` (split by `parseShellWords`, no shell). */
  readonly command: string;
  /** Directory under which each trial gets its work dir `<workRoot>/<searchId>/trial-<trialId>`. */
  readonly workRoot: string;
  /** Epochs to reach when a task names no fidelity. */
  readonly epochs: number;
  /** Seed given to a trainer whose task names none (default 0); a task's `seed` wins. */
  readonly seed?: number;
  /** Free-form trainer options written into the trial file (default `{}`). */
  readonly options?: Readonly<Record<string, unknown>>;
  /** Per-evaluation timeout, milliseconds (default 0: none). */
  readonly timeoutMs?: number;
  /** Grace between SIGTERM and SIGKILL (default 10 000). */
  readonly killGraceMs?: number;
  /** Extra environment for the trainer, over this process's own. */
  readonly env?: Readonly<Record<string, string>>;
  /** Receives every intermediate report (learning curves, schedulers). Must not throw. */
  readonly onReport?: TrialReportSink;
  /**
   * Receives every log line of a trainer with its trial (stdout lines that are not protocol
   * lines, stderr lines, and a line per `resumed` message). Default: none.
   */
  readonly log?: (entry: { readonly searchId: string; readonly trialId: number; readonly stream: 'stdout' | 'stderr' | 'hwnas'; readonly line: string }) => void;
  /** Stopped searches remembered, so that their late tasks are refused (default 10 000; see {@link ProcessTrainerEvaluator.stopSearch}). */
  readonly stoppedSearchMemory?: number;
  /** Told the leader pid of each trainer process once it runs (tests list its process group). */
  readonly onSpawn?: (trialId: number, pid: number) => void;
  /**
   * Early stopping within a run (e.g. `RungStopper.onReport` of @hwnas/search): asked per
   * intermediate report; `stop` ends the trainer (SIGTERM, then SIGKILL) and the evaluation
   * returns {@link STOPPED_EPOCH_METRIC} and the last report's metrics prefixed `last_`, without
   * the objective, so a stopped trial is never the best.
   */
  readonly earlyStop?: (report: TrialReport) => 'continue' | 'stop';
}

/** Metric of a trial stopped early: the epoch of the report it was stopped at. */
export const STOPPED_EPOCH_METRIC = 'stopped_epoch';

/**
 * A {@link TrialEvaluator} that trains: per evaluation it launches the user's trainer command
 * under `hwnas.trainer/v1` (docs/trainer-contract.md), in the trial's work dir, with the trial
 * file and environment the contract names, and returns the final report's metrics. Intermediate
 * reports go to `onReport` and, as `trainer.epoch` events, to the active span (the worker's
 * evaluation span, whose W3C context the trainer also gets as `TRACEPARENT`).
 *
 * Safe to call concurrently (one process per call). The work dir of a trial is the same across
 * retries and fidelity promotions (it holds the trainer's checkpoints). Fails with the errors of
 * `runTrainer`, or `InvalidArgumentError` for a malformed task (architecture, space, fidelity).
 */
export class ProcessTrainerEvaluator implements TrialEvaluator {
  private readonly argv: readonly string[];
  private readonly workRoot: string;
  /** One controller per evaluation in progress, with its search id (see {@link abortAll}, {@link stopSearch}). */
  private readonly running = new Map<AbortController, string>();
  private readonly stoppedSearches: StoppedSearches;
  /** How to stop each evaluation in progress early, by `<searchId>/<trialId>` (see {@link stopTrial}). */
  private readonly stoppers = new Map<string, (epoch: number) => void>();

  constructor(private readonly opts: ProcessTrainerOptions) {
    this.argv = parseShellWords(opts.command);
    this.workRoot = resolve(opts.workRoot);
    checkEpochs(opts.epochs, 'trainer epochs');
    this.stoppedSearches = new StoppedSearches(opts.stoppedSearchMemory);
  }

  /**
   * Cancels every evaluation in progress (their trainers get SIGTERM, then SIGKILL after the
   * grace); e.g. when the process is interrupted, since trainers run in their own process groups
   * and would not get the terminal's signal.
   */
  abortAll(reason = 'shutting down'): void {
    for (const c of this.running.keys()) c.abort(reason);
  }

  /**
   * Ends every evaluation of a search (a coordinator's whole-search stop order: the search was
   * cancelled, or ended with evaluations running): their trainers get SIGTERM, then SIGKILL of
   * the process group after the grace, and the evaluations fail with a TrainerCancelledError
   * (`cancelled`, not retried). The search is remembered (the last `stoppedSearchMemory`), so
   * its later tasks are refused at once with the same error. Idempotent; returns how many
   * evaluations it ended.
   */
  stopSearch(searchId: string): number {
    this.stoppedSearches.add(searchId);
    let ended = 0;
    for (const [c, id] of this.running) {
      if (id !== searchId || c.signal.aborted) continue;
      c.abort(searchStoppedReason(searchId));
      ended++;
    }
    return ended;
  }

  /**
   * Stops the evaluation of a trial early, as `earlyStop` would (e.g. on a coordinator's stop
   * order): its trainer is ended and the evaluation returns {@link STOPPED_EPOCH_METRIC} (`epoch`,
   * the report it was judged at) and the last report's metrics as `last_<name>`. Returns whether
   * this evaluator was running that trial.
   */
  stopTrial(searchId: string, trialId: number, epoch: number): boolean {
    const stop = this.stoppers.get(`${searchId}/${trialId}`);
    stop?.(epoch);
    return stop !== undefined;
  }

  /** The work dir of a trial (absolute; stable per search id and trial id). */
  workDir(searchId: string, trialId: number): string {
    return join(this.workRoot, safeSegment(searchId), `trial-${trialId}`);
  }

  async evaluate(task: EvalTask, signal?: AbortSignal): Promise<Metrics> {
    // Taken before the first await: the caller's active span is the evaluation's.
    const span: Span | undefined = trace.getActiveSpan();
    const epochs = task.fidelity?.epochs ?? this.opts.epochs;
    checkEpochs(epochs, `task ${task.taskId}: fidelity epochs`);
    const space = getSpace(task.space);
    const arch = space.parse(task.arch);
    const ir = buildNetworkIR(space, arch, task.dataset);
    const { searchId, trialId } = task;
    const log = this.opts.log;
    const recording = span?.isRecording() === true;
    const controller = new AbortController();
    const forward = () => controller.abort(signal?.reason);
    if (signal?.aborted) forward();
    signal?.addEventListener('abort', forward, { once: true });
    let stoppedAt: TrialReport | undefined;
    let last: TrialReport | undefined;
    const stopAt = (report: TrialReport) => {
      if (stoppedAt) return;
      stoppedAt = report;
      log?.({ searchId, trialId, stream: 'hwnas', line: `stopped early at epoch ${report.epoch}` });
      if (recording) quietly(() => span?.addEvent('trainer.stopped', { 'hwnas.epoch': report.epoch }));
      controller.abort(`stopped early at epoch ${report.epoch}`);
    };
    // A coordinator's stop order (see stopTrial) stops it as earlyStop would.
    const stopKey = `${searchId}/${trialId}`;
    const stopFromOutside = (epoch: number) => stopAt({ type: 'trial_report', searchId, trialId, epoch, metrics: last?.metrics ?? {} });
    this.stoppers.set(stopKey, stopFromOutside);
    try {
      const trial = { searchId, trialId, space: task.space, dataset: task.dataset, arch: { string: space.format(arch), encoding: [...arch] }, ir, epochs, ...(task.seed !== undefined ? { seed: task.seed } : {}), options: this.opts.options ?? {} };
      const run = await this.launch(trial, span, controller, (msg) => {
        const report: TrialReport = { type: 'trial_report', searchId, trialId, epoch: msg.epoch, metrics: msg.metrics };
        last = report;
        quietly(() => this.opts.onReport?.(report));
        if (this.opts.earlyStop && !stoppedAt && decide(this.opts.earlyStop, report) === 'stop') stopAt(report);
      });
      return run.metrics;
    } catch (err) {
      // Our own early stop (not the caller's signal) ends the evaluation with what it reached.
      if (stoppedAt && err instanceof TrainerCancelledError && !signal?.aborted && !this.stoppedSearches.has(searchId)) return stoppedMetrics(stoppedAt, last);
      throw err;
    } finally {
      if (this.stoppers.get(stopKey) === stopFromOutside) this.stoppers.delete(stopKey);
      signal?.removeEventListener('abort', forward);
    }
  }

  /**
   * Runs one trainer task that is given no architecture (a one-shot search, which derives one):
   * the same trial file, environment, work dir (`workDir(searchId, trialId)`, so a task started
   * again resumes from its checkpoints), logs and span events as {@link evaluate}, with `options`
   * in place of the constructor's. Resolves with the final report, including its `arch`.
   */
  async runTask(task: ArchFreeTrainerTask, onReport?: (msg: TrainerReportMessage) => void, signal?: AbortSignal): Promise<TrainerRun> {
    const span: Span | undefined = trace.getActiveSpan();
    checkEpochs(task.epochs, `task ${task.searchId}.${task.trialId}: epochs`);
    getSpace(task.space);
    const controller = new AbortController();
    const forward = () => controller.abort(signal?.reason);
    if (signal?.aborted) forward();
    signal?.addEventListener('abort', forward, { once: true });
    try {
      return await this.launch({ ...task, options: task.options }, span, controller, (msg) => quietly(() => onReport?.(msg)));
    } finally {
      signal?.removeEventListener('abort', forward);
    }
  }

  /**
   * Throws the error of a stopped search's evaluation when `searchId` was ordered stopped (see
   * {@link stopSearch}); a wrapper calls it before work of its own, such as a device measurement.
   */
  refuseStopped(searchId: string): void {
    if (this.stoppedSearches.has(searchId)) throw new TrainerCancelledError(`trainer run cancelled: ${searchStoppedReason(searchId)}`);
  }

  /** Writes the trial file, runs the trainer in the trial's work dir, reports to the span and log. */
  private async launch(
    t: { searchId: string; trialId: number; space: string; dataset: string; epochs: number; seed?: number; options: Readonly<Record<string, unknown>>; arch?: { string: string; encoding: number[] }; ir?: unknown },
    span: Span | undefined,
    controller: AbortController,
    onReport: (msg: TrainerReportMessage) => void,
  ): Promise<TrainerRun> {
    this.refuseStopped(t.searchId);
    const workDir = this.workDir(t.searchId, t.trialId);
    await mkdir(workDir, { recursive: true });
    const seed = t.seed ?? this.opts.seed ?? 0;
    const trial = {
      contract: TRAINER_CONTRACT,
      searchId: t.searchId,
      trialId: t.trialId,
      space: t.space,
      dataset: t.dataset,
      ...(t.arch ? { arch: t.arch, ir: t.ir } : {}),
      fidelity: { epochs: t.epochs },
      seed,
      workDir,
      options: t.options,
    };
    const trialFile = join(workDir, TRIAL_FILE_NAME);
    // Written whole, then renamed: a trainer never reads half a file.
    await writeFile(`${trialFile}.tmp`, JSON.stringify(trial));
    await rename(`${trialFile}.tmp`, trialFile);

    const sc = span?.spanContext();
    const traceparent = formatTraceparent(sc);
    const tracestate = sc?.traceState?.serialize();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...this.opts.env,
      HWNAS_CONTRACT: TRAINER_CONTRACT,
      HWNAS_TRIAL_FILE: trialFile,
      HWNAS_SEARCH_ID: t.searchId,
      HWNAS_TRIAL_ID: String(t.trialId),
      HWNAS_SPACE: t.space,
      HWNAS_DATASET: t.dataset,
      HWNAS_EPOCHS: String(t.epochs),
      HWNAS_SEED: String(seed),
      HWNAS_WORK_DIR: workDir,
    };
    if (t.arch) env.HWNAS_ARCH = t.arch.string;
    else delete env.HWNAS_ARCH;
    // A parent's trace context must not leak into a trainer that runs outside any trace.
    delete env.TRACEPARENT;
    delete env.TRACESTATE;
    if (traceparent) env.TRACEPARENT = traceparent;
    if (traceparent && tracestate) env.TRACESTATE = tracestate;

    const { searchId, trialId } = t;
    const log = this.opts.log;
    const recording = span?.isRecording() === true;
    // Checked again here, where the run becomes stoppable: an order may have come during the writes above.
    this.refuseStopped(searchId);
    this.running.set(controller, searchId);
    try {
      return await runTrainer({
        argv: this.argv,
        cwd: workDir,
        env,
        ...(this.opts.timeoutMs ? { timeoutMs: this.opts.timeoutMs } : {}),
        ...(this.opts.killGraceMs !== undefined ? { killGraceMs: this.opts.killGraceMs } : {}),
        signal: controller.signal,
        ...(this.opts.onSpawn ? { onSpawn: (pid: number) => this.opts.onSpawn?.(trialId, pid) } : {}),
        ...(log ? { onLog: (stream: 'stdout' | 'stderr', line: string) => log({ searchId, trialId, stream, line }) } : {}),
        onMessage: (msg) => {
          if (msg.type === 'resumed') {
            log?.({ searchId, trialId, stream: 'hwnas', line: `resumed from checkpoint at epoch ${msg.epoch}` });
            if (recording) quietly(() => span?.addEvent('trainer.resumed', { 'hwnas.epoch': msg.epoch }));
            return;
          }
          if (recording) quietly(() => span?.addEvent(EPOCH_EVENT_NAME, { 'hwnas.epoch': msg.epoch, ...metricAttributes(msg.metrics), ...(msg.arch ? { 'hwnas.arch': msg.arch.string } : {}) }));
          onReport(msg);
        },
      });
    } finally {
      this.running.delete(controller);
    }
  }
}

/** An intermediate report of a trainer (with the architecture it names, if any). */
export type TrainerReportMessage = Extract<TrainerMessage, { type: 'report' }>;

/** A trainer task without a given architecture (see {@link ProcessTrainerEvaluator.runTask}). */
export interface ArchFreeTrainerTask {
  readonly searchId: string;
  readonly trialId: number;
  readonly space: string;
  readonly dataset: string;
  /** Epochs to reach (total). */
  readonly epochs: number;
  /** Trainer options of this task (written into the trial file). */
  readonly options: Readonly<Record<string, unknown>>;
  /** The trainer's seed (absent: the evaluator's `seed`). */
  readonly seed?: number;
}

/** Why the evaluations of a stopped search end (in their TrainerCancelledError's message). */
function searchStoppedReason(searchId: string): string {
  return `search ${searchId} was stopped by the coordinator`;
}

/** An early-stopping decision; a rule that throws lets the trial go on (it must never fail an evaluation). */
function decide(rule: (r: TrialReport) => 'continue' | 'stop', report: TrialReport): 'continue' | 'stop' {
  try {
    return rule(report);
  } catch {
    return 'continue';
  }
}

/** The metrics of a trial stopped early: the epoch, and the last report's metrics as `last_<name>`. */
function stoppedMetrics(at: TrialReport, last: TrialReport | undefined): Metrics {
  const out: Record<string, number> = { [STOPPED_EPOCH_METRIC]: at.epoch };
  for (const [k, v] of Object.entries((last ?? at).metrics)) out[`last_${k}`] = v;
  return out;
}

function checkEpochs(epochs: number, what: string): void {
  if (!Number.isInteger(epochs) || epochs < 1) throw new InvalidArgumentError(`${what} must be a positive integer; got ${epochs}`);
}

/** A search id as one safe path segment (ids are generated, but a journal could hold anything). */
function safeSegment(id: string): string {
  const s = id.replace(/[^A-Za-z0-9._-]/g, '_');
  return s === '' || s === '.' || s === '..' ? `_${s}` : s;
}

function quietly(fn: () => void): void {
  try {
    fn();
  } catch {
    // Telemetry and report sinks never fail an evaluation.
  }
}
