import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getSpace, isNasError } from '@hwnas/bench-core';
import type { Metrics } from '@hwnas/bench-core';
import type { EvalTask, TrialEvaluator, TrialReport } from '@hwnas/runtime';
import { OneShotTaskEvaluator, RESUMED_FROM_METRIC } from './oneshot-task';
import { ProcessTrainerEvaluator } from './trainer-evaluator';

/**
 * A one-shot trainer in a few lines of node: per epoch a report naming the derived cell
 * (`|nor_conv_3x3~0|+...`, encoding [3, 3, 3, 3, 3, 3]) and a checkpoint; resumes from it; echoes
 * the trial options it was given (method, cost table) into options.json.
 */
const FAKE_ONE_SHOT = `
const fs = require('node:fs');
const trial = JSON.parse(fs.readFileSync(process.env.HWNAS_TRIAL_FILE, 'utf8'));
fs.writeFileSync('options.json', JSON.stringify({ options: trial.options, seed: trial.seed }));
const out = (o) => process.stdout.write(JSON.stringify({ hwnas: o.type, ...o, type: undefined }) + '\\n');
const arch = { string: '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|', encoding: [3, 3, 3, 3, 3, 3] };
let start = 0;
if (fs.existsSync('ckpt')) { start = Number(fs.readFileSync('ckpt', 'utf8')); out({ type: 'resumed', epoch: start }); }
const epochs = Number(process.env.HWNAS_EPOCHS);
for (let e = start + 1; e <= epochs; e++) { out({ type: 'report', epoch: e, metrics: { train_loss: 1 / e, entropy: 1.6 - e / 10 }, arch }); fs.writeFileSync('ckpt', String(e)); }
out({ type: 'final', epoch: epochs, metrics: { accuracy: 42, entropy: 1.2 }, arch });
`;

class Recording implements TrialEvaluator {
  readonly seen: EvalTask[] = [];
  constructor(private readonly metrics: Metrics) {}
  evaluate(task: EvalTask): Metrics {
    this.seen.push(task);
    return task.need === 'costs' ? { sim_latency: getSpace('nb201').parse(task.arch).reduce((s, v) => s + v, 1) } : this.metrics;
  }
}

describe('OneShotTaskEvaluator', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'hwnas-oneshot-task-'));
    writeFileSync(join(root, 'one-shot.js'), FAKE_ONE_SHOT);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const base: EvalTask = {
    taskId: 's.0',
    searchId: 's',
    trialId: 0,
    space: 'nb201',
    dataset: 'cifar10',
    arch: getSpace('nb201').format([0, 0, 0, 0, 0, 0]),
    need: 'full',
    metrics: [],
    accuracySource: 'table',
    devices: ['sim'],
    fidelity: { epochs: 3 },
    seed: 5,
  };

  it('OneShotTaskEvaluator - a supernet task runs the one-shot trainer with the cost table, reports each epoch with the derived arch, resumes from its checkpoint', async () => {
    const reports: TrialReport[] = [];
    const costs = new Recording({ accuracy: 70 });
    const supernet = new ProcessTrainerEvaluator({ command: `${process.execPath} ${join(root, 'one-shot.js')}`, workRoot: join(root, 'work'), epochs: 1 });
    const ev = new OneShotTaskEvaluator({ supernet, costs, other: new Recording({}), onReport: (r) => reports.push(r) });
    const task: EvalTask = { ...base, oneShot: { stage: 'supernet', method: 'na-darts', costMetric: 'sim_latency', costWeight: 0.5 } };
    const first = await ev.evaluate(task);
    expect(first).toEqual({ supernet_accuracy: 42, supernet_entropy: 1.2, derived_decision_0: 3, derived_decision_1: 3, derived_decision_2: 3, derived_decision_3: 3, derived_decision_4: 3, derived_decision_5: 3 });
    expect(reports.map((r) => [r.trialId, r.epoch, r.metrics.derived_decision_5])).toEqual([[0, 1, 3], [0, 2, 3], [0, 3, 3]]);
    // The cost table came from cost queries on the task's devices: sum of options, so each choice costs its option index.
    const given = JSON.parse(readFileSync(join(supernet.workDir('s', 0), 'options.json'), 'utf8'));
    expect(given).toEqual({ seed: 5, options: { method: 'na-darts', costWeight: 0.5, costTable: [0, 1, 2, 3, 4, 5].map(() => [0, 1, 2, 3, 4]) } });
    expect(costs.seen.every((t) => t.need === 'costs' && t.devices[0] === 'sim')).toBe(true);
    // Retried (here or on another worker sharing the work root): it resumes from the checkpoint.
    const again = await ev.evaluate({ ...task, fidelity: { epochs: 4 } });
    expect(again[RESUMED_FROM_METRIC]).toBe(3);
    expect(reports.at(-1)?.epoch).toBe(4);
  });

  it('OneShotTaskEvaluator - measure goes to the costs as a full evaluation, retrain to the retrain evaluator, other tasks to the other; missing parts are refused', async () => {
    const costs = new Recording({ accuracy: 70, sim_latency: 3 });
    const retrain = new Recording({ accuracy: 60 });
    const other = new Recording({ accuracy: 50 });
    const ev = new OneShotTaskEvaluator({ costs, retrain, other });
    expect(await ev.evaluate({ ...base, taskId: 's.1', trialId: 1, oneShot: { stage: 'measure', method: 'darts' } })).toEqual({ accuracy: 70, sim_latency: 3 });
    expect(await ev.evaluate({ ...base, taskId: 's.2', trialId: 2, oneShot: { stage: 'retrain', method: 'darts' } })).toEqual({ accuracy: 60 });
    expect(await ev.evaluate(base)).toEqual({ accuracy: 50 });
    expect([costs.seen.length, retrain.seen.length, other.seen.length]).toEqual([1, 1, 1]);
    const refused = await Promise.resolve()
      .then(() => ev.evaluate({ ...base, oneShot: { stage: 'supernet', method: 'darts' } }))
      .catch((e: unknown) => e);
    expect(isNasError(refused) && refused.code === 'failed_precondition' && !refused.retryable).toBe(true);
    expect((refused as Error).message).toMatch(/needs a worker with a one-shot trainer \(--oneshot-trainer\)/);
    const noRetrain = new OneShotTaskEvaluator({ costs, other });
    expect(() => noRetrain.evaluate({ ...base, oneShot: { stage: 'retrain', method: 'darts' } })).toThrow(/needs a worker with a trainer \(--trainer\)/);
  });
});
