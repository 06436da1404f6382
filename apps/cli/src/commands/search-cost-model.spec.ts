import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runCli } from '../testing';

describe('hwnas search --cost-model: bad input', () => {
  it('refuses a file that is not a calibration, saying what is wrong', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'cost-model-')), 'bad.json');
    writeFileSync(file, JSON.stringify({ format: 'hwnas-calibration/1', device: 'raspi4', space: 'nb201', dataset: 'cifar10', metric: 'latency_ms', predictedMetric: 'latency_ms_pred', measured: [] }));
    const { code, err } = await runCli(['search', '--space', 'nb201', '--dataset', 'cifar10', '--strategy', 'random', '--budget', '5', '--mode', 'cost-first', '--constraint', 'raspi4_latency<=15', '--cost-model', file]);
    expect(code).toBe(2);
    expect(err).toMatch(/calibration bad.json: "measured" must be a non-empty array/);
  });

  it('needs cost-first mode', async () => {
    const { code, err } = await runCli(['search', '--space', 'nb201', '--dataset', 'cifar10', '--strategy', 'random', '--budget', '5', '--cost-model', 'x.json']);
    expect(code).toBe(2);
    expect(err).toMatch(/--cost-model needs --mode cost-first/);
  });

  it.each([
    [['--nats', 'nats://127.0.0.1:4222'], /--nats and --bucket go with --cost-model ID/],
    [['--cost-model', 'raspi4', '--bucket', 'models'], /--bucket needs --nats/],
    [['--cost-model', 'raspi4', '--prefix', 'lab'], /--prefix goes with --cost-model ID --nats URL/],
    [['--cost-model', 'raspi4.json', '--screen-conformal', '1.5'], /--screen-conformal must be a coverage level between 0 and 1 \(e.g. 0.95\), got "1.5"/],
  ])('refuses misplaced NATS flags and a bad conformal level (%j)', async (extra, message) => {
    const { code, err } = await runCli(['search', '--space', 'nb201', '--dataset', 'cifar10', '--strategy', 'random', '--budget', '5', '--mode', 'cost-first', ...extra]);
    expect(code).toBe(2);
    expect(err).toMatch(message);
  });
});

// The search on a replayed device is in calibrate.spec.ts: it shares that file's references (built once per test file, most of its time).
