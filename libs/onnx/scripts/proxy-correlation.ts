/**
 * Measures how well the NASWOT training-free proxy (and, for comparison, the plain parameter count)
 * ranks NAS-Bench-201 architectures by their CIFAR-10 test accuracy (200 epochs).
 *
 *   npx tsx libs/onnx/scripts/proxy-correlation.ts [--n 1000] [--batch 64] [--seed 0]
 *     [--input-seed 0] [--sample-seed 0] [--bn batch-stats|inference] [--threads 1]
 *
 * `--n all` scores all 15625 cells. Reads `$HWNAS_DATA/nas-bench-201/nb201-accuracy-200ep.json`
 * (HWNAS_DATA defaults to ../shared/data beside the repository). Prints one JSON object.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildNetworkIR, nb201FromCode, nb201Space, networkCost, NB201_SIZE, Rng } from '@hwnas/bench-core';
import type { BatchNormMode } from '../src/index';
import { naswotScore, spearman } from '../src/index';

interface AccuracyFile {
  archs: Record<string, { index: number; cifar10: { test_acc: number } }>;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const nArg = arg('n', '1000');
  const n = nArg === 'all' ? NB201_SIZE : Number(nArg);
  const batch = Number(arg('batch', '64'));
  const seed = Number(arg('seed', '0'));
  const inputSeed = Number(arg('input-seed', '0'));
  const sampleSeed = Number(arg('sample-seed', '0'));
  const threads = Number(arg('threads', '1'));
  const bn = arg('bn', 'batch-stats') as BatchNormMode;
  const dataDir = process.env.HWNAS_DATA ?? path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'data');
  const file = path.join(dataDir, 'nas-bench-201', 'nb201-accuracy-200ep.json');
  const table = JSON.parse(readFileSync(file, 'utf8')) as AccuracyFile;

  // A fixed-seed sample without replacement (all cells, in shuffled order, for --n all).
  const codes = new Rng(sampleSeed).shuffle(Array.from({ length: NB201_SIZE }, (_, i) => i)).slice(0, n);
  const naswot: number[] = [];
  const params: number[] = [];
  const acc: number[] = [];
  const t0 = process.hrtime.bigint();
  let done = 0;
  for (const code of codes) {
    const arch = nb201FromCode(code);
    const key = nb201Space.format(arch);
    const row = table.archs[key];
    if (!row) throw new Error(`${file} has no entry for ${key}`);
    const ir = buildNetworkIR(nb201Space, arch, 'cifar10');
    const r = await naswotScore(ir, { seed, inputSeed, batch, bn, threads });
    naswot.push(r.score);
    params.push(networkCost(ir).params);
    acc.push(row.cifar10.test_acc);
    if (++done % 100 === 0) process.stderr.write(`${done}/${codes.length} ${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(1)} s\n`);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(
    JSON.stringify(
      {
        dataset: 'cifar10',
        accuracy: 'nb201-accuracy-200ep cifar10.test_acc',
        sampleSize: codes.length,
        sampleSeed,
        naswot: { batch, weightSeed: seed, inputSeed, bn, input: 'iid N(0,1) pixels' },
        spearmanNaswot: round(spearman(naswot, acc)),
        spearmanParams: round(spearman(params, acc)),
        singularKernels: naswot.filter((s) => s === -Infinity).length,
        totalSeconds: round(seconds),
        msPerArch: round((seconds * 1000) / codes.length),
        threads,
      },
      null,
      2,
    ),
  );
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
