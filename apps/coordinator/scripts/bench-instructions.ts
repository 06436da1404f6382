/**
 * Instructions per embedded evaluation, counted by callgrind (valgrind), which counts
 * instructions rather than seconds and so does not depend on what else the machine runs. A child
 * process runs 1 and then 3 embedded random searches of 15,000 nb201 evaluations under callgrind;
 * the difference over 2 x 15,000 is the cost of one evaluation end to end (strategy, coordinator,
 * in-memory queue, worker, table lookup, garbage collection). The count still moves between runs
 * (how results batch follows timing), so several runs are made and the range is printed.
 *
 *   node --import tsx apps/coordinator/scripts/bench-instructions.ts [--runs 3]
 *
 * Needs valgrind on PATH and HWNAS_DATA. Takes about a minute per run.
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { Benchmark } from '@hwnas/bench-core';
import { createTableSearchFactory, startEmbedded, TableTrialEvaluator } from '@hwnas/runtime';

const BUDGET = 15_000;

/** The child: `searches` embedded searches, one after the other. */
async function searches(n: number): Promise<void> {
  const bench = Benchmark.open();
  const factory = createTableSearchFactory(bench);
  for (let i = 0; i < n; i++) {
    const e = await startEmbedded({ factory, evaluator: new TableTrialEvaluator(bench), concurrency: 512 });
    const id = await e.coordinator.submit({ space: 'nb201', dataset: 'cifar10', strategy: 'random', objectives: ['accuracy'], budget: BUDGET, maxInFlight: 512, seed: 1 });
    await e.coordinator.waitFor(id);
    await e.stop();
  }
}

/** Instructions callgrind counted for a child running `n` searches. */
function instructions(n: number): number {
  const r = spawnSync('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, '--import', 'tsx', __filename, '--searches', String(n)], {
    encoding: 'utf8',
    env: process.env,
  });
  const m = /Collected : (\d+)/.exec(r.stderr ?? '');
  if (r.error || r.status !== 0 || !m) throw new Error(`valgrind run failed (status ${r.status}): ${r.error?.message ?? r.stderr.slice(-500)}`);
  return Number(m[1]);
}

async function main() {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, searches: { type: 'string' } } });
  if (values.searches !== undefined) return searches(Number(values.searches));
  const perEvaluation: number[] = [];
  for (let i = 0; i < Number(values.runs); i++) perEvaluation.push(Math.round((instructions(3) - instructions(1)) / (2 * BUDGET)));
  process.stdout.write(JSON.stringify({ instructionsPerEvaluation: perEvaluation, min: Math.min(...perEvaluation), max: Math.max(...perEvaluation) }) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`bench-instructions: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});
