import { Benchmark, costMetricInfo, nb201Space, Rng } from '@hwnas/bench-core';
import { describeWithData } from '@hwnas/bench-core/testing';
import type { EvalTask } from './ports/task-queue';
import { SearchRun } from './search-run';
import { screenOfCostModels } from './search-screening';
import { ratioCostModels } from './testing/ratio-cost-models';
import { normalizeSearchSpec } from './search-spec';
import { createTableSearchFactory, TableTrialEvaluator } from './tabular';

const BOUND = 15.7228;
const SPEC = {
  space: 'nb201',
  dataset: 'cifar10',
  strategy: 'random',
  budget: 25,
  seed: 3,
  mode: 'cost-first',
  maxInFlight: 4,
  objectives: ['accuracy'],
  constraints: [`raspi4_latency<=${BOUND}`],
  devices: ['raspi4'],
  costModel: { device: 'raspi4', z: 2 },
};

describe('search spec: costModel', () => {
  const base = { space: 'nb201', dataset: 'cifar10', strategy: 'random', budget: 4, seed: 7, mode: 'cost-first', devices: ['raspi4'] };
  it('normalizeSearchSpec - costModel is checked field by field', () => {
    expect(normalizeSearchSpec({ ...base, costModel: { device: 'raspi4', z: 2, bucket: 'b', conformal: 0.9 } }).costModel).toEqual({ device: 'raspi4', z: 2, bucket: 'b', conformal: 0.9 });
    expect(() => normalizeSearchSpec({ ...base, costModel: { device: 'raspi4', z: 0 } })).toThrow('costModel.z: must be > 0 (or 0 with costModel.conformal), got 0');
    expect(normalizeSearchSpec({ ...base, costModel: { device: 'raspi4', z: 0, conformal: 0.95 } }).costModel?.z).toBe(0);
    expect(() => normalizeSearchSpec({ ...base, costModel: { device: 'raspi4', z: 2, conformal: 1 } })).toThrow('costModel.conformal: must be a coverage level in (0, 1), got 1');
    expect(() => normalizeSearchSpec({ ...base, costModel: { z: 2 } })).toThrow('costModel.device: is required');
    expect(() => normalizeSearchSpec({ ...base, costModel: { device: 'pixel3', z: 2 } })).toThrow(/^costModel\.device: "pixel3" must also be one of devices \(raspi4\)/);
    expect(() => normalizeSearchSpec({ ...base, mode: 'joint', costModel: { device: 'raspi4', z: 2 } })).toThrow('costModel: screens cost queries: it needs mode cost-first, not joint');
  });
});

describeWithData('RunScreening', (dataDir) => {
  const bench = Benchmark.open({ dataDir });
  const tables = bench.nb201;
  const raspi4 = tables.column('cifar10', 'raspi4_latency');
  const rowOf = (arch: string) => tables.indexOf(nb201Space.parse(arch));
  const factory = createTableSearchFactory(bench, { metrics: () => [costMetricInfo('raspi4_latency')] });

  /** Runs the search to its end, answering its tasks as a worker would, in FIFO or shuffled order. */
  async function drive(order: 'fifo' | 'shuffled', device = (row: number) => raspi4[row]) {
    const spec = normalizeSearchSpec(SPEC);
    const costModels = ratioCostModels(bench, { device: 'raspi4', metric: 'raspi4_latency', reference: 'pixel3_latency', ratio: 2.4 });
    const setup = factory.setup(spec);
    const run = new SearchRun('s', spec, setup, screenOfCostModels(costModels)(await costModels.load(spec.costModel!, spec), spec, setup));
    let deviceCalls = 0;
    const evaluator = new TableTrialEvaluator(bench, {
      measure: async (_d, req) => {
        deviceCalls++;
        return { raspi4_latency: device(rowOf(req.arch)) };
      },
    });
    const rng = new Rng(11);
    const queue: EvalTask[] = [...run.start(0).dispatch];
    const decisions = run.takeScreenDecisions();
    while (queue.length) {
      const [t] = queue.splice(order === 'fifo' ? 0 : Math.floor(rng.next() * queue.length), 1);
      const metrics = await evaluator.evaluate(t);
      queue.push(...run.accept({ taskId: t.taskId, status: 'ok', metrics }).dispatch);
      decisions.push(...run.takeScreenDecisions());
    }
    return { run, deviceCalls, decisions };
  }

  it('RunScreening - the same decisions and result whatever order results arrive in; the best is measured; predictions are marked', async () => {
    const fifo = await drive('fifo');
    const shuffled = await drive('shuffled');
    expect(fifo.run.finished).toBe(true);
    expect(shuffled.run.trials().map((t) => [t.key, t.metrics])).toEqual(fifo.run.trials().map((t) => [t.key, t.metrics]));
    expect(shuffled.decisions.map((d) => [d.decision, d.mean]).sort()).toEqual(fifo.decisions.map((d) => [d.decision, d.mean]).sort());

    const { run, deviceCalls } = fifo;
    const best = run.best()!;
    expect(best.metrics!.raspi4_latency_measured).toBe(1);
    expect(best.metrics!.raspi4_latency).toBe(raspi4[rowOf(best.key)]);
    const predicted = run.trials().filter((t) => t.metrics?.raspi4_latency_measured === 0);
    expect(predicted.length).toBeGreaterThan(0);
    for (const t of predicted) expect(t.metrics!.raspi4_latency).toBe(t.metrics!.raspi4_latency_pred);
    for (const t of run.trials().filter((x) => x.metrics?.raspi4_latency_measured === 1)) expect(t.metrics!.raspi4_latency).toBe(raspi4[rowOf(t.key)]);
    // Far fewer device measurements than cost queries.
    expect(deviceCalls).toBeLessThan(run.counts.costQueries / 2);
    expect(run.screening!.counts.measured).toBeGreaterThan(0);
  });

  it('RunScreening - a device that returns no positive cost fails the trial, naming the device and the value; the run goes on', async () => {
    const { run } = await drive('fifo', () => 0);
    expect(run.finished).toBe(true);
    const failed = run.trials().filter((t) => t.status === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0].error?.message).toBe('device raspi4 returned "raspi4_latency" = 0, not a positive number');
  });

  it('RunScreening - a predicted full evaluation that could become the best is held and verified on the device', async () => {
    const { run, decisions } = await drive('fifo');
    const verified = decisions.filter((d) => d.decision === 'verify');
    expect(verified.length).toBeGreaterThan(0);
    for (const v of verified) {
      const trialId = Number(v.taskId.split('.')[1].split('/')[0]);
      const told = run.trials().find((t) => t.trialId === trialId)!;
      expect(told.metrics!.raspi4_latency_measured).toBe(1);
    }
  });
});
