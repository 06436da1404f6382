import { Benchmark, DATA_DIR_ENV, findDataDir, InvalidArgumentError, PACK_ENV, NB201_SIZE, Rng, getSpace, isNasError, sampleArch } from '@hwnas/bench-core';
import type { Arch, SearchSpace } from '@hwnas/bench-core';
import type { DeviceBackend, DeviceInfo, LayerBreakdown, Measurement } from '@hwnas/device-backends';
import { backendTraits, createBackend } from '@hwnas/device-backends';
import { DATA_OPTION, intOption, parseCommandArgs, required } from '../args';
import type { Command, CommandIO } from '../command';
import { fmt, renderTable } from '../format';

const USAGE = `hwnas measure --device ID --space nb201|fbnet --dataset DATASET
              (--arch ARCH | --index N[,N...] | --sample K [--seed S] | --all)
              [--data DIR] [--json] [--breakdown] [--threads N] [--warmup N] [--repeats N]

  Measures architectures on a device backend in this process (see hwnas devices): the simulators
  asic-eyeriss and fpga-zc706, host-cpu (a real ONNX Runtime measurement on this machine), or the
  HW-NAS-Bench replays raspi4, pixel3, edgegpu (these need the benchmark data: the data pack
  hwnas ships, or --data DIR / $${DATA_DIR_ENV}).

  --arch ARCH       one architecture (nb201 arch string; fbnet JSON index array or block names)
  --index N[,N...]  nb201 benchmark indices, comma-separated (needs the benchmark data)
  --sample K        K distinct random architectures from seed S (--seed, default 0); nb201 by index
  --all             every architecture (nb201 only: all ${NB201_SIZE}, in index order)
  --json            JSON Lines, one object per architecture: device, space, dataset, index (nb201,
                    when the index table is available), arch, latency_ms, energy_mj (where the device
                    has it), kind, and for measured devices repeats, spread (p90/p50-1), unstable
  --breakdown       per-layer costs of one architecture (simulators)
  --threads/--warmup/--repeats  host-cpu timing options (defaults 1, 5, 30)

  A failure on one architecture is printed as {"arch", "error": {code, message}} and the command
  exits 1 after the others; bad usage exits 2 before anything is measured.`;

/** One architecture to measure, with its benchmark index when known. */
interface Target {
  readonly arch: Arch;
  readonly index?: number;
}

/** Writes lines in blocks: 15625 lines one write each would cost more than the simulations. */
class LineWriter {
  private lines: string[] = [];
  constructor(
    private readonly io: CommandIO,
    private readonly blockSize: number,
  ) {}
  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length >= this.blockSize) this.flush();
  }
  flush(): void {
    if (this.lines.length) this.io.out(this.lines.join('\n'));
    this.lines = [];
  }
}

/** `hwnas measure`: architectures through a device backend, as JSON Lines or a table. */
export const measureCommand: Command = {
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommandArgs('measure', argv, {
      ...DATA_OPTION,
      device: { type: 'string' },
      space: { type: 'string' },
      dataset: { type: 'string' },
      arch: { type: 'string' },
      index: { type: 'string' },
      sample: { type: 'string' },
      seed: { type: 'string' },
      all: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      breakdown: { type: 'boolean', default: false },
      threads: { type: 'string' },
      warmup: { type: 'string' },
      repeats: { type: 'string' },
    });
    const deviceId = required('measure', values, 'device');
    const space = getSpace(required('measure', values, 'space'));
    const dataset = required('measure', values, 'dataset');
    const selectors = (['arch', 'index', 'sample', 'all'] as const).filter((k) => values[k] !== undefined && values[k] !== false);
    if (selectors.length !== 1) throw new InvalidArgumentError('hwnas measure: give exactly one of --arch ARCH, --index N[,N...], --sample K or --all');
    if (values.seed !== undefined && values.sample === undefined) throw new InvalidArgumentError('hwnas measure: --seed goes with --sample');
    const traits = backendTraits(deviceId);

    const dataDir = values.data as string | undefined;
    // A directory given, $HWNAS_DATA, or the data pack.
    const hasData = findDataDir(dataDir) !== undefined;
    let benchmark: Benchmark | undefined;
    const bench = (why: string): Benchmark => {
      if (!benchmark && !hasData) throw new InvalidArgumentError(`hwnas measure: ${why} needs the benchmark data: pass --data DIR or set ${DATA_DIR_ENV} (the data pack is off or missing: $${PACK_ENV}="${process.env[PACK_ENV] ?? ''}")`);
      return (benchmark ??= Benchmark.open({ dataDir }));
    };
    if (traits.needsData) bench(`device ${deviceId}`);
    const targets = selectTargets(space, values, (why) => bench(why), hasData ? () => bench('') : undefined);
    if (values.breakdown && targets.length !== 1) throw new InvalidArgumentError('hwnas measure: --breakdown takes exactly one architecture (--arch or a single --index)');

    const backend = createBackend(deviceId, {
      benchmark,
      dataDir,
      hostCpu: {
        threads: intOption('measure', 'threads', values.threads as string | undefined, 1),
        warmup: intOption('measure', 'warmup', values.warmup as string | undefined, 0),
        repeats: intOption('measure', 'repeats', values.repeats as string | undefined, 1),
      },
    });
    try {
      const info = backend.describe();
      const support = info.supports.find((s) => s.space === space.id);
      if (!support || !support.datasets.includes(dataset)) {
        const serves = info.supports.map((s) => `${s.space} (${s.datasets.join(', ')})`).join(', ');
        throw new InvalidArgumentError(`hwnas measure: device ${info.id} does not measure ${space.id} on ${dataset}; it serves ${serves}`);
      }
      return await measureAll(backend, info, space, dataset, targets, { json: values.json === true, breakdown: values.breakdown === true }, io);
    } finally {
      await backend.close();
    }
  },
};

/** The architectures the selector flags name. `bench` opens the data or explains why it is needed. */
function selectTargets(space: SearchSpace, values: Record<string, unknown>, bench: (why: string) => Benchmark, optionalBench?: () => Benchmark): Target[] {
  const nb201 = space.id === 'nb201';
  if (values.arch !== undefined) {
    const arch = space.parse(values.arch as string);
    // The index is reported whenever the index table is at hand, but --arch does not require it.
    return [{ arch, ...(nb201 && optionalBench ? { index: optionalBench().nb201.indexOf(arch) } : {}) }];
  }
  if (values.index !== undefined) {
    if (!nb201) throw new InvalidArgumentError('hwnas measure: --index is only defined for --space nb201; use --arch for fbnet');
    const raw = (values.index as string).split(',');
    const indices = raw.map((s) => intOption('measure', 'index', s.trim(), 0, NB201_SIZE - 1)!);
    const table = bench('--index').nb201.index;
    return indices.map((index) => ({ arch: table.archAt(index), index }));
  }
  if (values.sample !== undefined) {
    const k = intOption('measure', 'sample', values.sample as string, 1)!;
    const rng = new Rng(intOption('measure', 'seed', values.seed as string | undefined, 0) ?? 0);
    if (nb201) {
      if (k > NB201_SIZE) throw new InvalidArgumentError(`hwnas measure: --sample must be at most ${NB201_SIZE} for nb201, got ${k}`);
      const table = bench('--sample on nb201').nb201.index;
      const indices = rng.shuffle(Array.from({ length: NB201_SIZE }, (_, i) => i)).slice(0, k);
      return indices.map((index) => ({ arch: table.archAt(index), index }));
    }
    // FBNet has 9^22 architectures: independent draws, duplicates dropped.
    const seen = new Set<string>();
    const out: Target[] = [];
    while (out.length < k) {
      const arch = sampleArch(space, rng);
      const key = arch.join(',');
      if (!seen.has(key)) {
        seen.add(key);
        out.push({ arch });
      }
    }
    return out;
  }
  if (!nb201) throw new InvalidArgumentError(`hwnas measure: --all is only defined for nb201 (${space.id} has too many architectures); use --sample K`);
  const table = bench('--all').nb201.index;
  return Array.from({ length: NB201_SIZE }, (_, index) => ({ arch: table.archAt(index), index }));
}

/** One JSON Lines record: the contract fields first, then how the value was obtained. */
function record(info: DeviceInfo, space: SearchSpace, dataset: string, t: Target, m: Measurement): Record<string, unknown> {
  return {
    device: info.id,
    space: space.id,
    dataset,
    ...(t.index !== undefined ? { index: t.index } : {}),
    arch: space.format(t.arch),
    ...m.metrics,
    kind: m.method.kind,
    ...(m.method.kind === 'measured' ? { repeats: m.method.repeats, spread: m.method.spread, unstable: m.method.unstable } : {}),
  };
}

async function measureAll(
  backend: DeviceBackend,
  info: DeviceInfo,
  space: SearchSpace,
  dataset: string,
  targets: readonly Target[],
  opts: { json: boolean; breakdown: boolean },
  io: CommandIO,
): Promise<number> {
  // Real measurements are slow: print each line as it comes. Simulations: in blocks.
  const out = new LineWriter(io, info.kind === 'measured' ? 1 : 1000);
  const metricNames = info.metrics.map((m) => m.name);
  const rows: string[][] = [['index', 'arch', ...metricNames, ...(info.kind === 'measured' ? ['spread', 'unstable'] : [])]];
  let failed = 0;
  for (const t of targets) {
    let m: Measurement;
    try {
      m = await backend.measure({ space: space.id, dataset, arch: t.arch, breakdown: opts.breakdown });
    } catch (e) {
      if (!isNasError(e) || e.code === 'invalid_argument' || e.code === 'internal') throw e;
      failed++;
      const line = { device: info.id, ...(t.index !== undefined ? { index: t.index } : {}), arch: space.format(t.arch), error: { code: e.code, message: e.message } };
      if (opts.json) out.push(JSON.stringify(line));
      else io.err(`hwnas measure: ${line.arch}: ${e.message}`);
      continue;
    }
    if (opts.breakdown) {
      if (!m.breakdown) throw new InvalidArgumentError(`hwnas measure: device ${info.id} does not report a per-layer breakdown`);
      if (opts.json) out.push(JSON.stringify({ ...record(info, space, dataset, t, m), breakdown: m.breakdown }));
      else out.push(`${info.id} ${space.format(t.arch)} on ${dataset}: ${metricNames.map((n) => `${n} ${fmt(m.metrics[n])}`).join(', ')}\n\n${renderBreakdown(m.breakdown)}`);
      continue;
    }
    if (opts.json) out.push(JSON.stringify(record(info, space, dataset, t, m)));
    else {
      rows.push([
        t.index !== undefined ? String(t.index) : '-',
        space.format(t.arch),
        ...metricNames.map((n) => fmt(m.metrics[n])),
        ...(info.kind === 'measured' ? [fmt(m.method.spread), String(m.method.unstable ?? false)] : []),
      ]);
    }
  }
  if (!opts.json && !opts.breakdown) out.push(renderTable(rows));
  out.flush();
  return failed > 0 ? 1 : 0;
}

function renderBreakdown(layers: readonly LayerBreakdown[]): string {
  const rows = [['layer', 'block', 'type', 'macs', 'cycles', 'latency_ms', 'energy_mj']];
  for (const l of layers) rows.push([l.name, l.block, l.type, String(l.macs), String(l.cycles), fmt(l.latencyMs), fmt(l.energyMj)]);
  return renderTable(rows);
}
