/** Where a command writes: injected so tests can capture output without spawning a process. */
export interface CommandIO {
  out(text: string): void;
  err(text: string): void;
}

/**
 * One `hwnas` subcommand. `run` returns the process exit code. Its one-line summary is in the
 * command table (main.ts), so that `hwnas --help` lists the commands without loading them.
 */
export interface Command {
  readonly usage: string;
  run(argv: readonly string[], io: CommandIO): Promise<number>;
}
