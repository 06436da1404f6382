import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describeWithData } from '@hwnas/bench-core/testing';
import { runCli } from '../testing';
import { GENERATED_END } from './cost-model';

describe('hwnas cost-model: bad input', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cost-model-cli-'));
  const badFile = path.join(dir, 'bad.json');
  writeFileSync(badFile, JSON.stringify({ devices: { mine: { values: [1, 2, 3] } } }));

  it.each([
    [['cost-model'], /expected the subcommand "eval", got none/],
    [['cost-model', 'fit'], /expected the subcommand "eval", got "fit"/],
    [['cost-model', 'eval', '--space', 'imagenet'], /--space must be nb201, fbnet or both, got "imagenet"/],
    [['cost-model', 'eval', '--latency-file', badFile], /--latency-file needs --space nb201 or --space fbnet/],
    [['cost-model', 'eval', '--samples', '10,x'], /--samples must be an integer/],
    [['cost-model', 'eval', '--seeds', '0'], /--seeds must be an integer in 1..1000/],
    [['cost-model', 'eval', '--bogus'], /Unknown option '--bogus'/],
  ])('exits 2 with a clear message (%j)', async (argv, message) => {
    const { code, err } = await runCli(argv);
    expect(code).toBe(2);
    expect(err).toMatch(message);
  });
});

describeWithData('hwnas cost-model eval on the data', (dataDir) => {
  it('exits 2 for a latency file of the wrong shape, naming the file and the problem', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cost-model-cli-'));
    const file = path.join(dir, 'short.json');
    writeFileSync(file, JSON.stringify({ devices: { mine: { values: [1, 2, 3] } } }));
    const { code, err } = await runCli(['cost-model', 'eval', '--space', 'nb201', '--latency-file', file, '--data', dataDir]);
    expect(code).toBe(2);
    expect(err).toContain(file);
    expect(err).toMatch(/values has 3 entries, expected 15625/);
  });

  it('exits 2 for an unknown held-out device', async () => {
    const { code, err } = await runCli(['cost-model', 'eval', '--space', 'fbnet', '--device', 'nope', '--samples', '5', '--seeds', '1', '--data', dataDir]);
    expect(code).toBe(2);
    expect(err).toMatch(/unknown device "nope"; the fbnet table has 1080ti_1/);
  });

  it('--out rewrites the generated part of an existing report and keeps what follows its end marker', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cost-model-cli-'));
    const prefix = path.join(dir, 'report');
    const args = ['cost-model', 'eval', '--space', 'fbnet', '--device', 'pixel3', '--samples', '5', '--seeds', '1', '--data', dataDir, '--out', prefix];
    expect((await runCli(args)).code).toBe(0);
    const first = readFileSync(`${prefix}.md`, 'utf8');
    expect(first).toContain(GENERATED_END);
    writeFileSync(`${prefix}.md`, `stale generated text\n${GENERATED_END}\n\n## Written by hand\n\nkept\n`);
    expect((await runCli(args)).code).toBe(0);
    const second = readFileSync(`${prefix}.md`, 'utf8');
    expect(second).not.toContain('stale generated text');
    expect(second).toMatch(/^Produced by `hwnas cost-model eval/);
    expect(second.endsWith(`${GENERATED_END}\n\n## Written by hand\n\nkept\n`)).toBe(true);
  });
});
