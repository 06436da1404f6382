import { execFileSync, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describeWithData } from '@hwnas/bench-core/testing';
import { runCli } from '../testing';

const BEST_C10 = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|';

describeWithData('hwnas query', (dataDir) => {
  it('hwnas query - prints the CLI contract fields for an nb201 index', async () => {
    const { code, out } = await runCli(['query', '--space', 'nb201', '--dataset', 'cifar10', '--index', '6111', '--data', dataDir, '--json']);
    expect(code).toBe(0);
    const q = JSON.parse(out);
    expect(q).toMatchObject({ index: 6111, arch: BEST_C10 });
    expect(q.accuracy.test).toBeCloseTo(94.37, 2);
    expect(Object.keys(q.costs).sort()).toEqual(['pixel3_latency', 'raspi4_latency']);
    expect(q.flops).toBeCloseTo(153.27, 1);
    expect(q.params).toBeGreaterThan(1);
  });

  it('hwnas query - takes an nb201 arch string and an fbnet index array or name list', async () => {
    const byArch = JSON.parse((await runCli(['query', '--space', 'nb201', '--dataset', 'cifar100', '--arch', BEST_C10, '--data', dataDir, '--json'])).out);
    expect(byArch.index).toBe(6111);
    expect(byArch.accuracy.valid).toBeDefined();
    const fbIdx = JSON.parse((await runCli(['query', '--space', 'fbnet', '--dataset', 'cifar100', '--arch', JSON.stringify(new Array(22).fill(0)), '--data', dataDir, '--json'])).out);
    expect(fbIdx.costs.edgegpu_latency).toBe(15.804523468017578);
    const fbNames = JSON.parse((await runCli(['query', '--space', 'fbnet', '--dataset', 'cifar100', '--arch', new Array(22).fill('k3_e1').join(','), '--data', dataDir, '--json'])).out);
    expect(fbNames).toEqual(fbIdx);
  });

  it('hwnas query - prints a readable table without --json', async () => {
    const { code, out } = await runCli(['query', '--space', 'nb201', '--dataset', 'cifar10', '--index', '0', '--data', dataDir]);
    expect(code).toBe(0);
    expect(out).toMatch(/raspi4_latency \(ms\)\s+10\.48/);
    expect(out).toMatch(/flops \(M MACs\)/);
  });

  it.each([
    [['--space', 'nb201', '--dataset', 'cifar10', '--arch', '|foo~0|+|a~0|b~1|+|c~0|d~1|e~2|'], /unknown operation "foo" on edge 0->1/],
    [['--space', 'nb201', '--dataset', 'cifar10', '--arch', '|nor_conv_3x3~0|'], /expected 3 node groups/],
    [['--space', 'fbnet', '--dataset', 'ImageNet', '--arch', '[1,2,3]'], /must have 22 decisions, got 3/],
    [['--space', 'nb201', '--dataset', 'imagenet', '--index', '1'], /unknown dataset "imagenet" for search space nb201/],
    [['--space', 'darts', '--dataset', 'cifar10', '--index', '1'], /unknown search space "darts"; known spaces: nb201, fbnet/],
    [['--space', 'nb201', '--dataset', 'cifar10', '--index', '15625'], /--index must be an integer in 0..15624, got "15625"/],
    [['--space', 'nb201', '--dataset', 'cifar10'], /give exactly one of --arch ARCH or --index N/],
    [['--space', 'nb201', '--dataset', 'cifar10', '--index', '1', '--bogus'], /Unknown option '--bogus'/],
  ])('hwnas query - bad input %j exits 2 with a clear error', async (args, message) => {
    const { code, err, out } = await runCli(['query', ...args, '--data', dataDir]);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(message);
  });

  it('hwnas query - a missing data directory exits 1 naming it', async () => {
    const { code, err } = await runCli(['query', '--space', 'nb201', '--dataset', 'cifar10', '--index', '1', '--data', '/nonexistent/hwnas-data']);
    expect(code).toBe(1);
    expect(err).toMatch(/\/nonexistent\/hwnas-data: benchmark data directory does not exist/);
  });

  it('hwnas query - works as `npx hwnas` from the repository root, errors on stderr', () => {
    const root = path.resolve(__dirname, '../../../..');
    const out = execFileSync('npx', ['--no-install', 'hwnas', 'query', '--space', 'nb201', '--dataset', 'cifar10', '--index', '0', '--json'], {
      cwd: root,
      env: { ...process.env, HWNAS_DATA: dataDir },
      encoding: 'utf8',
    });
    expect(JSON.parse(out).index).toBe(0);
    const bad = spawnSync('npx', ['--no-install', 'hwnas', 'query', '--space', 'nb201', '--dataset', 'cifar10', '--arch', 'x'], { cwd: root, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/hwnas query: error: malformed nb201 arch string "x"/);
  });
});
