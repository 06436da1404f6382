/**
 * Times a fixed-seed random sample of NAS-Bench-201 cifar10 architectures on the host CPU with
 * ONNX Runtime (batch 1), the way the host-cpu device backend measures them.
 *
 *   npx tsx libs/onnx/scripts/bench-host-cpu.ts [--n 100] [--threads 1] [--warmup 5]
 *     [--repeats 30] [--min-time-ms 0] [--retries 2] [--sample-seed 0] [--weight-seed 0] [--per-arch]
 *
 * Prints one JSON object: wall-clock seconds for the whole run (export + session + timing), the
 * median over architectures of the relative spread p90/p50 - 1 (and of the CV), how many results
 * were flagged unstable (spread > 5%) and how many needed a retry, plus the host's load average:
 * on a shared machine, other processes are what makes results unstable.
 */
import * as os from 'node:os';
import { buildNetworkIR, nb201FromCode, nb201Space, NB201_SIZE, Rng } from '@hwnas/bench-core';
import { exportOnnx, quantile, timeModel } from '../src/index';
import type { Timing } from '../src/index';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const n = Number(arg('n', '100'));
  const threads = Number(arg('threads', '1'));
  const warmup = Number(arg('warmup', '5'));
  const repeats = Number(arg('repeats', '30'));
  const minTimeMs = Number(arg('min-time-ms', '0'));
  const retries = Number(arg('retries', '2'));
  const sampleSeed = Number(arg('sample-seed', '0'));
  const weightSeed = Number(arg('weight-seed', '0'));
  const codes = new Rng(sampleSeed).shuffle(Array.from({ length: NB201_SIZE }, (_, i) => i)).slice(0, n);

  const loadBefore = os.loadavg()[0];
  const t0 = process.hrtime.bigint();
  const results: { arch: string; timing: Timing }[] = [];
  for (const code of codes) {
    const ir = buildNetworkIR(nb201Space, nb201FromCode(code), 'cifar10');
    const timing = await timeModel(exportOnnx(ir, { seed: weightSeed }), { threads, warmup, repeats, minTimeMs, retries });
    results.push({ arch: ir.arch, timing });
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;

  const med = (xs: number[]) => quantile(Float64Array.from(xs).sort(), 0.5);
  const spreads = results.map((r) => r.timing.spread);
  const medians = results.map((r) => r.timing.medianMs);
  const report = {
    space: 'nb201',
    dataset: 'cifar10',
    archs: results.length,
    sampleSeed,
    threads,
    warmup,
    repeats,
    minTimeMs,
    retries,
    totalSeconds: round(seconds),
    medianSpread: round(med(spreads)),
    p90Spread: round(quantile(Float64Array.from(spreads).sort(), 0.9)),
    medianCv: round(med(results.map((r) => r.timing.cv))),
    unstable: results.filter((r) => r.timing.unstable).length,
    retried: results.filter((r) => r.timing.attempts > 1).length,
    // Other processes competing for the cores are the main source of spread; report how busy the host was.
    cpus: os.cpus().length,
    loadAverage1m: { before: round(loadBefore), after: round(os.loadavg()[0]) },
    latencyMs: { min: round(Math.min(...medians)), median: round(med(medians)), max: round(Math.max(...medians)) },
    // Median over archs of (median wall time / median CPU time per run): ~1 on an idle host.
    wallOverCpu: round(med(results.map((r) => r.timing.medianMs / (r.timing.cpuMedianMs ?? NaN)))),
    ...(process.argv.includes('--per-arch') ? { perArch: results } : {}),
  };
  console.log(JSON.stringify(report, null, 2));
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
