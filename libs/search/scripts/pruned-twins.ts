/**
 * Pruned twins: how a NAS-Bench-201 cell's latency changes when its dead edges (ops on no input ->
 * output path, archEncoder) are set to `none`. The two cells compute the same network, so gp-bo
 * proposes the pruned form of a candidate its constraint model calls likely infeasible, expecting
 * it to be cheaper. Per device column, over every cell whose pruned twin differs from it:
 *
 * - all such cells: mean latency change (twin minus cell, ms), mean ratio, share of twins slower;
 * - the cells just over task C's bound T (the device's 25th percentile; T < latency <= 1.5 T, the
 *   ones a repair is for): mean change, share slower, share whose twin meets T;
 * - by what the pruned edges held: a convolution, else a pooling (with or without skips), else
 *   skip connections only: mean change and share slower;
 * - task C's optimum (max CIFAR-10 accuracy with latency <= T): whether it has dead edges and
 *   whether its pruned twin meets T, and its family (the cells computing the same network): size,
 *   members that meet T, and the best accuracy of any other network that meets T.
 *
 * Devices: the table's latency columns and HELP's 13 measured settings
 * (device-latency/nb201-devices.json). Prints three markdown tables. `--help` prints the usage.
 */
import { Benchmark, loadDeviceLatency, nb201FromCode, NB201_SIZE, nb201Space, resolveDataDir } from '@hwnas/bench-core';
import { archEncoder } from '../src/arch-features';
import { percentile, taskC } from '../src/index';
import { latencyColumn, runScript, scriptArgs } from './script-args';

const USAGE = `node --import tsx libs/search/scripts/pruned-twins.ts [--devices LIST] [--data DIR]

  For every NAS-Bench-201 cell with dead edges, compares its latency with its pruned twin's (dead
  edges set to none) on each device, and prints markdown tables (see the file's doc comment).

  --devices  comma-separated: latency columns of the table (raspi4_latency, pixel3_latency) or
             HELP's measured devices (device-latency/nb201-devices.json); default all of them
  --data     the benchmark data directory (default: HWNAS_DATA or the data pack)`;

const values = scriptArgs(USAGE, { data: { type: 'string' }, devices: { type: 'string' } });

void runScript(USAGE, () => {
  const dataDir = resolveDataDir(values.data);
  const tables = Benchmark.open({ dataDir }).nb201;
  const help = loadDeviceLatency(dataDir, 'nb201');
  const names = values.devices ? values.devices.split(',') : ['raspi4_latency', 'pixel3_latency', ...help.devices.map((d) => d.name)];
  const columns = names.map((name) => ({ name, latencyMs: latencyColumn(tables, help, name).cost }));

  const KINDS = ['conv', 'pool', 'skip only'] as const;
  type Kind = (typeof KINDS)[number];
  interface Pair {
    readonly cell: number;
    readonly twin: number;
    readonly kind: Kind;
  }
  const ops = nb201Space.decisions[0].options;
  const encode = archEncoder(nb201Space);
  const pairs: Pair[] = [];
  /** Per benchmark index: the key of the network it computes (its pruned form). */
  const networkOf: string[] = new Array(NB201_SIZE);
  for (let code = 0; code < NB201_SIZE; code++) {
    const arch = nb201FromCode(code);
    const twin = encode(arch).arch;
    networkOf[tables.indexOf(arch)] = twin.join(',');
    const pruned = arch.filter((op, e) => op !== twin[e]).map((op) => ops[op]);
    if (pruned.length === 0) continue;
    const kind: Kind = pruned.some((o) => o.includes('conv')) ? 'conv' : pruned.some((o) => o.includes('pool')) ? 'pool' : 'skip only';
    pairs.push({ cell: tables.indexOf(arch), twin: tables.indexOf(twin), kind });
  }

  /** Running mean change, share slower and share meeting a bound over some pairs. */
  class Tally {
    n = 0;
    delta = 0;
    ratio = 0;
    slower = 0;
    meets = 0;
    add(a: number, b: number, bound = Infinity): void {
      this.n++;
      this.delta += b - a;
      this.ratio += b / a;
      if (b > a) this.slower++;
      if (b <= bound) this.meets++;
    }
    change(): string {
      const v = this.delta / this.n;
      return (v >= 0 ? '+' : '') + v.toFixed(3);
    }
    share(k: number): string {
      return `${((100 * k) / this.n).toFixed(0)} %`;
    }
  }

  const accuracy = tables.column('cifar10', 'accuracy');
  const twinOf = new Map(pairs.map((p) => [p.cell, p.twin]));
  const rows: string[] = [];
  const kindRows: string[] = [];
  const optimumRows: string[] = [];
  for (const { name, latencyMs } of columns) {
    const finite = Array.from(latencyMs).filter(Number.isFinite);
    // Task C's bound: the cells gp-bo repairs are those its cost model puts just over it.
    const bound = percentile(finite, 25);
    const all = new Tally();
    const near = new Tally();
    const byKind = new Map<Kind, Tally>(KINDS.map((k) => [k, new Tally()]));
    for (const { cell, twin, kind } of pairs) {
      const a = latencyMs[cell];
      const b = latencyMs[twin];
      // HELP leaves cells it did not measure as NaN.
      if (!Number.isFinite(a) || !Number.isFinite(b) || a <= 0) continue;
      all.add(a, b);
      byKind.get(kind)!.add(a, b);
      if (a > bound && a <= 1.5 * bound) near.add(a, b, bound);
    }
    const mean = finite.reduce((x, y) => x + y, 0) / finite.length;
    rows.push(
      `| ${name} | ${mean.toFixed(3)} | ${all.change()} | ${(all.ratio / all.n).toFixed(3)} | ${all.share(all.slower)} | ${near.n} | ${near.change()} | ${near.share(near.slower)} | ${near.share(near.meets)} |`,
    );
    const info = taskC(accuracy, latencyMs);
    const optimum = info.optimumIndex;
    const family = networkOf.flatMap((key, i) => (key === networkOf[optimum] ? [i] : []));
    const meets = (i: number) => latencyMs[i] <= info.threshold;
    let other = -Infinity;
    for (let i = 0; i < NB201_SIZE; i++) if (meets(i) && networkOf[i] !== networkOf[optimum]) other = Math.max(other, accuracy[i]);
    const twin = twinOf.get(optimum);
    optimumRows.push(
      `| ${name} | ${info.threshold.toFixed(3)} | ${accuracy[optimum].toFixed(2)} | ${twin === undefined ? 'no' : `yes; twin ${latencyMs[twin].toFixed(3)} ms, ${meets(twin) ? 'meets' : 'misses'} T`} | ${family.length} | ${family.filter(meets).length} | ${other.toFixed(2)} |`,
    );
    kindRows.push(`| ${name} | ${KINDS.map((k) => `${byKind.get(k)!.change()} | ${byKind.get(k)!.share(byKind.get(k)!.slower)}`).join(' | ')} |`);
  }

  const count = (k: Kind) => pairs.filter((p) => p.kind === k).length;
  console.log(`${pairs.length} of ${NB201_SIZE} cells have dead edges; their pruned twins are ${new Set(pairs.map((p) => p.twin)).size} distinct cells.`);
  console.log('');
  console.log('| device | mean latency (ms) | mean change, twin - cell (ms) | mean ratio twin / cell | twin slower | cells with T < latency <= 1.5 T | their mean change (ms) | twin slower | twin meets T |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) console.log(r);
  console.log('');
  console.log(`By what the pruned edges held (cells: ${KINDS.map((k) => `${k} ${count(k)}`).join(', ')}): mean change (ms) and share of twins slower.`);
  console.log('');
  console.log(`| device | ${KINDS.map((k) => `${k}: change | slower`).join(' | ')} |`);
  console.log(`| --- | ${KINDS.map(() => '---: | ---:').join(' | ')} |`);
  for (const r of kindRows) console.log(r);
  console.log('');
  console.log("Task C's optimum and its family (the cells that compute the same network):");
  console.log('');
  console.log('| device | T (ms) | optimum accuracy | optimum has dead edges | family size | family members meeting T | best other network meeting T |');
  console.log('| --- | ---: | ---: | --- | ---: | ---: | ---: |');
  for (const r of optimumRows) console.log(r);
});
