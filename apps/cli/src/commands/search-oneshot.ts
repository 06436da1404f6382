import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { Benchmark, getSpace, InvalidArgumentError } from '@hwnas/bench-core';
import type { Metrics } from '@hwnas/bench-core';
import { InProcessDevices } from '@hwnas/device-backends';
import { TableTrialEvaluator } from '@hwnas/runtime';
import { parseConstraint, parseObjective } from '@hwnas/search';
import { ProcessTrainerEvaluator, runOneShotSearch } from '@hwnas/trainer-process';
import type { OneShotProgress, OneShotResult } from '@hwnas/trainer-process';
import type { OneShotStrategyName } from '@hwnas/search';
import { intOption, required } from '../args';
import { remoteOptionsFrom } from '../remote/options';
import { fmt } from '../format';

/** Metrics of a progress line, in this order when present. */
const PROGRESS_METRICS = ['train_loss', 'valid_loss', 'valid_accuracy', 'derived_accuracy', 'entropy', 'expected_cost', 'derived_cost'];

/**
 * `hwnas search --strategy darts|na-darts|nas-ood`: one embedded one-shot search (the supernet
 * task run by the trainer command), its progress on stderr, the derived architecture measured
 * by the tables and `--device` backends, and with `--retrain CMD` trained from scratch. With
 * `--coordinator` the search is submitted to a cluster instead: the workers' `--oneshot-trainer`
 * runs the supernet task, the derived architecture is measured on the search's device agents,
 * and `--retrain worker` retrains it on a worker's `--trainer`.
 */
export async function runOneShotCommand(method: OneShotStrategyName, values: Record<string, unknown>, io: { out(t: string): void; err(t: string): void }): Promise<number> {
  for (const flag of ['budget', 'scheduler', 'reward', 'dashboard']) {
    if (values[flag] !== undefined) throw new InvalidArgumentError(`hwnas search: --${flag} does not apply to a one-shot search (--strategy ${method}): it trains one supernet`);
  }
  const space = getSpace(required('search', values, 'space'));
  const dataset = required('search', values, 'dataset');
  const epochs = intOption('search', 'epochs', required('search', values, 'epochs'), 1)!;
  const seed = intOption('search', 'seed', values.seed as string, -2147483648, 4294967295)!;
  const devices = (values.device as string[] | undefined) ?? [];
  const constraints = ((values.constraint as string[] | undefined) ?? []).map(parseConstraint);
  if (constraints.length > 1) throw new InvalidArgumentError(`hwnas search: a one-shot search takes one cost constraint, got ${constraints.length}`);
  // The cost the supernet is made aware of: the constraint's metric, else the first objective that is not an accuracy.
  const costObjective = ((values.objective as string[] | undefined) ?? []).map(parseObjective).find((o) => !/accuracy/.test(o.metric));
  const costMetric = constraints[0]?.metric ?? costObjective?.metric;
  const weightText = values['cost-weight'] as string | undefined;
  const costWeight = weightText === undefined ? undefined : Number(weightText);
  if (costWeight !== undefined && !(Number.isFinite(costWeight) && costWeight >= 0)) throw new InvalidArgumentError(`hwnas search: --cost-weight must be a number >= 0, got "${weightText}"`);
  if (costWeight !== undefined && costMetric === undefined) throw new InvalidArgumentError('hwnas search: --cost-weight needs a cost metric (--constraint METRIC<=X or --objective METRIC)');
  if (values.coordinator !== undefined) {
    const retrain = values.retrain as string | undefined;
    if (values.trainer !== undefined) {
      throw new InvalidArgumentError(`hwnas search: with --coordinator the supernet command lives on the workers (hwnas-worker --trainer CMD --oneshot-trainer CMD); drop --trainer`);
    }
    if (retrain !== undefined && retrain !== 'worker') throw new InvalidArgumentError(`hwnas search: with --coordinator, --retrain takes "worker" (the workers' --trainer retrains), got "${retrain}"`);
    const strategyOptions: Record<string, string> = {
      ...(costMetric !== undefined ? { costMetric, costWeight: String(costWeight ?? 1) } : {}),
      ...(constraints[0] ? { costTarget: String(constraints[0].bound) } : {}),
      ...(retrain !== undefined ? { retrain: 'true' } : {}),
    };
    // Loaded here: gRPC and the API's generated code are only needed for a cluster.
    const { remoteFailure, submitRemoteSearch } = await import('../remote/submit.js');
    const request = {
      space: space.id,
      dataset,
      strategy: method,
      strategyOptions,
      objectives: (values.objective as string[] | undefined) ?? ['accuracy'],
      constraints: (values.constraint as string[] | undefined) ?? [],
      mode: 'joint' as const,
      // The stages: the supernet task, the derived architecture measured, and its retraining if asked.
      budget: retrain !== undefined ? 3 : 2,
      maxInFlight: 1,
      seed,
      accuracySource: 'table' as const,
      devices,
      training: { epochs, scheduler: 'none' as const, eta: 3 },
    };
    const { searchId, search } = await submitRemoteSearch(remoteOptionsFrom(values), request, io, { watch: values.watch as boolean, json: values.json as boolean });
    const failure = search ? remoteFailure(search) : undefined;
    if (failure === undefined) return searchId ? 0 : 1;
    io.err(`hwnas search: the one-shot search failed: ${failure}`);
    return 1;
  }
  const command = required('search', values, 'trainer');
  const timeoutS = intOption('search', 'trainer-timeout', values['trainer-timeout'] as string | undefined, 1);
  const workRoot = path.resolve((values['work-root'] as string | undefined) ?? 'hwnas-work');

  const bench = Benchmark.open({ dataDir: values.data as string | undefined });
  const backends = new InProcessDevices(bench);
  const costs = new TableTrialEvaluator(bench, backends);
  const log = (e: { trialId: number; line: string }) => io.err(`[${e.trialId === 0 ? 'supernet' : 'retrain'}] ${e.line}`);
  const common = { workRoot, epochs, seed, log, ...(timeoutS !== undefined ? { timeoutMs: timeoutS * 1000 } : {}) };
  const trainer = new ProcessTrainerEvaluator({ ...common, command });
  const retrainCommand = values.retrain as string | undefined;
  const retrain = retrainCommand !== undefined ? new ProcessTrainerEvaluator({ ...common, command: retrainCommand }) : undefined;
  const spec = {
    space: space.id,
    dataset,
    method,
    epochs,
    devices,
    ...(costMetric !== undefined ? { costMetric } : {}),
    ...(costWeight !== undefined ? { costWeight } : {}),
    ...(constraints[0] ? { costTarget: constraints[0].bound } : {}),
  };
  // The same search (same command, problem and seed) gets the same work dir: started again, it resumes.
  const searchId = `oneshot-${method}-${createHash('sha256').update(JSON.stringify({ ...spec, epochs: undefined, command, seed })).digest('hex').slice(0, 12)}`;
  const curve: OneShotProgress[] = [];
  const controller = new AbortController();
  const interrupt = () => controller.abort('interrupted');
  process.once('SIGINT', interrupt).once('SIGTERM', interrupt);
  let result: OneShotResult;
  try {
    io.err(`hwnas search: ${method} one-shot search ${searchId}, work dir ${trainer.workDir(searchId, 0)}`);
    result = await runOneShotSearch(
      { ...spec, searchId },
      {
        trainer,
        costs,
        ...(retrain ? { retrain } : {}),
        signal: controller.signal,
        onProgress: (p) => {
          curve.push(p);
          const shown = PROGRESS_METRICS.filter((k) => p.metrics[k] !== undefined).map((k) => `${k} ${fmt(p.metrics[k])}`);
          io.err(`[supernet] epoch ${p.epoch}: ${shown.join(', ')}${p.arch ? `; derived ${p.arch.string}` : ''}`);
        },
      },
    );
  } finally {
    process.off('SIGINT', interrupt).off('SIGTERM', interrupt);
    await backends.close();
  }
  const out = {
    space: space.id,
    dataset,
    strategy: method,
    seed,
    searchId,
    ...(costMetric !== undefined ? { costMetric, costWeight: costWeight ?? 1, ...(constraints[0] ? { costBound: constraints[0].bound } : {}) } : {}),
    arch: result.arch.string,
    encoding: result.arch.encoding,
    measured: result.measured,
    supernet: result.supernet,
    ...(result.retrained ? { retrained: result.retrained } : {}),
    ...(result.resumedFrom !== undefined ? { resumedFrom: result.resumedFrom } : {}),
    ...(values.curves ? { curves: { supernet: curve.map((p) => ({ epoch: p.epoch, ...p.metrics, ...(p.arch ? { arch: p.arch.string } : {}) })) } } : {}),
  };
  io.out(values.json ? JSON.stringify(out) : render(out, costMetric));
  return 0;
}

function render(out: { strategy: string; arch: string; measured: Metrics; supernet: Metrics; retrained?: Metrics; curves?: { supernet: Record<string, unknown>[] } }, costMetric: string | undefined): string {
  const metrics = (m: Metrics) => Object.entries(m).map(([k, v]) => `${k} ${fmt(v)}`).join(', ');
  const lines = [
    `${out.strategy} derived architecture: ${out.arch}`,
    `  measured (tables and devices): ${metrics(out.measured)}`,
    `  supernet: ${metrics(out.supernet)}${costMetric ? ` (expected ${costMetric} by the supernet's cost table)` : ''}`,
  ];
  if (out.retrained) lines.push(`  retrained from scratch: ${metrics(out.retrained)}`);
  if (out.curves) {
    lines.push('', 'supernet curve (epoch: entropy, derived arch):');
    for (const p of out.curves.supernet) lines.push(`  ${String(p.epoch)}: ${fmt(p.entropy as number)} ${String(p.arch ?? '')}`);
  }
  return lines.join('\n');
}
