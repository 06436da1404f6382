import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Benchmark, InvalidArgumentError, NB201_SIZE, nb201Space } from '@hwnas/bench-core';
import type { Arch } from '@hwnas/bench-core';
import { addPeerRows, isSchedulerName, isStrategyName, parsePeerRuns, renderBenchMarkdown, renderTaskEMarkdown, rerunStrategies, runBenchSearch, runTaskE, SCHEDULER_NAMES, STRATEGY_NAMES } from '@hwnas/search';
import type { BenchMode, BenchSearchReport, BenchTask, SchedulerName, StrategyName } from '@hwnas/search';
import { DATA_OPTION, intOption, parseCommandArgs } from '../args';
import type { Command } from '../command';

const USAGE = `hwnas bench-search [--device METRIC ...] [--budgets-c 50,100,200,300,500] [--budgets-p 100,300,1000]
                   [--seeds 30] [--strategies NAME,...] [--modes joint,cost-first] [--tasks C,P]
                   [--peers FILE] [--from-json FILE] [--notes FILE] [--out DIR] [--data DIR] [--json]
hwnas bench-search --merge FILE --strategies NAME,... [--notes FILE] [--out DIR] [--data DIR] [--json]
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
  --merge FILE  re-run only --strategies on the grid of an earlier search.json (its devices, tasks,
                modes, budgets and seeds) and replace their rows, keeping every other row; refuses
                when --seeds, --budgets-*, --modes, --tasks or --device is given and differs
  --notes FILE  markdown placed under the page's header; kept in search.json, so --from-json and
                --merge render it again
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
      // No defaults for the grid's flags: --merge must know which ones were given.
      'budgets-c': { type: 'string' },
      'budgets-p': { type: 'string' },
      seeds: { type: 'string' },
      strategies: { type: 'string' },
      modes: { type: 'string' },
      tasks: { type: 'string' },
      peers: { type: 'string' },
      'from-json': { type: 'string' },
      merge: { type: 'string' },
      notes: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
      'budgets-e': { type: 'string', default: '10000,20000,60000' },
      schedulers: { type: 'string', default: 'sh,asha,hyperband' },
      eta: { type: 'string', default: '3' },
      'first-seed': { type: 'string', default: '0' },
    });
    const given = (name: string) => values[name] !== undefined;
    const seeds = intOption('bench-search', 'seeds', (values.seeds as string | undefined) ?? '30', 1, 10_000)!;
    const budgetsC = intList('budgets-c', (values['budgets-c'] as string | undefined) ?? '50,100,200,300,500');
    const budgetsP = intList('budgets-p', (values['budgets-p'] as string | undefined) ?? '100,300,1000');
    const strategies = values.strategies ? list(values.strategies as string).map(strategyName) : undefined;
    const modes = list((values.modes as string | undefined) ?? 'joint,cost-first').map((m) => oneOf('modes', m, ['joint', 'cost-first'])) as BenchMode[];
    const taskNames = list((values.tasks as string | undefined) ?? 'C,P').map((t) => oneOf('tasks', t, ['C', 'P', 'E']));
    if (taskNames.includes('E') && taskNames.length > 1) throw new InvalidArgumentError('hwnas bench-search: --tasks E runs on its own (its budgets are epochs)');
    const tasks = taskNames as BenchTask[];
    const mergeFile = values.merge as string | undefined;
    if (mergeFile !== undefined) {
      if (given('from-json')) throw new InvalidArgumentError('hwnas bench-search: --merge and --from-json exclude each other (--merge re-runs rows, --from-json runs nothing)');
      if (!strategies) throw new InvalidArgumentError('hwnas bench-search: --merge needs --strategies NAME,... (the rows to re-run)');
      if (taskNames[0] === 'E') throw new InvalidArgumentError('hwnas bench-search: --merge works on tasks C and P, not E');
      if (given('peers')) throw new InvalidArgumentError('hwnas bench-search: --merge keeps the peer rows it finds; add new ones afterwards with --from-json --peers');
    }
    const notesFile = values.notes as string | undefined;
    const notes = notesFile !== undefined ? readText(notesFile, '--notes') : undefined;

    const bench = Benchmark.open({ dataDir: values.data as string | undefined });
    const tables = bench.nb201;
    const available = bench.metrics(nb201Space, 'cifar10').filter((m) => m.kind === 'cost').map((m) => m.name);
    const fromJson = values['from-json'] as string | undefined;
    const earlierFile = fromJson ?? mergeFile;
    const earlierSaved = earlierFile ? savedReport(earlierFile, fromJson ? '--from-json' : '--merge') : undefined;
    const earlier = earlierSaved?.report;
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
    const benchTables = { space: nb201Space, accuracy: tables.column('cifar10', 'accuracy'), costs, indexOf: (a: Arch) => tables.indexOf(a) };
    const thisCommand = commandLine(argv);
    let own: BenchSearchReport;
    let merges = earlierSaved?.merges ?? [];
    if (mergeFile !== undefined && earlier) {
      const requested = {
        ...(given('seeds') ? { seeds } : {}),
        ...(given('budgets-c') ? { budgetsC } : {}),
        ...(given('budgets-p') ? { budgetsP } : {}),
        ...(given('modes') ? { modes } : {}),
        ...(given('tasks') ? { tasks } : {}),
        ...(given('device') ? { devices: values.device as string[] } : {}),
      };
      const { report: merged, fresh } = rerunStrategies(benchTables, earlier, `hwnas bench-search --merge ${mergeFile}`, {
        strategies: strategies!,
        requested,
        cpuClockMs: cpu,
        onProgress: (line) => io.err(line),
      });
      own = merged;
      // A merge whose rows are all re-run now no longer describes any row of the page.
      const kept = merges.filter((m) => m.strategies.some((name) => !strategies!.includes(name as StrategyName)));
      merges = [...kept, { command: thisCommand, strategies: strategies!, wallSeconds: (Date.now() - wall0) / 1000, cpuMs: fresh.cpuMs ?? 0 }];
    } else {
      own =
        earlier ??
        runBenchSearch(benchTables, { devices, budgetsC, budgetsP, seeds, ...(strategies ? { strategies } : {}), modes, tasks, cpuClockMs: cpu, onProgress: (line) => io.err(line) });
    }
    const report = peers ? addPeerRows(own, { accuracy: tables.column('cifar10', 'accuracy'), costs }, peers) : own;
    const wallS = earlierSaved ? earlierSaved.wallSeconds : (Date.now() - wall0) / 1000;
    // The command that produced the rows: a re-render adds none (only --peers does), and a merge's
    // own command is listed under merges.
    const command = earlierSaved && peers ? `${earlierSaved.command}\` then \`${thisCommand}` : (earlierSaved?.command ?? thisCommand);
    const peerTool = peers?.tool ?? earlierSaved?.peerTool;
    const pageNotes = notes ?? earlierSaved?.notes;
    const hasPeers = report.tables.some((t) => t.rows.some((r) => r.strategy !== 'random+screen' && !report.strategies.includes(r.strategy as StrategyName)));
    const markdown = renderBenchMarkdown(report, {
      lines: [
        `Produced by \`${command}\` on the data directory's NAS-Bench-201 CIFAR-10 tables (${devices.join(', ')}), in-process, one process.`,
        `Harness wall time ${wallS.toFixed(0)} s; CPU ${((report.cpuMs ?? 0) / 1000).toFixed(0)} s.`,
        ...merges.map((m) => `Rows of ${m.strategies.join(', ')} re-run later on the same tasks, budgets and seeds by \`${m.command}\` (wall time ${m.wallSeconds.toFixed(0)} s; CPU ${(m.cpuMs / 1000).toFixed(0)} s); every other row is from the run above.`),
        ...(hasPeers && peerTool ? [`Rows named optuna-* are ${peerTool}'s samplers on the same tasks (\`libs/search/scripts/optuna-peer.py\`; distinct architectures, a repeated proposal gets the cached value and does not count), scored by the same code; their CPU is the sampler's own, per run.`] : []),
        ...(pageNotes ? ['', pageNotes.trimEnd()] : []),
      ],
    });
    const json = JSON.stringify({ command, wallSeconds: wallS, ...(merges.length ? { merges } : {}), ...(peerTool ? { peerTool } : {}), ...(pageNotes ? { notes: pageNotes } : {}), ...report }, null, 1);
    if (values.out) {
      const dir = path.resolve(values.out as string);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'search.md'), markdown + '\n');
      writeFileSync(path.join(dir, 'search.json'), json + '\n');
      io.err(`wrote ${path.join(dir, 'search.md')} and search.json (${((Date.now() - wall0) / 1000).toFixed(0)} s)`);
    }
    if (values.json) io.out(json);
    else if (!values.out) io.out(markdown);
    return 0;
  },
};

/** A merge recorded in search.json: which rows a later command re-ran, and what it cost. */
interface MergeRecord {
  readonly command: string;
  readonly strategies: readonly string[];
  readonly wallSeconds: number;
  readonly cpuMs: number;
}

/** search.json: the report and what the page says about how it was made. */
interface SavedReport {
  readonly command: string;
  readonly wallSeconds: number;
  readonly merges?: readonly MergeRecord[];
  /** Name of the system whose peer rows the report holds (e.g. `optuna 3.1.0`). */
  readonly peerTool?: string;
  /** Markdown under the page's header (--notes). */
  readonly notes?: string;
  readonly report: BenchSearchReport;
}

/** Reads a search.json written by this command, splitting the page's fields from the report. */
function savedReport(file: string, flag: string): SavedReport {
  // JSON writes NaN (the budgets a peer did not run) as null: read it back as NaN, so that a page
  // that already has peer rows can be rendered again with more of them.
  const json = readJson(file, flag, (_k, v) => (v === null ? NaN : v));
  if (typeof json !== 'object' || json === null || !Array.isArray((json as { tables?: unknown }).tables) || !Array.isArray((json as { strategies?: unknown }).strategies)) {
    throw new InvalidArgumentError(`hwnas bench-search: ${flag} ${file} is not a search.json of bench-search (no "tables" and "strategies")`);
  }
  const { command, wallSeconds, merges, peerTool, notes, ...report } = json as Record<string, unknown>;
  return {
    command: typeof command === 'string' ? command : `(unknown command of ${file})`,
    wallSeconds: typeof wallSeconds === 'number' && Number.isFinite(wallSeconds) ? wallSeconds : 0,
    ...(Array.isArray(merges) ? { merges: merges as MergeRecord[] } : {}),
    ...(typeof peerTool === 'string' ? { peerTool } : {}),
    ...(typeof notes === 'string' ? { notes } : {}),
    report: report as unknown as BenchSearchReport,
  };
}

function readText(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new InvalidArgumentError(`hwnas bench-search: cannot read ${flag} ${file}: ${(e as Error).message}`);
  }
}

function readJson(file: string, flag: string, reviver?: (key: string, value: unknown) => unknown): unknown {
  const text = readText(file, flag);
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
 * The command as the report names it, without the data directory (a path of the machine it ran on)
 * and the notes file (the page holds its text), whether given as `--flag VALUE` or `--flag=VALUE`.
 */
export function commandLine(argv: readonly string[]): string {
  const dropped = ['--data', '--notes'];
  const kept = argv.filter((a, i) => !(dropped.includes(a) || dropped.some((f) => a.startsWith(`${f}=`)) || dropped.includes(argv[i - 1])));
  return ['hwnas bench-search', ...kept].join(' ');
}
