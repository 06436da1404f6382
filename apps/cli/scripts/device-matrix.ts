/**
 * HW-NAS-Bench's headline experiment on NAS-Bench-201 CIFAR-10: for each device hwnas has latency
 * for, search for that device (task C of bench/TASKS.md: maximise accuracy subject to latency <=
 * the device's 25th percentile), then evaluate the architecture found on every other device.
 * Writes docs/benchmarks/device-matrix.md. (In apps/cli because it needs both @hwnas/search and the
 * simulators of @hwnas/device-backends, which itself depends on search.)
 *
 *   node --import tsx apps/cli/scripts/device-matrix.ts [--data DIR] [--out FILE]
 *        [--strategy gp-bo] [--budget 100] [--seeds 5]
 *
 * Devices: the latency columns of the HW-NAS-Bench table, the 13 measured device settings of
 * device-latency/nb201-devices.json (HELP), and the two simulators of libs/device-backends
 * (asic-eyeriss, fpga-zc706), run on every cell's network IR.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ACCURACY_METRICS, Benchmark, buildNetworkIR, costMetricInfo, enumerateArchs, nb201Space, resolveDataDir } from '@hwnas/bench-core';
import { simulateEyeriss, simulateFpga } from '@hwnas/device-backends';
import { columnSource, createProblem, createStrategy, runInProcess, taskC } from '@hwnas/search';

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
const tables = bench.nb201;
const accuracy = tables.column('cifar10', 'accuracy');
const n = accuracy.length;

// Latency columns by device, indexed by benchmark index (ms).
const devices: Record<string, Float64Array> = {};
for (const m of bench.metrics(nb201Space, 'cifar10')) if (m.kind === 'cost' && m.name.endsWith('_latency')) devices[m.name.replace(/_latency$/, '')] = tables.column('cifar10', m.name);
const help = JSON.parse(readFileSync(path.join(dataDir, 'device-latency', 'nb201-devices.json'), 'utf8')) as { devices: Record<string, { values: number[] }> };
for (const [name, d] of Object.entries(help.devices)) devices[`help:${name}`] = Float64Array.from(d.values);
const eyeriss = new Float64Array(n);
const fpga = new Float64Array(n);
for (const arch of enumerateArchs(nb201Space)) {
  const i = tables.indexOf(arch);
  const ir = buildNetworkIR(nb201Space, arch, 'cifar10');
  eyeriss[i] = simulateEyeriss(ir).latencyMs;
  fpga[i] = simulateFpga(ir).latencyMs;
}
devices['asic-eyeriss'] = eyeriss;
devices['fpga-zc706'] = fpga;
const names = Object.keys(devices);

const info = Object.fromEntries(names.map((d) => [d, taskC(accuracy, devices[d])]));
const cpu0 = process.cpuUsage();
/** Per searched-for device: the benchmark index found by each seed. */
const found: Record<string, number[]> = {};
for (const d of names) {
  const metric = 'latency';
  const problem = createProblem(
    { objectives: ['accuracy:max'], constraints: [{ metric, bound: info[d].threshold }] },
    [ACCURACY_METRICS.find((m) => m.name === 'accuracy')!, costMetricInfo(metric)],
  );
  const source = columnSource({ accuracy, [metric]: devices[d] }, (a) => tables.indexOf(a));
  found[d] = [];
  for (let seed = 0; seed < seeds; seed++) {
    const run = runInProcess(createStrategy(values.strategy!, { space: nb201Space, problem, seed }), nb201Space, problem, source, { budget });
    const best = run.best;
    found[d].push(best ? tables.indexOf(best.arch) : -1);
  }
  process.stderr.write(`device-matrix: searched for ${d}\n`);
}
const cpuS = (process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system) / 1e6;

// Cell (searched for d, evaluated on e): the mean over seeds of latency_e / T_e (<= 1 meets e's
// bound) and how many seeds' architectures meet it. Per column: the best accuracy among the found
// architectures that meet e's bound, and whether the one searched for e is it.
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const lines: string[] = [];
lines.push('# Device matrix: searched for one device, evaluated on every device (NAS-Bench-201 CIFAR-10)', '');
lines.push(
  `Produced by \`node --import tsx apps/cli/scripts/device-matrix.ts --strategy ${values.strategy} --budget ${budget} --seeds ${seeds}\` (search CPU ${cpuS.toFixed(0)} s). ` +
    `For each device: task C of bench/TASKS.md (maximise CIFAR-10 test accuracy subject to latency <= T, the device's 25th percentile), ${values.strategy} with ${budget} evaluations, seeds 0..${seeds - 1}; the best feasible architecture of each run is then evaluated on every device. ` +
    'Devices: the HW-NAS-Bench table columns, the 13 measured settings of HELP (`help:*`, device-latency/nb201-devices.json) and the two simulators of libs/device-backends run on each cell\'s network (asic-eyeriss, fpga-zc706).',
  '',
);
lines.push('## Own device: accuracy and regret', '');
lines.push('| searched for | T (ms) | optimum | mean accuracy found | mean regret | worst regret |', '| --- | ---: | ---: | ---: | ---: | ---: |');
for (const d of names) {
  const acc = found[d].map((i) => (i >= 0 ? accuracy[i] : NaN));
  const regret = acc.map((a) => info[d].optimum - a);
  lines.push(`| ${d} | ${info[d].threshold.toFixed(3)} | ${info[d].optimum.toFixed(2)} | ${mean(acc).toFixed(2)} | ${mean(regret).toFixed(3)} | ${Math.max(...regret).toFixed(3)} |`);
}
lines.push('', '## Latency on each device / that device\'s bound T (mean over seeds; in brackets, seeds whose architecture meets the bound)', '');
lines.push(`| searched for \\ evaluated on | ${names.join(' | ')} |`, `| --- | ${names.map(() => '---:').join(' | ')} |`);
for (const d of names) {
  const cells = names.map((e) => {
    const r = found[d].filter((i) => i >= 0).map((i) => devices[e][i] / info[e].threshold);
    const ok = r.filter((x) => x <= 1).length;
    const text = `${mean(r).toFixed(2)} (${ok}/${r.length})`;
    return d === e ? `**${text}**` : text;
  });
  lines.push(`| ${d} | ${cells.join(' | ')} |`);
}
lines.push('', '## Does the device-specific architecture win on its own device?', '');
lines.push(
  'For each device e, over all architectures found (every searched-for device, every seed) that meet e\'s bound: the most accurate one, and the rank of the best one searched for e among the searched-for devices (1 = the device-specific search found the best deployable architecture).',
  '',
);
lines.push('| evaluated on | best deployable accuracy | searched for | accuracy of the one searched for it | rank of its own search |', '| --- | ---: | --- | ---: | ---: |');
let wins = 0;
for (const e of names) {
  const byDevice = names.map((d) => {
    const ok = found[d].filter((i) => i >= 0 && devices[e][i] <= info[e].threshold).map((i) => accuracy[i]);
    return { d, best: ok.length ? Math.max(...ok) : -Infinity };
  });
  const sorted = byDevice.slice().sort((a, b) => b.best - a.best);
  const own = byDevice.find((x) => x.d === e)!;
  const rank = 1 + sorted.filter((x) => x.best > own.best).length;
  if (rank === 1) wins++;
  lines.push(`| ${e} | ${sorted[0].best.toFixed(2)} | ${sorted[0].d} | ${own.best.toFixed(2)} | ${rank} |`);
}
lines.push('', `The device-specific search found the best deployable architecture on ${wins} of ${names.length} devices.`, '');
const out = path.resolve(values.out!);
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, lines.join('\n'));
process.stderr.write(`device-matrix: wrote ${out}\n`);
