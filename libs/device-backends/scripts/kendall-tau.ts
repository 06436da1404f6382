/**
 * Kendall tau-b between each backend's costs and the HW-NAS-Bench replay devices' latency and the
 * MACs, over NAS-Bench-201 on cifar10 (the only dataset with raspi4 / pixel3 columns in the data).
 *
 * - asic-eyeriss and fpga-zc706 (latency and energy): all 15625 architectures.
 * - host-cpu (latency): a fixed-seed random sample (default 300 architectures, seed 0), because
 *   measuring all 15625 for real would take about two hours; its tau is over that sample only.
 * - raspi4 / pixel3 / MACs are also correlated with each other, for reference.
 * - FBNet (cifar100 and ImageNet): the simulators against the MACs and the replay devices' LUT-sum
 *   latencies over a fixed-seed random sample of architectures (default 300, seed 0: the space
 *   cannot be enumerated).
 *
 *   node --import tsx libs/device-backends/scripts/kendall-tau.ts [--data DIR] [--host-cpu-sample 300]
 *     [--fbnet-sample 300] [--seed 0] [--json]
 *
 * Prints a markdown table (rows: backend metric, columns: reference metric), or JSON with --json.
 * The data directory is --data or $HWNAS_DATA.
 */
import { loadavg } from 'node:os';
import { Benchmark, NB201_SIZE, Rng, buildNetworkIR, fbnetSpace, nb201Space, networkCost, sampleArch } from '@hwnas/bench-core';
import { quantile } from '@hwnas/onnx';
import { createHostCpuBackend, simulateEyeriss, simulateFpga } from '../src/index';
import { kendallTau } from '../src/internal';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : undefined;
}

interface Row {
  readonly metric: string;
  readonly archs: number;
  readonly tau: Record<string, number>;
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const sample = Number(flag('host-cpu-sample') ?? 300);
  const seed = Number(flag('seed') ?? 0);
  const bench = Benchmark.open({ dataDir: flag('data') });
  const dataset = 'cifar10';
  const table = bench.nb201;
  const t0 = performance.now();

  // Every metric as a column over benchmark indices 0..15624.
  const columns = new Map<string, Float64Array>();
  const col = (name: string) => {
    let c = columns.get(name);
    if (!c) columns.set(name, (c = new Float64Array(NB201_SIZE)));
    return c;
  };
  for (let i = 0; i < NB201_SIZE; i++) {
    const ir = buildNetworkIR(nb201Space, table.index.archAt(i), dataset);
    col('macs')[i] = networkCost(ir).macs;
    const e = simulateEyeriss(ir);
    col('eyeriss_latency')[i] = e.latencyMs;
    col('eyeriss_energy')[i] = e.energyMj;
    const f = simulateFpga(ir);
    col('fpga_latency')[i] = f.latencyMs;
    col('fpga_energy')[i] = f.energyMj;
  }
  const simSeconds = (performance.now() - t0) / 1000;
  const references = ['raspi4_latency', 'pixel3_latency', 'macs'];
  for (const r of references.slice(0, 2)) columns.set(r, table.column(dataset, r));

  const tauRow = (metric: string, indices?: readonly number[], values?: Float64Array): Row => {
    const x = values ?? columns.get(metric)!;
    const pick = (c: Float64Array) => (indices ? Float64Array.from(indices, (i) => c[i]) : c);
    const tau: Record<string, number> = {};
    for (const r of references) tau[r] = r === metric ? 1 : kendallTau(values ?? pick(x), pick(columns.get(r)!));
    return { metric, archs: indices ? indices.length : NB201_SIZE, tau };
  };
  const rows: Row[] = ['eyeriss_latency', 'eyeriss_energy', 'fpga_latency', 'fpga_energy', 'raspi4_latency', 'pixel3_latency', 'macs'].map((m) => tauRow(m));

  let hostCpu: Record<string, unknown> | undefined;
  if (sample > 0) {
    const indices = new Rng(seed).shuffle(Array.from({ length: NB201_SIZE }, (_, i) => i)).slice(0, sample);
    const backend = createHostCpuBackend();
    const latency = new Float64Array(indices.length);
    const spreads: number[] = [];
    let unstable = 0;
    const load = loadavg()[0];
    const h0 = performance.now();
    for (const [k, i] of indices.entries()) {
      const m = await backend.measure({ space: 'nb201', dataset, arch: table.index.archAt(i) });
      latency[k] = m.metrics.latency_ms;
      spreads.push(m.method.spread ?? 0);
      if (m.method.unstable) unstable++;
    }
    await backend.close();
    rows.push(tauRow('hostcpu_latency', indices, latency));
    // The simulators over the same sample, to show how much of a difference the sample makes.
    rows.push({ ...tauRow('eyeriss_latency', indices), metric: 'eyeriss_latency (same sample)' });
    hostCpu = {
      archs: indices.length,
      seed,
      seconds: +((performance.now() - h0) / 1000).toFixed(1),
      medianSpread: +quantile(Float64Array.from(spreads).sort(), 0.5).toFixed(4),
      unstable,
      loadAverage1mBefore: +load.toFixed(2),
      loadAverage1mAfter: +loadavg()[0].toFixed(2),
    };
  }

  const fbnetSample = Number(flag('fbnet-sample') ?? 300);
  const fbnet = fbnetSample > 0 ? fbnetTaus(bench, fbnetSample, seed) : [];

  const round = (x: number) => Math.round(x * 1000) / 1000;
  const roundTaus = (r: Row) => ({ ...r, tau: Object.fromEntries(Object.entries(r.tau).map(([k, v]) => [k, round(v)])) });
  if (json) {
    console.log(JSON.stringify({ space: 'nb201', dataset, simulatorSeconds: +simSeconds.toFixed(2), hostCpu, rows: rows.map(roundTaus), fbnet: fbnet.map((f) => ({ ...f, rows: f.rows.map(roundTaus) })) }, null, 2));
    return;
  }
  const lines = [
    `Kendall tau-b, NAS-Bench-201 ${dataset}`,
    '',
    `| metric | archs | ${references.join(' | ')} |`,
    `| --- | ---: | ${references.map(() => '---:').join(' | ')} |`,
    ...rows.map((r) => `| ${r.metric} | ${r.archs} | ${references.map((c) => round(r.tau[c]).toFixed(3)).join(' | ')} |`),
    '',
    `simulators over all ${NB201_SIZE} archs (IR + both simulators): ${simSeconds.toFixed(2)} s`,
    ...(hostCpu ? [`host-cpu sample: ${JSON.stringify(hostCpu)}`] : []),
    ...fbnet.flatMap((f) => [
      '',
      `Kendall tau-b, FBNet ${f.dataset}, ${f.archs} architectures (seed ${seed})`,
      '',
      `| metric | ${f.references.join(' | ')} |`,
      `| --- | ${f.references.map(() => '---:').join(' | ')} |`,
      ...f.rows.map((r) => `| ${r.metric} | ${f.references.map((c) => round(r.tau[c]).toFixed(3)).join(' | ')} |`),
    ]),
  ];
  console.log(lines.join('\n'));
}

interface FbnetTaus {
  readonly dataset: string;
  readonly archs: number;
  readonly references: readonly string[];
  readonly rows: readonly Row[];
}

/** The simulators against the MACs and the LUT-sum latencies of the replay devices, on FBNet. */
function fbnetTaus(bench: Benchmark, sample: number, seed: number): FbnetTaus[] {
  const lutMetrics = new Set(bench.fbnet.metrics().map((m) => m.name));
  return fbnetSpace.datasets.map(({ name: dataset }) => {
    const rng = new Rng(seed);
    const devices = ['raspi4_latency', 'pixel3_latency', 'edgegpu_latency'].filter((m) => lutMetrics.has(m));
    const columns = new Map<string, Float64Array>(['macs', 'eyeriss_latency', 'eyeriss_energy', 'fpga_latency', 'fpga_energy', ...devices].map((m) => [m, new Float64Array(sample)]));
    const set = (m: string, i: number, v: number) => (columns.get(m)![i] = v);
    for (let i = 0; i < sample; i++) {
      const arch = sampleArch(fbnetSpace, rng);
      const ir = buildNetworkIR(fbnetSpace, arch, dataset);
      set('macs', i, networkCost(ir).macs);
      const e = simulateEyeriss(ir);
      set('eyeriss_latency', i, e.latencyMs);
      set('eyeriss_energy', i, e.energyMj);
      const f = simulateFpga(ir);
      set('fpga_latency', i, f.latencyMs);
      set('fpga_energy', i, f.energyMj);
      for (const d of devices) set(d, i, bench.fbnet.cost(dataset, d, arch));
    }
    const references = ['macs', ...devices];
    const rows = ['eyeriss_latency', 'eyeriss_energy', 'fpga_latency', 'fpga_energy'].map((metric) => ({
      metric,
      archs: sample,
      tau: Object.fromEntries(references.map((r) => [r, kendallTau(columns.get(metric)!, columns.get(r)!)])),
    }));
    return { dataset, archs: sample, references, rows };
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
