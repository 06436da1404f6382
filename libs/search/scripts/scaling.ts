/**
 * Scaling run: does each strategy's cost per evaluation stay flat up to the whole space? Every
 * strategy runs once (seed 0) through NAS-Bench-201 under `raspi4_latency<=15.72` (task C, joint
 * mode), embedded (ask one, tell one, table lookups), and the CPU time of each stretch of the run
 * is reported per 1,000 evaluations. Writes docs/benchmarks/scaling.md.
 *
 * `--help` prints the usage.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ACCURACY_METRICS, Benchmark, costMetricInfo, nb201Space, NB201_SIZE } from '@hwnas/bench-core';
import { columnSource, createProblem, createStrategy, isStrategyName, STRATEGY_NAMES } from '../src/index';
import { runScript, scriptArgs, ScriptUsageError } from './script-args';

const USAGE = `node --import tsx libs/search/scripts/scaling.ts [--strategies NAME,...] [--out FILE] [--data DIR]

  Runs each strategy once (seed 0) through all of NAS-Bench-201 under raspi4_latency<=15.72 (task C,
  joint mode, embedded) and writes the CPU time per 1,000 evaluations of each stretch of the run.

  --strategies  comma-separated subset of ${STRATEGY_NAMES.join(', ')} (default all)
  --out         the markdown file to write (default docs/benchmarks/scaling.md)
  --data        the benchmark data directory (default: HWNAS_DATA or the data pack)`;

const values = scriptArgs(USAGE, {
  data: { type: 'string' },
  out: { type: 'string', default: 'docs/benchmarks/scaling.md' },
  strategies: { type: 'string' },
});

void runScript(USAGE, () => {
  const strategies = values.strategies ? values.strategies.split(',').map((n) => n.trim()) : [...STRATEGY_NAMES];
  const unknown = strategies.filter((n) => !isStrategyName(n));
  if (unknown.length > 0 || strategies.length === 0) throw new ScriptUsageError(`--strategies: unknown strategy ${unknown.map((n) => `"${n}"`).join(', ') || '(none given)'}; known: ${STRATEGY_NAMES.join(', ')}`);
  const CHECKPOINTS = [300, 1000, 4000, 8000, NB201_SIZE];

  const bench = Benchmark.open({ dataDir: values.data });
  const tables = bench.nb201;
  const metric = 'raspi4_latency';
  const source = columnSource({ accuracy: tables.column('cifar10', 'accuracy'), [metric]: tables.column('cifar10', metric) }, (a) => tables.indexOf(a));
  const problem = createProblem({ objectives: ['accuracy:max'], constraints: [`${metric}<=15.72`] }, [ACCURACY_METRICS.find((m) => m.name === 'accuracy')!, costMetricInfo(metric)]);
  const cpuMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };

  const rows: string[] = [];
  for (const name of strategies) {
    const s = createStrategy(name, { space: nb201Space, problem, seed: 0 });
    const at: number[] = [];
    const t0 = cpuMs();
    let evaluated = 0;
    for (;;) {
      const [c] = s.ask(1);
      if (!c) break;
      s.tell({ trialId: c.trialId, arch: c.arch, status: 'ok', metrics: source.evaluate(c.arch) });
      if (c.need === 'full') evaluated++;
      if (evaluated === CHECKPOINTS[at.length]) at.push(cpuMs() - t0);
      if (at.length === CHECKPOINTS.length) break;
    }
    const cells = CHECKPOINTS.map((n, k) => {
      if (k >= at.length) return '-';
      const prev = k === 0 ? 0 : at[k - 1];
      const from = k === 0 ? 0 : CHECKPOINTS[k - 1];
      return ((1000 * (at[k] - prev)) / (n - from)).toFixed(0);
    });
    const total = at.length === CHECKPOINTS.length ? (at[at.length - 1] / 1000).toFixed(2) : `stopped at ${evaluated}`;
    rows.push(`| ${name} | ${cells.join(' | ')} | ${at[0] !== undefined ? (at[0] / 1000).toFixed(2) : '-'} | ${total} |`);
    process.stderr.write(`scaling: ${name} done\n`);
  }

  const header = CHECKPOINTS.map((n, k) => `${k === 0 ? 0 : CHECKPOINTS[k - 1]}-${n}`);
  const lines = [
    '# Scaling: CPU per 1,000 evaluations up to the whole space (NAS-Bench-201, task C, raspi4)',
    '',
    `Produced by \`node --import tsx libs/search/scripts/scaling.ts\`. Each strategy runs once (seed 0, default options) under \`${metric}<=15.72\` in joint mode, embedded: ask one, tell one, table lookups, no coordinator. Cells: CPU ms per 1,000 evaluations over each stretch of the run (evaluations from-to); then the CPU seconds of a 300-evaluation run and of a run through all ${NB201_SIZE} architectures. Measured on a shared 2-core machine under load: read them as upper bounds.`,
    '',
    `| strategy | ${header.join(' | ')} | CPU s, 300 | CPU s, ${NB201_SIZE} |`,
    `| --- | ${header.map(() => '---:').join(' | ')} | ---: | ---: |`,
    ...rows,
    '',
  ];
  const out = path.resolve(values.out!);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, lines.join('\n'));
  process.stderr.write(`scaling: wrote ${out}\n`);
});
