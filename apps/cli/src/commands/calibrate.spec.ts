import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Benchmark } from '@hwnas/bench-core';
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
});
