import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describeWithData } from '@hwnas/bench-core/testing';
import { runCli } from '../testing';

const BEST_C10 = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|';
const lines = (out: string) => out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describeWithData('hwnas measure', (dataDir) => {
  const reference = JSON.parse(readFileSync(path.join(dataDir, 'hw-nas-bench', 'reference-values.json'), 'utf8'));

  it('hwnas measure - --index takes a list and prints one JSON line per architecture with the contract fields', async () => {
    const { code, out } = await runCli(['measure', '--device', 'asic-eyeriss', '--space', 'nb201', '--dataset', 'cifar10', '--index', '6111,0,42', '--data', dataDir, '--json']);
    expect(code).toBe(0);
    const rows = lines(out);
    expect(rows.map((r) => r.index)).toEqual([6111, 0, 42]);
    expect(rows[0]).toMatchObject({ device: 'asic-eyeriss', space: 'nb201', dataset: 'cifar10', index: 6111, arch: BEST_C10, kind: 'simulated' });
    for (const r of rows) {
      expect(r.latency_ms).toBeGreaterThan(0);
      expect(r.energy_mj).toBeGreaterThan(0);
    }
  });

  it('hwnas measure - --all runs every nb201 architecture through a simulator', () => {
    // As a real process: under Jest's sandbox the simulator runs several times slower.
    const out = execFileSync('npx', ['--no-install', 'hwnas', 'measure', '--device', 'fpga-zc706', '--space', 'nb201', '--dataset', 'cifar10', '--all', '--json'], {
      cwd: path.resolve(__dirname, '../../../..'),
      env: { ...process.env, HWNAS_DATA: dataDir },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const rows = lines(out);
    expect(rows).toHaveLength(15625);
    expect(rows.map((r) => r.index)).toEqual(Array.from({ length: 15625 }, (_, i) => i));
    expect(new Set(rows.map((r) => r.arch)).size).toBe(15625);
  }, 30_000);

  it('hwnas measure - a replay device reproduces the HW-NAS-Bench values, with energy where the device has it', async () => {
    const nb = lines((await runCli(['measure', '--device', 'pixel3', '--space', 'nb201', '--dataset', 'cifar10', '--index', '0,1,2', '--data', dataDir, '--json'])).out);
    expect(nb.map((r) => r.latency_ms)).toEqual(reference.nasbench201.values.cifar10.map((v: Record<string, number>) => v.pixel3_latency));
    expect(nb[0]).not.toHaveProperty('energy_mj');
    const fb = lines((await runCli(['measure', '--device', 'edgegpu', '--space', 'fbnet', '--dataset', 'ImageNet', '--arch', JSON.stringify(new Array(22).fill(0)), '--data', dataDir, '--json'])).out);
    expect(fb).toEqual([{ device: 'edgegpu', space: 'fbnet', dataset: 'ImageNet', arch: new Array(22).fill('k3_e1').join(','), latency_ms: reference.fbnet[0].ImageNet.edgegpu_latency, energy_mj: reference.fbnet[0].ImageNet.edgegpu_energy, kind: 'replay' }]);
  });

  it('hwnas measure - --sample K --seed S is reproducible and distinct; --arch reports the index when the data is there', async () => {
    const run = async (seed: string) => lines((await runCli(['measure', '--device', 'asic-eyeriss', '--space', 'nb201', '--dataset', 'ImageNet16-120', '--sample', '20', '--seed', seed, '--data', dataDir, '--json'])).out);
    const a = await run('7');
    expect(a).toHaveLength(20);
    expect(new Set(a.map((r) => r.index)).size).toBe(20);
    expect(await run('7')).toEqual(a);
    expect((await run('8')).map((r) => r.index)).not.toEqual(a.map((r) => r.index));
    const fb = lines((await runCli(['measure', '--device', 'asic-eyeriss', '--space', 'fbnet', '--dataset', 'cifar100', '--sample', '5', '--json'])).out);
    expect(fb).toHaveLength(5);
    expect(fb[0]).not.toHaveProperty('index');
    const one = lines((await runCli(['measure', '--device', 'asic-eyeriss', '--space', 'nb201', '--dataset', 'cifar10', '--arch', BEST_C10, '--json'])).out);
    expect(one[0].index).toBe(6111);
  });

  it('hwnas measure - prints a table without --json, and the per-layer costs with --breakdown', async () => {
    const table = await runCli(['measure', '--device', 'asic-eyeriss', '--space', 'nb201', '--dataset', 'cifar10', '--index', '0,1', '--data', dataDir]);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/^index\s+arch\s+latency_ms\s+energy_mj\n/);
    expect(table.out.trim().split('\n')).toHaveLength(4);
    const json = lines((await runCli(['measure', '--device', 'fpga-zc706', '--space', 'nb201', '--dataset', 'cifar10', '--arch', BEST_C10, '--breakdown', '--json'])).out);
    const layers = json[0].breakdown as { latencyMs: number }[];
    expect(layers.length).toBeGreaterThan(50);
    expect(layers.reduce((s, l) => s + l.latencyMs, 0)).toBeCloseTo(json[0].latency_ms as number, 9);
    const text = await runCli(['measure', '--device', 'asic-eyeriss', '--space', 'nb201', '--dataset', 'cifar10', '--arch', BEST_C10, '--breakdown']);
    expect(text.out).toMatch(/^asic-eyeriss \|nor_conv_3x3~0\|.* on cifar10: latency_ms [\d.]+, energy_mj [\d.]+\n\nlayer\s+block\s+type\s+macs\s+cycles\s+latency_ms\s+energy_mj/);
  });

  it.each([
    [['--device', 'tpu-v9', '--space', 'nb201', '--dataset', 'cifar10', '--index', '1'], /unknown device "tpu-v9"; known devices: asic-eyeriss, fpga-zc706, host-cpu, raspi4, pixel3, edgegpu/],
    [['--device', 'asic-eyeriss', '--space', 'nb201', '--dataset', 'cifar10'], /give exactly one of --arch ARCH, --index N\[,N...\], --sample K or --all/],
    [['--device', 'asic-eyeriss', '--space', 'nb201', '--dataset', 'cifar10', '--all', '--index', '1'], /give exactly one of/],
    [['--device', 'asic-eyeriss', '--space', 'nb201', '--dataset', 'cifar10', '--index', '1,x'], /--index must be an integer in 0..15624, got "x"/],
    [['--device', 'asic-eyeriss', '--space', 'fbnet', '--dataset', 'cifar100', '--all'], /--all is only defined for nb201/],
    [['--device', 'asic-eyeriss', '--space', 'fbnet', '--dataset', 'cifar100', '--index', '3'], /--index is only defined for --space nb201/],
    [['--device', 'asic-eyeriss', '--space', 'nb201', '--dataset', 'imagenet', '--index', '3'], /device asic-eyeriss does not measure nb201 on imagenet/],
    [['--device', 'edgegpu', '--space', 'nb201', '--dataset', 'cifar10', '--index', '3'], /device edgegpu does not measure nb201 on cifar10; it serves fbnet \(cifar100, ImageNet\)/],
    [['--device', 'asic-eyeriss', '--space', 'nb201', '--dataset', 'cifar10', '--arch', '|x~0|'], /malformed nb201 arch string/],
    [['--device', 'asic-eyeriss', '--space', 'nb201', '--dataset', 'cifar10', '--index', '1,2', '--breakdown'], /--breakdown takes exactly one architecture/],
    [['--device', 'raspi4', '--space', 'nb201', '--dataset', 'cifar10', '--arch', BEST_C10, '--breakdown'], /does not report a per-layer breakdown/],
  ])('hwnas measure - bad usage %j exits 2 with a clear error', async (args, message) => {
    const { code, err } = await runCli(['measure', ...args, '--data', dataDir]);
    expect(err).toMatch(message);
    expect(code).toBe(2);
  });

  it('hwnas measure - host-cpu measures for real from the command line (JSON Lines with spread and the unstable flag)', () => {
    // A separate process: ONNX Runtime's tensors do not cross Jest's sandbox (see tools/jest/node-environment.js).
    const root = path.resolve(__dirname, '../../../..');
    const out = execFileSync('npx', ['--no-install', 'hwnas', 'measure', '--device', 'host-cpu', '--space', 'nb201', '--dataset', 'cifar10', '--index', '0,6111', '--repeats', '5', '--warmup', '1', '--json'], {
      cwd: root,
      env: { ...process.env, HWNAS_DATA: dataDir },
      encoding: 'utf8',
    });
    const rows = lines(out);
    expect(rows.map((r) => r.index)).toEqual([0, 6111]);
    for (const r of rows) {
      expect(r).toMatchObject({ device: 'host-cpu', kind: 'measured', repeats: 5 });
      expect(r.latency_ms).toBeGreaterThan(0);
      expect(typeof r.unstable).toBe('boolean');
      expect(r).not.toHaveProperty('energy_mj');
    }
  }, 60_000);
});
