import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { archKey, Benchmark, fbnetSpace, nb201Space } from '@hwnas/bench-core';
import { describeWithData } from '@hwnas/bench-core/testing';
import { FittedCostModel, calibrationReferences, loadEvalSpace, spearman } from '@hwnas/cost-model';
import type { CalibrationFile } from '@hwnas/cost-model';
import { runCli } from '../testing';

describe('hwnas calibrate: bad input', () => {
  it.each([
    [['calibrate', '--samples', '10', '--out', 'x.json'], /--device is required/],
    [['calibrate', '--device', 'raspi4', '--out', 'x.json'], /--samples is required/],
    [['calibrate', '--device', 'raspi4', '--samples', 'ten', '--out', 'x.json'], /--samples must be an integer in 1..15625, got "ten"/],
    [['calibrate', '--device', 'raspi4', '--samples', '10'], /--out is required/],
    [['calibrate', '--device', 'raspi4', '--samples', '10', '--out', 'x.json', '--space', 'darts'], /--space must be nb201 or fbnet, got "darts"/],
    [['calibrate', '--device', 'raspi4', '--samples', '6000', '--out', 'x.json', '--space', 'fbnet'], /--samples must be an integer in 1..5000, got "6000"/],
    [['calibrate', '--device', 'raspi4', '--samples', '10', '--out', 'x.json', '--prefix', 'lab'], /--prefix and --bucket go with --nats URL/],
    [['calibrate', '--device', 'raspi4', '--samples', '10', '--nats', 'nats://127.0.0.1:1', '--prefix', 'Lab'], /NATS prefix "Lab" must match/],
  ])('exits 2 with a clear message (%j)', async (argv, message) => {
    const { code, err } = await runCli(argv);
    expect(code).toBe(2);
    expect(err).toMatch(message);
  });
});

describeWithData('hwnas calibrate on a replayed device', (dataDir) => {
  it('measures the ten probe cells on raspi4 (not a known device) and stores a model that ranks its cells', async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'calibrate-')), 'raspi4.json');
    const { code, out: text, err } = await runCli(['calibrate', '--device', 'raspi4', '--samples', '10', '--out', out, '--data', dataDir]);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(text).toMatch(/calibrated raspi4 \(latency_ms\) from 10 measured/);
    const file = JSON.parse(readFileSync(out, 'utf8')) as CalibrationFile;
    expect(file).toMatchObject({ format: 'hwnas-calibration/1', device: 'raspi4', space: 'nb201', predictedMetric: 'latency_ms_pred' });
    const data = loadEvalSpace(dataDir, 'nb201');
    expect(file.measured.map((m) => m.row)).toEqual(data.table.probeIndex);
    const raspi4 = Benchmark.open({ dataDir }).nb201.column('cifar10', 'raspi4_latency');
    for (const m of file.measured) expect(m.value).toBe(raspi4[m.row]);
    const predicted = FittedCostModel.fromJSON(file.model).predictRows(calibrationReferences(data));
    // HELP's probe cells on raspi4 give 0.88 here (MACs alone: 0.87); see docs/benchmarks/cost-models.md.
    expect(spearman(predicted.mean, raspi4)).toBeGreaterThan(0.85);
  });

  it('hwnas search --cost-model: calibrates raspi4, then searches measuring few costs on it, each cost marked measured or predicted (same seed, same search: cost-screen.spec)', async () => {
    const model = path.join(mkdtempSync(path.join(tmpdir(), 'cost-model-')), 'raspi4.json');
    expect((await runCli(['calibrate', '--device', 'raspi4', '--samples', '10', '--out', model, '--data', dataDir])).code).toBe(0);
    const argv = ['search', '--space', 'nb201', '--dataset', 'cifar10', '--strategy', 'random', '--budget', '30', '--mode', 'cost-first', '--constraint', 'raspi4_latency<=15.72'];
    const run = await runCli([...argv, '--cost-model', model, '--data', dataDir, '--history', '--json']);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.out) as {
      best: { arch: string; metrics: Record<string, number> };
      costQueries: number;
      deviceMeasurements: number;
      predictedOnly: number;
      history: { need: string; arch: string; metrics: Record<string, number> }[];
    };
    const truth = Benchmark.open({ dataDir }).nb201;
    // The result is measured on the device (the replayed value), and feasible.
    expect(out.best.metrics.raspi4_latency_measured).toBe(1);
    const row = truth.indexOf(nb201Space.parse(out.best.arch));
    expect(out.best.metrics.raspi4_latency).toBe(truth.column('cifar10', 'raspi4_latency')[row]);
    expect(out.best.metrics.raspi4_latency).toBeLessThanOrEqual(15.72);
    expect(out.deviceMeasurements).toBeLessThan(out.costQueries / 2);
    expect(out.predictedOnly).toBeGreaterThan(0);
    for (const h of out.history) {
      expect([0, 1]).toContain(h.metrics.raspi4_latency_measured);
      expect(h.metrics.raspi4_latency_pred).toBeGreaterThan(0);
    }
  });

  it('FBNet: calibrates raspi4 on ten of the table networks, then screens a search over the whole space (networks outside the table predicted too)', async () => {
    const model = path.join(mkdtempSync(path.join(tmpdir(), 'cost-model-')), 'raspi4-fbnet.json');
    const calibrated = await runCli(['calibrate', '--device', 'raspi4', '--samples', '10', '--space', 'fbnet', '--out', model, '--data', dataDir]);
    expect(calibrated.code).toBe(0);
    expect(calibrated.out).toMatch(/calibrated raspi4 \(latency_ms\) from 10 measured FBNet architectures/);
    expect(JSON.parse(readFileSync(model, 'utf8'))).toMatchObject({ space: 'fbnet', dataset: 'cifar100' });
    // No FBNet accuracy table: an objective without accuracy (the MACs count) needs no proxy.
    const argv = ['search', '--space', 'fbnet', '--dataset', 'cifar100', '--strategy', 'random', '--budget', '30', '--mode', 'cost-first', '--objective', 'flops:max', '--constraint', 'raspi4_latency<=29.875'];
    const run = await runCli([...argv, '--cost-model', model, '--data', dataDir, '--history', '--json']);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.out) as { best: { arch: string; metrics: Record<string, number> }; costQueries: number; deviceMeasurements: number; history: { arch: string; metrics: Record<string, number> }[] };
    const bench = Benchmark.open({ dataDir });
    const latency = (key: string) => bench.metricsOf(fbnetSpace, 'cifar100', fbnetSpace.parse(key)).raspi4_latency;
    expect(out.best.metrics.raspi4_latency_measured).toBe(1);
    expect(out.best.metrics.raspi4_latency).toBeCloseTo(latency(out.best.arch), 9);
    expect(out.best.metrics.raspi4_latency).toBeLessThanOrEqual(29.875);
    expect(out.deviceMeasurements).toBeLessThan(out.costQueries);
    const table = new Set<string>(loadEvalSpace(dataDir, 'fbnet').archs.map((a) => archKey(fbnetSpace, a)));
    const outside = out.history.filter((h) => !table.has(h.arch));
    expect(outside.length).toBeGreaterThan(20);
    for (const h of outside) if (h.metrics.raspi4_latency_measured === 0) expect(Math.abs(h.metrics.raspi4_latency - latency(h.arch)) / latency(h.arch)).toBeLessThan(0.25);
  });
});
