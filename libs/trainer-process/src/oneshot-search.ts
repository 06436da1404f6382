import type { Arch, Metrics } from '@hwnas/bench-core';
import { decisionCostTable, getSpace, InvalidArgumentError } from '@hwnas/bench-core';
import type { EvalTask, TrialEvaluator } from '@hwnas/runtime';
import { isOneShotStrategyName, ONE_SHOT_STRATEGY_NAMES } from '@hwnas/search';
import type { OneShotStrategyName } from '@hwnas/search';
import type { TrainerArch } from './protocol';
import type { ProcessTrainerEvaluator } from './trainer-evaluator';

/** Trial id of the supernet search task and of the derived architecture's retraining. */
export const ONE_SHOT_SEARCH_TRIAL = 0;
export const ONE_SHOT_RETRAIN_TRIAL = 1;

/** What one one-shot search is. */
export interface OneShotSearchSpec {
  readonly searchId: string;
  readonly space: string;
  readonly dataset: string;
  readonly method: OneShotStrategyName;
  /** Supernet training epochs. */
  readonly epochs: number;
  /** Device backends whose measurements join the derived architecture's (and may give the cost metric). */
  readonly devices: readonly string[];
  /**
   * The hardware cost the supernet is made aware of (a table column such as `raspi4_latency` or a
   * device backend's metric such as `eyeriss_latency`); absent: a plain accuracy search.
   */
  readonly costMetric?: string;
  /** Weight of the cost term (the trainer's `costWeight`); default 1 when a cost metric is given. */
  readonly costWeight?: number;
  /** A bound on the cost (from a constraint): the term becomes a soft constraint (`costTarget`). */
  readonly costTarget?: number;
  /** Further trainer options (e.g. `alphaLr`), passed as they are. */
  readonly options?: Readonly<Record<string, unknown>>;
  /** The trainer's seed (absent: the trainer evaluator's default). */
  readonly seed?: number;
}

/** One progress report of the supernet search (per epoch). */
export interface OneShotProgress {
  readonly epoch: number;
  /** Losses, entropy, expected and derived cost, accuracies: what the trainer reports. */
  readonly metrics: Metrics;
  /** The architecture derived at this epoch (argmax per decision). */
  readonly arch?: TrainerArch;
}

/** The outcome of a one-shot search. Treat as frozen. */
export interface OneShotResult {
  /** The derived architecture (canonical string of the space, and its encoding). */
  readonly arch: TrainerArch;
  /** The supernet's final report (its accuracy of the derived arch, entropy, expected cost). */
  readonly supernet: Metrics;
  /** The derived architecture measured like any evaluation: tables and the search's device backends. */
  readonly measured: Metrics;
  /** The derived architecture trained from scratch by the retrain evaluator, if one was given. */
  readonly retrained?: Metrics;
  /** The per-decision cost table handed to the trainer, if the search is hardware-aware. */
  readonly costTable?: readonly (readonly number[])[];
  /** The epoch the supernet task resumed from (its checkpoint), if it did. */
  readonly resumedFrom?: number;
}

/** The parts a one-shot search runs on. */
export interface OneShotParts {
  /** Runs the supernet task (its command is the one-shot trainer, e.g. `oneshot/search.py`). */
  readonly trainer: ProcessTrainerEvaluator;
  /** Measures architectures: the tables and device backends (e.g. TableTrialEvaluator with devices). */
  readonly costs: TrialEvaluator;
  /** Trains the derived architecture from scratch (an ordinary trainer evaluator, e.g. `train.py`). */
  readonly retrain?: TrialEvaluator;
  /** Every progress report, in order. Must not throw. */
  readonly onProgress?: (p: OneShotProgress) => void;
  readonly signal?: AbortSignal;
}

/**
 * The cost of every single choice of a space, as `[decision][option]`, by difference from the
 * all-first-options architecture (`decisionCostTable`), each architecture measured by `costs`
 * (a cost query for `metric` on `devices`): HW-NAS-Bench columns and the FBNet lookup table come
 * from the tables, simulator metrics from the device backends.
 */
export async function oneShotCostTable(
  costs: TrialEvaluator,
  req: { readonly searchId: string; readonly space: string; readonly dataset: string; readonly metric: string; readonly devices: readonly string[] },
  signal?: AbortSignal,
): Promise<number[][]> {
  const space = getSpace(req.space);
  const base: Arch = space.decisions.map(() => 0);
  const archs: Arch[] = [base];
  space.decisions.forEach((d, i) => {
    for (let c = 1; c < d.options.length; c++) archs.push(base.map((v, j) => (j === i ? c : v)));
  });
  const measured = new Map<string, number>();
  for (const arch of archs) {
    const text = space.format(arch);
    const task: EvalTask = {
      taskId: `${req.searchId}.cost`,
      searchId: req.searchId,
      trialId: ONE_SHOT_SEARCH_TRIAL,
      space: req.space,
      dataset: req.dataset,
      arch: text,
      need: 'costs',
      metrics: [req.metric],
      accuracySource: 'table',
      devices: req.devices,
    };
    const v = (await costs.evaluate(task, signal))[req.metric];
    if (v === undefined) {
      throw new InvalidArgumentError(
        `one-shot search: cost metric "${req.metric}" is neither in the tables of ${req.space} ${req.dataset} nor measured by the devices [${req.devices.join(', ')}]`,
      );
    }
    measured.set(text, v);
  }
  return decisionCostTable(space, base, (arch) => measured.get(space.format(arch))!);
}

/** What the supernet stage of a one-shot search gives back. Treat as frozen. */
export interface SupernetStageResult {
  /** The derived architecture (canonical string of the space, and its encoding). */
  readonly arch: TrainerArch;
  /** The supernet's final report (its accuracy of the derived arch, entropy, expected cost). */
  readonly supernet: Metrics;
  /** The per-decision cost table handed to the trainer, if the search is hardware-aware. */
  readonly costTable?: readonly (readonly number[])[];
  /** The epoch the supernet task resumed from (its checkpoint), if it did. */
  readonly resumedFrom?: number;
}

/**
 * The supernet stage of a one-shot search, shared by the embedded search and a worker's one-shot
 * task: (1) the cost table of `costMetric` (if any) measured by `costs`, (2) the supernet search
 * as one trainer task (options `method`, `costTable`, `costWeight`, `costTarget`), whose
 * per-epoch reports go to `onProgress`, (3) the derived architecture checked against the space.
 * The task's work dir is stable per search id, so a task started again after its trainer was
 * killed (here or on another worker sharing the work root) resumes from the supernet checkpoint.
 * Throws {@link InvalidArgumentError} for bad settings (before running anything) or a trainer
 * whose final report names no valid architecture.
 */
export async function runSupernetStage(spec: OneShotSearchSpec, parts: Omit<OneShotParts, 'retrain'>): Promise<SupernetStageResult> {
  if (!isOneShotStrategyName(spec.method)) throw new InvalidArgumentError(`one-shot search: method "${spec.method}" is not one of ${ONE_SHOT_STRATEGY_NAMES.join(', ')}`);
  if (spec.costWeight !== undefined && !(Number.isFinite(spec.costWeight) && spec.costWeight >= 0)) {
    throw new InvalidArgumentError(`one-shot search: cost weight must be a finite number >= 0; got ${spec.costWeight}`);
  }
  if (spec.costTarget !== undefined && !(Number.isFinite(spec.costTarget) && spec.costTarget > 0)) {
    throw new InvalidArgumentError(`one-shot search: cost bound must be a positive number; got ${spec.costTarget}`);
  }
  if (spec.costMetric === undefined && (spec.costWeight !== undefined || spec.costTarget !== undefined)) {
    throw new InvalidArgumentError('one-shot search: a cost weight or bound needs a cost metric');
  }
  const space = getSpace(spec.space);
  const costTable = spec.costMetric
    ? await oneShotCostTable(parts.costs, { searchId: spec.searchId, space: spec.space, dataset: spec.dataset, metric: spec.costMetric, devices: spec.devices }, parts.signal)
    : undefined;
  const options: Record<string, unknown> = {
    ...spec.options,
    method: spec.method,
    ...(costTable ? { costTable, costWeight: spec.costWeight ?? 1 } : {}),
    ...(spec.costTarget !== undefined ? { costTarget: spec.costTarget } : {}),
  };
  const run = await parts.trainer.runTask(
    { searchId: spec.searchId, trialId: ONE_SHOT_SEARCH_TRIAL, space: spec.space, dataset: spec.dataset, epochs: spec.epochs, options, ...(spec.seed !== undefined ? { seed: spec.seed } : {}) },
    (msg) => parts.onProgress?.({ epoch: msg.epoch, metrics: msg.metrics, ...(msg.arch ? { arch: msg.arch } : {}) }),
    parts.signal,
  );
  if (!run.arch) throw new InvalidArgumentError('one-shot search: the trainer\'s final report names no architecture ("arch"); is the command a one-shot trainer (oneshot/search.py)?');
  // The trainer's string is checked against the space: what is measured is what was derived.
  const derived = space.parse(run.arch.string);
  if (derived.some((v, i) => v !== run.arch!.encoding[i]) || derived.length !== run.arch.encoding.length) {
    throw new InvalidArgumentError(`one-shot search: the trainer's arch string ${run.arch.string} does not match its encoding [${run.arch.encoding.join(', ')}]`);
  }
  return {
    arch: { string: space.format(derived), encoding: derived },
    supernet: run.metrics,
    ...(costTable ? { costTable } : {}),
    ...(run.resumedFrom !== undefined ? { resumedFrom: run.resumedFrom } : {}),
  };
}

/**
 * Runs a one-shot search embedded: the supernet stage ({@link runSupernetStage}), then the derived
 * architecture measured by `costs` on the search's devices (not the supernet's estimate), then,
 * if a retrain evaluator is given, the derived architecture trained from scratch. Started again
 * after its trainer was killed, the search resumes from the supernet checkpoint.
 */
export async function runOneShotSearch(spec: OneShotSearchSpec, parts: OneShotParts): Promise<OneShotResult> {
  const stage = await runSupernetStage(spec, parts);
  const task = (trialId: number): EvalTask => ({
    taskId: `${spec.searchId}.${trialId}`,
    searchId: spec.searchId,
    trialId,
    space: spec.space,
    dataset: spec.dataset,
    arch: stage.arch.string,
    need: 'full',
    metrics: [],
    accuracySource: 'table',
    devices: spec.devices,
  });
  const measured = await parts.costs.evaluate(task(ONE_SHOT_SEARCH_TRIAL), parts.signal);
  const retrained = parts.retrain ? await parts.retrain.evaluate(task(ONE_SHOT_RETRAIN_TRIAL), parts.signal) : undefined;
  return { ...stage, measured, ...(retrained ? { retrained } : {}) };
}
