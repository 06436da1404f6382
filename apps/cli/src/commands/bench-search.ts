import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Benchmark, InvalidArgumentError, NB201_SIZE, nb201Space } from '@hwnas/bench-core';
import { addPeerRows, isSchedulerName, isStrategyName, parsePeerRuns, renderBenchMarkdown, renderTaskEMarkdown, runBenchSearch, runTaskE, SCHEDULER_NAMES, STRATEGY_NAMES } from '@hwnas/search';
import type { BenchMode, BenchSearchReport, BenchTask, SchedulerName, StrategyName } from '@hwnas/search';
import { DATA_OPTION, intOption, parseCommandArgs } from '../args';
import type { Command } from '../command';

const USAGE = `hwnas bench-search [--device METRIC ...] [--budgets-c 50,100,200,300,500] [--budgets-p 100,300,1000]
                   [--seeds 30] [--strategies NAME,...] [--modes joint,cost-first] [--tasks C,P]
                   [--peers FILE] [--from-json FILE] [--out DIR] [--data DIR] [--json]
hwnas bench-search --tasks E [--budgets-e 10000,20000,60000] [--schedulers sh,asha,hyperband] [--eta 3]
                   [--first-seed 0] [--seeds 30] [--strategies NAME,...] [--device METRIC ...] [--out DIR]

  Runs the search-benchmark tasks of bench/TASKS.md in-process on the NAS-Bench-201 CIFAR-10
  tables: task C (max accuracy s.t. latency <= 25th percentile; regret) and task P (accuracy vs
  latency; hypervolume ratio and gap against the exhaustive front), joint and cost-first modes,
  every strategy over seeds 0..S-1.

  --device      a latency (or any cost) column of the tables; repeatable. Default: every
                *_latency column (raspi4_latency, pixel3_latency on the shipped data).
  --strategies  comma-separated subset of ${STRATEGY_NAMES.join(', ')} (random is always run)
  --peers FILE  add the rows of another system's runs on the same tasks, scored here with the
                same code (write FILE with /usr/bin/python3 libs/search/scripts/optuna-peer.py)
  --from-json FILE  run nothing: render the search.json of an earlier run again (with --peers,
                to add peer rows that finished later)
  --out DIR     write DIR/search.md and DIR/search.json (otherwise the markdown goes to stdout)
  --tasks E     task E instead (epoch budget, 12- and 200-epoch fidelities, early stopping): every
                strategy at full fidelity and under each scheduler (${SCHEDULER_NAMES.filter((n) => n !== 'none').join(', ')};
                budget-sh, sized to the budget, runs once per budget); --out writes DIR/task-e.md
                and DIR/task-e.json. --first-seed 100 runs held-out seeds 100..129.
  --json        print the JSON report instead of the markdown`;

/** `hwnas bench-search`: the search benchmark (TASKS.md) for every strategy. */
export const benchSearchCommand: Command = {
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommandArgs('bench-search', argv, {
      ...DATA_OPTION,
      device: { type: 'string', multiple: true },
      'budgets-c': { type: 'string', default: '50,100,200,300,500' },
      'budgets-p': { type: 'string', default: '100,300,1000' },
      seeds: { type: 'string', default: '30' },
      strategies: { type: 'string' },
      modes: { type: 'string', default: 'joint,cost-first' },
      tasks: { type: 'string', default: 'C,P' },
      peers: { type: 'string' },
      'from-json': { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
      'budgets-e': { type: 'string', default: '10000,20000,60000' },
      schedulers: { type: 'string', default: 'sh,asha,hyperband' },
      eta: { type: 'string', default: '3' },
      'first-seed': { type: 'string', default: '0' },
    });
    const seeds = intOption('bench-search', 'seeds', values.seeds as string, 1, 10_000)!;
    const budgetsC = intList('budgets-c', values['budgets-c'] as string);
    const budgetsP = intList('budgets-p', values['budgets-p'] as string);
    const strategies = values.strategies ? list(values.strategies as string).map(strategyName) : undefined;
    const modes = list(values.modes as string).map((m) => oneOf('modes', m, ['joint', 'cost-first'])) as BenchMode[];
    const taskNames = list(values.tasks as string).map((t) => oneOf('tasks', t, ['C', 'P', 'E']));
    if (taskNames.includes('E') && taskNames.length > 1) throw new InvalidArgumentError('hwnas bench-search: --tasks E runs on its own (its budgets are epochs)');
    const tasks = taskNames as BenchTask[];

    const bench = Benchmark.open({ dataDir: values.data as string | undefined });
    const tables = bench.nb201;
    const available = bench.metrics(nb201Space, 'cifar10').filter((m) => m.kind === 'cost').map((m) => m.name);
    const fromJson = values['from-json'] as string | undefined;
    // JSON writes NaN (the budgets a peer did not run) as null: read it back as NaN, so that a page
    // that already has peer rows can be rendered again with more of them.
    const earlier = fromJson ? (readJson(fromJson, '--from-json', (_k, v) => (v === null ? NaN : v)) as BenchSearchReport & { command: string; wallSeconds: number }) : undefined;
    const devices = earlier ? [...new Set(earlier.tables.map((t) => t.device))] : ((values.device as string[] | undefined) ?? available.filter((m) => m.endsWith('_latency')));
    const costs: Record<string, Float64Array> = {};
    for (const d of devices) costs[d] = tables.column('cifar10', d);

    if (taskNames[0] === 'E') {
      // Task E: epoch budgets over the 12- and 200-epoch tables.
      const wallE0 = Date.now();
      const schedulers = list(values.schedulers as string).map((n) => {
        if (!isSchedulerName(n)) throw new InvalidArgumentError(`hwnas bench-search: unknown scheduler "${n}"; known: ${SCHEDULER_NAMES.join(', ')}`);
        return n as SchedulerName;
      });
      const eta = Number(values.eta);
      if (!(eta > 1)) throw new InvalidArgumentError(`hwnas bench-search: --eta must be a number greater than 1, got "${values.eta as string}"`);
      const firstSeed = intOption('bench-search', 'first-seed', values['first-seed'] as string, 0)!;
      const reportE = runTaskE(
        { space: nb201Space, accuracy: tables.column('cifar10', 'accuracy'), accuracy12: tables.column('cifar10', 'accuracy_12ep'), costs, indexOf: (a) => tables.indexOf(a) },
        { devices, budgets: intList('budgets-e', values['budgets-e'] as string), seeds, firstSeed, ...(strategies ? { strategies } : {}), schedulers, eta, onProgress: (line) => io.err(line) },
      );
      const wallE = (Date.now() - wallE0) / 1000;
      const commandE = commandLine(argv);
      const md = renderTaskEMarkdown(reportE, [`Produced by \`${commandE}\` on the data directory's NAS-Bench-201 CIFAR-10 tables (${devices.join(', ')}), in-process, one process; wall time ${wallE.toFixed(0)} s.`]);
      const jsonE = JSON.stringify({ command: commandE, wallSeconds: wallE, ...reportE }, null, 1);
      if (values.out) {
        const dir = path.resolve(values.out as string);
        mkdirSync(dir, { recursive: true });
        writeFileSync(path.join(dir, 'task-e.md'), md + '\n');
        writeFileSync(path.join(dir, 'task-e.json'), jsonE + '\n');
        io.err(`wrote ${path.join(dir, 'task-e.md')} and task-e.json (${wallE.toFixed(0)} s)`);
      }
      if (values.json) io.out(jsonE);
      else if (!values.out) io.out(md);
      return 0;
    }

    const wall0 = Date.now();
    const cpu = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    const peersFile = values.peers as string | undefined;
    const peers = peersFile ? parsePeerRuns(readJson(peersFile, '--peers'), `hwnas bench-search --peers ${peersFile}`, NB201_SIZE) : undefined;
    const own =
      earlier ??
      runBenchSearch(
        { space: nb201Space, accuracy: tables.column('cifar10', 'accuracy'), costs, indexOf: (a) => tables.indexOf(a) },
        { devices, budgetsC, budgetsP, seeds, ...(strategies ? { strategies } : {}), modes, tasks, cpuClockMs: cpu, onProgress: (line) => io.err(line) },
      );
    const report = peers ? addPeerRows(own, { accuracy: tables.column('cifar10', 'accuracy'), costs }, peers) : own;
    const wallS = earlier ? earlier.wallSeconds : (Date.now() - wall0) / 1000;
    const thisCommand = commandLine(argv);
    const command = earlier ? `${earlier.command}\` then \`${thisCommand}` : thisCommand;
    const markdown = renderBenchMarkdown(report, {
      lines: [
        `Produced by \`${command}\` on the data directory's NAS-Bench-201 CIFAR-10 tables (${devices.join(', ')}), in-process, one process.`,
        `Harness wall time ${wallS.toFixed(0)} s; CPU ${((report.cpuMs ?? 0) / 1000).toFixed(0)} s.`,
        ...(peers ? [`Rows named optuna-* are ${peers.tool}'s samplers on the same tasks (\`libs/search/scripts/optuna-peer.py\`; distinct architectures, a repeated proposal gets the cached value and does not count), scored by the same code; their CPU is the sampler's own, per run.`] : []),
      ],
    });
    const json = JSON.stringify({ command, wallSeconds: wallS, ...report }, null, 1);
    if (values.out) {
      const dir = path.resolve(values.out as string);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'search.md'), markdown + '\n');
      writeFileSync(path.join(dir, 'search.json'), json + '\n');
      io.err(`wrote ${path.join(dir, 'search.md')} and search.json (${wallS.toFixed(0)} s)`);
    }
    if (values.json) io.out(json);
    else if (!values.out) io.out(markdown);
    return 0;
  },
};

function readJson(file: string, flag: string, reviver?: (key: string, value: unknown) => unknown): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InvalidArgumentError(`hwnas bench-search: cannot read ${flag} ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text, reviver);
  } catch (e) {
    throw new InvalidArgumentError(`hwnas bench-search: ${flag} ${file} is not JSON: ${(e as Error).message}`);
  }
}

function list(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function intList(name: string, text: string): number[] {
  const items = list(text);
  if (items.length === 0) throw new InvalidArgumentError(`hwnas bench-search: --${name} needs at least one budget`);
  return items.map((v) => intOption('bench-search', name, v, 1)!);
}

function oneOf(name: string, value: string, allowed: readonly string[]): string {
  if (!allowed.includes(value)) throw new InvalidArgumentError(`hwnas bench-search: --${name} accepts ${allowed.join(', ')}, got "${value}"`);
  return value;
}

function strategyName(name: string): StrategyName {
  if (!isStrategyName(name)) throw new InvalidArgumentError(`hwnas bench-search: unknown strategy "${name}"; known: ${STRATEGY_NAMES.join(', ')}`);
  return name;
}

/**
 * The command as the report names it, without the data directory (a path of the machine it ran on),
 * whether given as `--data DIR` or `--data=DIR`.
 */
export function commandLine(argv: readonly string[]): string {
  const kept = argv.filter((a, i) => !(a === '--data' || a.startsWith('--data=') || argv[i - 1] === '--data'));
  return ['hwnas bench-search', ...kept].join(' ');
}
