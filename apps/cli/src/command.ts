/** Where a command writes: injected so tests can capture output without spawning a process. */
export interface CommandIO {
  out(text: string): void;
  err(text: string): void;
}

/** One `hwnas` subcommand. `run` returns the process exit code. */
export interface Command {
  readonly summary: string;
  readonly usage: string;
  run(argv: readonly string[], io: CommandIO): Promise<number>;
}
