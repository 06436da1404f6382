import { isNasError } from '@hwnas/bench-core';
import type { Command, CommandIO } from './command';
import { queryCommand } from './commands/query';
import { devicesCommand } from './commands/devices';
import { measureCommand } from './commands/measure';
import { statusCommand } from './commands/status';
import { watchCommand } from './commands/watch';
import { cancelCommand } from './commands/cancel';
import { listCommand } from './commands/list';
import { deleteCommand } from './commands/delete';
import { resultsCommand } from './commands/results';
import { searchCommand } from './commands/search';
import { benchSearchCommand } from './commands/bench-search';
import { costModelCommand } from './commands/cost-model';
import { calibrateCommand } from './commands/calibrate';

/** Every subcommand, by name. */
const COMMANDS: Readonly<Record<string, Command>> = {
  query: queryCommand,
  devices: devicesCommand,
  measure: measureCommand,
  status: statusCommand,
  watch: watchCommand,
  cancel: cancelCommand,
  list: listCommand,
  delete: deleteCommand,
  results: resultsCommand,
  search: searchCommand,
  'bench-search': benchSearchCommand,
  'cost-model': costModelCommand,
  calibrate: calibrateCommand,
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
 * Runs the CLI and returns the exit code: 0 on success, 2 for bad usage or input
 * (invalid_argument), 1 for any other failure. Errors go to stderr as one line.
 */
export async function main(argv: readonly string[], io: CommandIO = stdio): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(help());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`hwnas: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.usage);
    return 0;
  }
  try {
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
