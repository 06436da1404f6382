import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describeWithData } from '@hwnas/bench-core/testing';
import { main } from '../main';
import { runCli } from '../testing';

describeWithData('hwnas search (embedded)', (dataDir) => {
  const base = ['search', '--space', 'nb201', '--dataset', 'cifar10', '--data', dataDir, '--json'];

  it('hwnas search - prints the best feasible architecture with the CLI contract fields', async () => {
    const { code, out, err } = await runCli([...base, '--strategy', 'rea', '--budget', '60', '--constraint', 'raspi4_latency<=15.7228', '--seed', '3']);
    expect(err).toBe('');
    expect(code).toBe(0);
    const r = JSON.parse(out);
    expect(r.evaluations).toBe(60);
    expect(r.stop).toBe('budget');
    expect(Object.keys(r.best).sort()).toEqual(expect.arrayContaining(['arch', 'index', 'accuracy', 'costs', 'flops', 'params']));
    expect(r.best.costs.raspi4_latency).toBeLessThanOrEqual(15.7228);
    expect(r.best.accuracy.test).toBeGreaterThan(85);
  });

  it('hwnas search - --max-failed must be in 1..budget', async () => {
    const bad = await runCli([...base, '--strategy', 'random', '--budget', '10', '--max-failed', '11']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--max-failed must be an integer in 1..10, got "11"');
    const ok = await runCli([...base, '--strategy', 'random', '--budget', '10', '--max-failed', '2']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ evaluations: 10, failed: 0, stop: 'budget' });
  });

  it('hwnas search - same seed and window, same result, however the evaluations interleave', async () => {
    const args = [...base, '--strategy', 'rea', '--budget', '80', '--seed', '11', '--constraint', 'pixel3_latency<=6.4411'];
    const one = JSON.parse((await runCli([...args, '--parallelism', '1'])).out);
    const again = JSON.parse((await runCli([...args, '--parallelism', '1'])).out);
    expect(again.best).toEqual(one.best);
    // Eight in flight: results land out of order but are told in ask order, so runs agree.
    const eight = JSON.parse((await runCli([...args, '--parallelism', '8', '--history'])).out);
    const eightAgain = JSON.parse((await runCli([...args, '--parallelism', '8', '--history'])).out);
    expect(eight.evaluations).toBe(80);
    expect(eightAgain.best).toEqual(eight.best);
    expect(eightAgain.history.map((h: { arch: string }) => h.arch).sort()).toEqual(eight.history.map((h: { arch: string }) => h.arch).sort());
    expect(eight.best.costs.pixel3_latency).toBeLessThanOrEqual(6.4411);
  });

  it('hwnas search - Pareto search over a simulated device prints the non-dominated set', async () => {
    const { code, out } = await runCli([...base, '--strategy', 'nsga2', '--budget', '40', '--objective', 'accuracy', '--objective', 'eyeriss_latency', '--device', 'asic-eyeriss', '--parallelism', '4']);
    expect(code).toBe(0);
    const r = JSON.parse(out);
    expect(r.pareto.length).toBeGreaterThan(1);
    for (const p of r.pareto) expect(p.costs.eyeriss_latency).toBeGreaterThan(0);
    // Sorted best-first by accuracy, so latency must fall along the front.
    for (let i = 1; i < r.pareto.length; i++) {
      expect(r.pareto[i].accuracy.test).toBeLessThanOrEqual(r.pareto[i - 1].accuracy.test);
      expect(r.pareto[i].costs.eyeriss_latency).toBeLessThan(r.pareto[i - 1].costs.eyeriss_latency);
    }
  });

  it('hwnas search - history and fox-nas explanations on request', async () => {
    const r = JSON.parse((await runCli([...base, '--strategy', 'fox-nas', '--budget', '40', '--constraint', 'raspi4_latency<=20', '--history', '--explain'])).out);
    expect(r.history).toHaveLength(40);
    expect(new Set(r.history.map((h: { arch: string }) => h.arch)).size).toBe(40);
    expect(r.explain.length).toBeGreaterThan(0);
    expect(r.explain[0].coefficients.length).toBeGreaterThan(0);
  });

  it('hwnas search - without an accuracy table it says so and searches on the NASWOT proxy', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hwnas-noacc-'));
    // The directory alone: with the data pack behind it, the pack's accuracies would fill the gap.
    const savedPack = process.env.HWNAS_PACK;
    process.env.HWNAS_PACK = 'off';
    try {
      // Only the HW-NAS-Bench part: costs, no NAS-Bench-201 accuracies.
      symlinkSync(path.join(dataDir, 'hw-nas-bench'), path.join(dir, 'hw-nas-bench'));
      const args = ['search', '--space', 'nb201', '--dataset', 'cifar10', '--data', dir, '--json', '--strategy', 'random', '--budget', '4', '--constraint', 'raspi4_latency<=40'];
      const { code, out, err } = await runCli(args);
      expect(code).toBe(0);
      expect(err).toMatch(/no accuracy table for nb201 cifar10 .*using the training-free NASWOT proxy \(metric naswot\)/);
      const r = JSON.parse(out);
      expect(r.problem.objectives).toEqual([{ metric: 'naswot', direction: 'max' }]);
      expect(r.evaluations).toBe(4);
      expect(Number.isFinite(r.best.naswot)).toBe(true);
      expect(r.best.accuracy).toEqual({});
      // Deterministic: the same search scores the same.
      expect(JSON.parse((await runCli(args)).out).best).toEqual(r.best);
    } finally {
      if (savedPack === undefined) delete process.env.HWNAS_PACK;
      else process.env.HWNAS_PACK = savedPack;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hwnas search - with --accuracy-source proxy it needs no benchmark data at all (empty directory or none, pack off)', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'hwnas-empty-'));
    const saved = { data: process.env.HWNAS_DATA, pack: process.env.HWNAS_PACK };
    process.env.HWNAS_PACK = 'off';
    try {
      const args = ['search', '--space', 'nb201', '--dataset', 'cifar10', '--json', '--strategy', 'random', '--budget', '3', '--accuracy-source', 'proxy'];
      process.env.HWNAS_DATA = empty;
      const inEmpty = await runCli(args);
      expect(inEmpty.err).toBe('');
      expect(inEmpty.code).toBe(0);
      delete process.env.HWNAS_DATA;
      const none = await runCli(args);
      expect(none.code).toBe(0);
      const r = JSON.parse(none.out);
      expect(r.evaluations).toBe(3);
      expect(Number.isFinite(r.best.naswot)).toBe(true);
      // No index table: the space enumerates itself, and no index is claimed.
      expect(r.best.index).toBeUndefined();
      expect(r.best.flops).toBeGreaterThan(0);
      expect(JSON.parse(inEmpty.out).best).toEqual(r.best);
      // A constraint on a metric computed from the architecture itself needs no table either.
      const small = await runCli([...args, '--constraint', 'flops<=100']);
      expect(small.err).toBe('');
      expect(small.code).toBe(0);
      expect(JSON.parse(small.out).best.flops).toBeLessThanOrEqual(100);
      // Without data, table metrics are unknown, with a clear error.
      const costly = await runCli([...args, '--constraint', 'raspi4_latency<=20']);
      expect(costly.code).toBe(2);
      expect(costly.err).toMatch(/unknown metric "raspi4_latency"/);
    } finally {
      if (saved.data === undefined) delete process.env.HWNAS_DATA;
      else process.env.HWNAS_DATA = saved.data;
      if (saved.pack === undefined) delete process.env.HWNAS_PACK;
      else process.env.HWNAS_PACK = saved.pack;
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('hwnas search --dashboard - serves the search while it runs and for --dashboard-linger seconds after', async () => {
    let err = '';
    let seen: { state: string; evaluationsDone: number }[] | undefined;
    const io = {
      out: () => undefined,
      err: (t: string) => {
        err += t + '\n';
        // Once the search is over, read the dashboard's API while it lingers.
        const m = /dashboard stays at (http:\/\/\S+) for/.exec(t);
        if (m) void fetch(`${m[1]}/api/searches`).then(async (r) => (seen = (await r.json()) as typeof seen));
      },
    };
    const code = await main([...base, '--strategy', 'random', '--budget', '15', '--dashboard', '127.0.0.1:0', '--dashboard-linger', '1'], io);
    expect(code).toBe(0);
    expect(err).toMatch(/dashboard at http:\/\/127\.0\.0\.1:\d+\/searches\/local-\d+-[0-9a-z]+/);
    expect(seen).toEqual([expect.objectContaining({ state: 'succeeded', evaluationsDone: 15 })]);
  });

  it('hwnas search --dashboard - a bad address is a usage error', async () => {
    const r = await runCli([...base, '--strategy', 'random', '--budget', '5', '--dashboard', 'nowhere']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--dashboard must be HOST:PORT');
    const linger = await runCli([...base, '--strategy', 'random', '--budget', '5', '--dashboard-linger', '3']);
    expect(linger.code).toBe(2);
    expect(linger.err).toContain('--dashboard-linger needs --dashboard');
  });

  it.each([
    [['--strategy', 'bogus', '--budget', '10'], /unknown strategy "bogus"/],
    [['--strategy', 'rea', '--budget', '0'], /--budget must be an integer in 1\.\./],
    [['--strategy', 'rea', '--budget', '10', '--constraint', 'edgegpu_latency<=3'], /constraints: unknown metric "edgegpu_latency"/],
    [['--strategy', 'rea', '--budget', '10', '--device', 'tpu-v9'], /devices: .*tpu-v9/],
    [['--strategy', 'rea', '--budget', '10', '--constraint', 'raspi4_latency<=-1'], /^hwnas search: error: constraints: raspi4_latency<=-1 can never be met: no architecture of the nb201 space on cifar10 has raspi4_latency below [0-9.]+ ms\n$/],
  ])('hwnas search - bad input %j exits 2 with one clear line', async (args, message) => {
    const { code, err, out } = await runCli([...base, ...args]);
    expect(out).toBe('');
    expect(err).toMatch(message);
    expect(code).toBe(2);
  });

  it('hwnas search - a bound no evaluated architecture meets ends as "no feasible architecture" with exit 1, never a silent success', async () => {
    const { code, err, out } = await runCli([...base, '--strategy', 'random', '--budget', '10', '--constraint', 'raspi4_latency<=3.2']);
    expect(code).toBe(1);
    expect(JSON.parse(out)).toMatchObject({ best: null, evaluations: 10, stop: 'no feasible architecture: none of the 10 evaluated architectures meets raspi4_latency<=3.2' });
    expect(err).toContain('hwnas search: the search failed: no feasible architecture');
  });
});
