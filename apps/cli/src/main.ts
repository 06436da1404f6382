import { isNasError } from '@hwnas/bench-core';
import type { Command, CommandIO } from './command';

/** A subcommand as the table knows it: its summary, and how to load it when it runs. */
interface CommandEntry {
  readonly summary: string;
  load(): Promise<Command>;
}

/**
 * Every subcommand, one line each: its summary and a lazy import. A command's module and its
 * dependencies (ONNX Runtime, gRPC, OpenTelemetry, ...) load only when that command runs, so
 * `hwnas --help` and light commands start at once.
 */
const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  query: { summary: 'look an architecture up in the benchmark tables', load: async () => (await import('./commands/query.js')).queryCommand },
  devices: { summary: 'list the device backends (simulators, host CPU, HW-NAS-Bench replays)', load: async () => (await import('./commands/devices.js')).devicesCommand },
  measure: { summary: 'measure architectures on a device backend (simulator, host CPU, replay)', load: async () => (await import('./commands/measure.js')).measureCommand },
  status: { summary: 'show a search on a coordinator', load: async () => (await import('./commands/status.js')).statusCommand },
  watch: { summary: 'follow a search on a coordinator with a live progress bar', load: async () => (await import('./commands/watch.js')).watchCommand },
  cancel: { summary: 'cancel a search on a coordinator', load: async () => (await import('./commands/cancel.js')).cancelCommand },
  list: { summary: 'list the searches on a coordinator', load: async () => (await import('./commands/list.js')).listCommand },
  delete: { summary: 'delete an ended search from a coordinator', load: async () => (await import('./commands/delete.js')).deleteCommand },
  results: { summary: 'print (and plot) the results of a search on a coordinator', load: async () => (await import('./commands/results.js')).resultsCommand },
  search: { summary: 'run a hardware-aware search strategy on the benchmark tables', load: async () => (await import('./commands/search.js')).searchCommand },
  'bench-search': { summary: 'benchmark every search strategy on tasks C and P (bench/TASKS.md)', load: async () => (await import('./commands/bench-search.js')).benchSearchCommand },
  'cost-model': { summary: 'evaluate the few-sample latency predictor (leave one device out, or your device)', load: async () => (await import('./commands/cost-model.js')).costModelCommand },
  calibrate: { summary: 'learn a device from K measurements and store its cost model', load: async () => (await import('./commands/calibrate.js')).calibrateCommand },
};

const stdio: CommandIO = {
  out: (text) => process.stdout.write(text + '\n'),
  err: (text) => process.stderr.write(text + '\n'),
};

function help(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length));
  return [
    'hwnas: hardware-aware neural architecture search',
    '',
    'usage: hwnas <command> [options]   (hwnas <command> --help for its options)',
    '',
    ...names.map((n) => `  ${n.padEnd(width)}  ${COMMANDS[n].summary}`),
  ].join('\n');
}

/**
 * Every help text the CLI prints, by command name ('' for `hwnas --help`): what the build writes
 * to help.json beside the bundle, so that the bin answers `hwnas --help` and
 * `hwnas <command> --help` without loading the bundle (bin/fast-help.cjs). Loads every command.
 */
export async function helpTexts(): Promise<Record<string, string>> {
  const texts: Record<string, string> = { '': help() };
  for (const [name, entry] of Object.entries(COMMANDS)) texts[name] = (await entry.load()).usage;
  return texts;
}

/**
 * Runs the CLI and returns the exit code: 0 on success, 2 for bad usage or input
 * (invalid_argument), 1 for any other failure. Errors go to stderr as one line.
 */
export async function main(argv: readonly string[], io: CommandIO = stdio): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(help());
    return name ? 0 : 2;
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    io.err(`hwnas: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  try {
    const command = await entry.load();
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(command.usage);
      return 0;
    }
    return await command.run(rest, io);
  } catch (e) {
    if (isNasError(e)) {
      // One prefix: messages that already name the command are not prefixed again.
      const message = e.message.startsWith(`hwnas ${name}: `) ? e.message.slice(`hwnas ${name}: `.length) : e.message;
      io.err(`hwnas ${name}: error: ${message}`);
      return e.code === 'invalid_argument' ? 2 : 1;
    }
    io.err(`hwnas ${name}: internal error: ${(e as Error)?.stack ?? String(e)}`);
    return 1;
  }
}
