/**
 * HW-NAS-Bench's headline experiment, in both search spaces: for each device hwnas has latency
 * for, search for that device (task C of bench/TASKS.md: maximise the objective subject to latency
 * <= the device's 25th percentile), then evaluate the architecture found on every other device.
 * Writes docs/benchmarks/device-matrix.md. (In apps/cli because it needs both @hwnas/search and the
 * simulators of @hwnas/device-backends, which itself depends on search.)
 *
 *   node --import tsx apps/cli/scripts/device-matrix.ts [--data DIR] [--out FILE]
 *        [--strategy gp-bo] [--budget 100] [--seeds 5]
 *
 * NAS-Bench-201 (CIFAR-10 accuracy, all 15,625 cells): the latency columns of the HW-NAS-Bench
 * table, the 13 measured device settings of device-latency/nb201-devices.json (HELP) and the two
 * simulators of libs/device-backends (asic-eyeriss, fpga-zc706) run on every cell's network IR;
 * searched with `--strategy`.
 *
 * FBNet (CIFAR-100 macro): the data has no FBNet accuracy, so the objective is a stand-in, the
 * network's multiply-accumulates (capacity under the latency bound, as MnasNet-style searches
 * reward it). HELP's 13 device columns cover 5,000 FBNet architectures only, so the FBNet universe
 * is those 5,000 (device-latency/fbnet-devices.json); on it: the HW-NAS-Bench lookup-table
 * latencies (edgegpu, raspi4, pixel3), HELP's 13 devices and the two simulators. No strategy of
 * libs/search can be confined to a list of architectures, so the FBNet search is random search
 * within the 5,000 (`--budget` distinct ones per seed).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ACCURACY_METRICS, Benchmark, buildNetworkIR, costMetricInfo, enumerateArchs, fbnetSpace, loadDeviceLatency, nb201Space, networkCost, resolveDataDir, Rng } from '@hwnas/bench-core';
import type { Arch, NetworkIR } from '@hwnas/bench-core';
import { simulateEyeriss, simulateFpga } from '@hwnas/device-backends';
import { columnSource, createProblem, createStrategy, runInProcess, taskC } from '@hwnas/search';
import type { TaskCInfo } from '@hwnas/search';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    out: { type: 'string', default: 'docs/benchmarks/device-matrix.md' },
    strategy: { type: 'string', default: 'gp-bo' },
    budget: { type: 'string', default: '100' },
    seeds: { type: 'string', default: '5' },
  },
});
const budget = Number(values.budget);
const seeds = Number(values.seeds);
if (!(Number.isInteger(budget) && budget > 0 && Number.isInteger(seeds) && seeds > 0)) throw new Error('--budget and --seeds must be positive integers');

const dataDir = resolveDataDir(values.data);
const bench = Benchmark.open({ dataDir });

/** One space's experiment: rows are the architectures of its universe. */
interface SpaceMatrix {
  readonly title: string;
  readonly how: string;
  /** Objective column (higher is better) and how to print it. */
  readonly objective: { readonly name: string; readonly values: ArrayLike<number>; readonly digits: number };
  /** Latency (ms) by device, one value per row. */
  readonly devices: Readonly<Record<string, ArrayLike<number>>>;
  /** Per searched-for device: the row found by each seed (-1: nothing feasible found). */
  readonly found: Readonly<Record<string, readonly number[]>>;
  readonly searchCpuS: number;
}

const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
};

/** The two simulators of libs/device-backends on each network, in row order. */
function simulatorColumns(irs: Iterable<NetworkIR>, n: number): Record<string, Float64Array> {
  const eyeriss = new Float64Array(n);
  const fpga = new Float64Array(n);
  let i = 0;
  for (const ir of irs) {
    eyeriss[i] = simulateEyeriss(ir).latencyMs;
    fpga[i++] = simulateFpga(ir).latencyMs;
  }
  return { 'asic-eyeriss': eyeriss, 'fpga-zc706': fpga };
}

function nb201Matrix(): SpaceMatrix {
  const tables = bench.nb201;
  const accuracy = tables.column('cifar10', 'accuracy');
  const n = accuracy.length;
  const devices: Record<string, ArrayLike<number>> = {};
  for (const m of bench.metrics(nb201Space, 'cifar10')) if (m.kind === 'cost' && m.name.endsWith('_latency')) devices[m.name.replace(/_latency$/, '')] = tables.column('cifar10', m.name);
  for (const d of loadDeviceLatency(dataDir, 'nb201').devices) devices[`help:${d.name}`] = d.latencyMs;
  const archs = [...enumerateArchs(nb201Space)];
  const irByRow: NetworkIR[] = new Array(n);
  for (const arch of archs) irByRow[tables.indexOf(arch)] = buildNetworkIR(nb201Space, arch, 'cifar10');
  Object.assign(devices, simulatorColumns(irByRow, n));

  const cpu0 = process.cpuUsage();
  const found: Record<string, number[]> = {};
  for (const [d, latency] of Object.entries(devices)) {
    const metric = 'latency';
    const problem = createProblem(
      { objectives: ['accuracy:max'], constraints: [{ metric, bound: taskC(accuracy, latency).threshold }] },
      [ACCURACY_METRICS.find((m) => m.name === 'accuracy')!, costMetricInfo(metric)],
    );
    const source = columnSource({ accuracy, [metric]: latency }, (a) => tables.indexOf(a));
    found[d] = [];
    for (let seed = 0; seed < seeds; seed++) {
      const run = runInProcess(createStrategy(values.strategy!, { space: nb201Space, problem, seed }), nb201Space, problem, source, { budget });
      found[d].push(run.best ? tables.indexOf(run.best.arch) : -1);
    }
    process.stderr.write(`device-matrix: nb201: searched for ${d}\n`);
  }
  return {
    title: 'NAS-Bench-201 (CIFAR-10 test accuracy, all 15,625 cells)',
    how:
      `Task C of bench/TASKS.md for each device (maximise CIFAR-10 test accuracy subject to latency <= T, the device's 25th percentile over the 15,625 cells), ${values.strategy} with ${budget} evaluations, seeds 0..${seeds - 1}; the best feasible architecture of each run is then evaluated on every device. ` +
      "Devices: the HW-NAS-Bench table columns, the 13 measured settings of HELP (`help:*`, device-latency/nb201-devices.json) and the two simulators of libs/device-backends run on each cell's network (asic-eyeriss, fpga-zc706).",
    objective: { name: 'accuracy', values: accuracy, digits: 2 },
    devices,
    found,
    searchCpuS: cpuSeconds(cpu0),
  };
}

function fbnetMatrix(): SpaceMatrix {
  const help = loadDeviceLatency(dataDir, 'fbnet');
  const archs: readonly Arch[] = help.archs!;
  const n = archs.length;
  const irs = archs.map((a) => buildNetworkIR(fbnetSpace, a, 'cifar100'));
  const macs = Float64Array.from(irs, (ir) => networkCost(ir).macs / 1e6);
  const devices: Record<string, ArrayLike<number>> = {};
  for (const m of bench.fbnet.metrics()) {
    if (!m.name.endsWith('_latency')) continue;
    devices[m.name.replace(/_latency$/, '')] = Float64Array.from(archs, (a) => bench.fbnet.cost('cifar100', m.name, a));
  }
  for (const d of help.devices) devices[`help:${d.name}`] = d.latencyMs;
  Object.assign(devices, simulatorColumns(irs, n));

  // Random search within the 5,000: each seed evaluates `budget` distinct rows in a seeded order
  // and keeps the feasible one with the most MACs. The order depends on the device too, as a
  // search's path does: with one sample shared by every device, the device-specific search would
  // win on its own device by construction.
  const cpu0 = process.cpuUsage();
  const found: Record<string, number[]> = {};
  Object.entries(devices).forEach(([d, latency], k) => {
    const { threshold } = taskC(macs, latency);
    found[d] = [];
    for (let seed = 0; seed < seeds; seed++) {
      const order = new Rng(seed * 1000 + k).shuffle([...Array(n).keys()]).slice(0, budget);
      let best = -1;
      for (const i of order) if (latency[i] <= threshold && (best < 0 || macs[i] > macs[best])) best = i;
      found[d].push(best);
    }
  });
  return {
    title: "FBNet (CIFAR-100 macro; objective: MACs, over the 5,000 architectures in HELP's FBNet file)",
    how:
      'The data has no FBNet accuracy, so the objective is a stand-in: the network\'s multiply-accumulates (millions), i.e. the most capacity that fits the latency bound. ' +
      'HELP\'s latencies exist for 5,000 FBNet architectures only (device-latency/fbnet-devices.json), so the search is restricted to those 5,000 for every device, and T is the 25th percentile over them. ' +
      `Search: random search within the 5,000 (no strategy of libs/search can be confined to a list of architectures), ${budget} distinct architectures per seed, seeds 0..${seeds - 1}, in an order seeded by seed x 1000 + the device's position; the feasible one with the most MACs is then evaluated on every device. ` +
      'Devices: the HW-NAS-Bench lookup tables summed per block (edgegpu = Jetson TX2, raspi4, pixel3), the 13 settings of HELP (`help:*`; its pixel3 equals the lookup-table pixel3 exactly, so the two rows differ only by the seeding of the search, a measure of its noise) and the two simulators of libs/device-backends on each network (asic-eyeriss, fpga-zc706).',
    objective: { name: 'MACs (M)', values: macs, digits: 1 },
    devices,
    found,
    searchCpuS: cpuSeconds(cpu0),
  };
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Markdown of one space: own-device results, the cross-device latency matrix and the answer. */
function render(m: SpaceMatrix): { lines: string[]; wins: number; devices: number } {
  const names = Object.keys(m.devices);
  const obj = m.objective.values;
  const fmt = (x: number) => x.toFixed(m.objective.digits);
  const fmtRegret = (x: number) => x.toFixed(m.objective.digits + 1);
  const info: Record<string, TaskCInfo> = Object.fromEntries(names.map((d) => [d, taskC(obj, m.devices[d])]));
  const lines: string[] = [`## ${m.title}`, '', `${m.how} Search CPU ${m.searchCpuS.toFixed(1)} s.`, ''];
  lines.push('### Own device: objective and regret', '');
  lines.push(`| searched for | T (ms) | optimum | mean ${m.objective.name} found | mean regret | worst regret |`, '| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const d of names) {
    const got = m.found[d].map((i) => (i >= 0 ? obj[i] : NaN));
    const regret = got.map((a) => info[d].optimum - a);
    lines.push(`| ${d} | ${info[d].threshold.toFixed(3)} | ${fmt(info[d].optimum)} | ${fmt(mean(got))} | ${fmtRegret(mean(regret))} | ${fmtRegret(Math.max(...regret))} |`);
  }
  lines.push('', "### Latency on each device / that device's bound T (mean over seeds; in brackets, seeds whose architecture meets the bound)", '');
  lines.push(`| searched for \\ evaluated on | ${names.join(' | ')} |`, `| --- | ${names.map(() => '---:').join(' | ')} |`);
  for (const d of names) {
    const cells = names.map((e) => {
      const r = m.found[d].filter((i) => i >= 0).map((i) => m.devices[e][i] / info[e].threshold);
      const text = `${mean(r).toFixed(2)} (${r.filter((x) => x <= 1).length}/${r.length})`;
      return d === e ? `**${text}**` : text;
    });
    lines.push(`| ${d} | ${cells.join(' | ')} |`);
  }
  lines.push('', '### Does the device-specific architecture win on its own device?', '');
  lines.push(
    `For each device e, over all architectures found (every searched-for device, every seed) that meet e's bound: the one with the highest ${m.objective.name}, and the rank of the best one searched for e among the searched-for devices (1 = the device-specific search found the best deployable architecture).`,
    '',
  );
  lines.push(`| evaluated on | best deployable ${m.objective.name} | searched for | ${m.objective.name} of the one searched for it | rank of its own search |`, '| --- | ---: | --- | ---: | ---: |');
  let wins = 0;
  for (const e of names) {
    const byDevice = names.map((d) => {
      const ok = m.found[d].filter((i) => i >= 0 && m.devices[e][i] <= info[e].threshold).map((i) => obj[i]);
      return { d, best: ok.length ? Math.max(...ok) : -Infinity };
    });
    const sorted = byDevice.slice().sort((a, b) => b.best - a.best);
    const own = byDevice.find((x) => x.d === e)!;
    const rank = 1 + sorted.filter((x) => x.best > own.best).length;
    if (rank === 1) wins++;
    lines.push(`| ${e} | ${fmt(sorted[0].best)} | ${sorted[0].d} | ${fmt(own.best)} | ${rank} |`);
  }
  lines.push('', `The device-specific search found the best deployable architecture on ${wins} of ${names.length} devices.`, '');
  // The same question for a perfect search: each device's exhaustive optimum, tried on the others.
  let fits = 0;
  let alsoOptimal = 0;
  for (const d of names) {
    for (const e of names) {
      if (d === e) continue;
      const i = info[d].optimumIndex;
      if (m.devices[e][i] <= info[e].threshold) fits++;
      if (obj[i] === info[e].optimum && m.devices[e][i] <= info[e].threshold) alsoOptimal++;
    }
  }
  const pairs = names.length * (names.length - 1);
  lines.push(
    `With a perfect search instead (each device's exhaustive optimum over the universe), the optimum of one device meets another device's bound in ${fits} of ${pairs} ordered pairs and reaches that device's own optimum ${m.objective.name} in ${alsoOptimal}.`,
    '',
  );
  return { lines, wins, devices: names.length };
}

const parts = [nb201Matrix(), fbnetMatrix()].map(render);
const page = [
  '# Device matrix: searched for one device, evaluated on every device (NAS-Bench-201 and FBNet)',
  '',
  `Produced by \`node --import tsx apps/cli/scripts/device-matrix.ts --strategy ${values.strategy} --budget ${budget} --seeds ${seeds}\`. ` +
    `Answer per space: the device-specific search found the best deployable architecture on ${parts[0].wins} of ${parts[0].devices} devices on NAS-Bench-201 and on ${parts[1].wins} of ${parts[1].devices} on FBNet (MACs as a stand-in for accuracy, random search within the 5,000 architectures of HELP's FBNet file; see its section).`,
  '',
  ...parts.flatMap((p) => p.lines),
];
const out = path.resolve(values.out!);
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, page.join('\n'));
process.stderr.write(`device-matrix: wrote ${out}\n`);
