import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Metrics } from '@hwnas/bench-core';
import { isNasError } from '@hwnas/bench-core';
import { TrainerCancelledError, TrainerCommandError, TrainerFailedError, TrainerTimeoutError } from './errors';
import { parseTrainerLine, STDIN_LIFELINE_ENV } from './protocol';
import type { TrainerArch, TrainerMessage } from './protocol';

/** Default grace between SIGTERM and SIGKILL of a trainer's process group (the contract's 10 s). */
export const DEFAULT_KILL_GRACE_MS = 10_000;
/** Default number of stderr lines quoted in a failure reason. */
export const DEFAULT_STDERR_TAIL_LINES = 20;

/**
 * Exit codes that say the command itself is wrong, by convention: 2 is a usage error (Python's
 * argparse, most CLIs; Python too for a script it cannot open), 126 and 127 a shell or wrapper that
 * could not run its program. The evaluation fails without the retries a crash would get.
 */
const USAGE_EXIT_CODES = new Map([
  [2, 'a usage error'],
  [126, 'a command that cannot run'],
  [127, 'a command not found'],
]);

/** Options of {@link runTrainer}. */
export interface RunTrainerOptions {
  /** Program and arguments (see `parseShellWords`); argv[0] is looked up on PATH. */
  readonly argv: readonly string[];
  /** Working directory of the trainer (the trial's work dir). */
  readonly cwd: string;
  /** The complete environment of the trainer ({@link STDIN_LIFELINE_ENV} is added). */
  readonly env: NodeJS.ProcessEnv;
  /** Per-run timeout, milliseconds; 0 or absent: none. */
  readonly timeoutMs?: number;
  /** Grace between SIGTERM and SIGKILL of the group (default {@link DEFAULT_KILL_GRACE_MS}). */
  readonly killGraceMs?: number;
  /** Stderr lines kept for failure reasons (default {@link DEFAULT_STDERR_TAIL_LINES}). */
  readonly stderrTailLines?: number;
  /** Cancels the run: the group gets SIGTERM, then SIGKILL after the grace. */
  readonly signal?: AbortSignal;
  /** Every intermediate protocol message (`report`, `resumed`), in order. Must not throw. */
  readonly onMessage?: (msg: Exclude<TrainerMessage, { type: 'log' | 'final' }>) => void;
  /** Every log line (stdout lines that are not protocol lines, and all stderr lines). Must not throw. */
  readonly onLog?: (stream: 'stdout' | 'stderr', line: string) => void;
  /** Called once with the leader's pid right after the spawn (tests list the group with it). */
  readonly onSpawn?: (pid: number) => void;
}

/** A successful trainer run. Treat as frozen. */
export interface TrainerRun {
  /** Epochs reached, from the final report. */
  readonly epoch: number;
  readonly metrics: Metrics;
  /** The architecture the final report names (a one-shot search's derived one), if any. */
  readonly arch?: TrainerArch;
  /** Epoch the trainer said it resumed from, if it did. */
  readonly resumedFrom?: number;
}

/**
 * Runs one trainer process per `hwnas.trainer/v1`: spawns `argv` without a shell in its own
 * process group, reads JSON lines from stdout, and resolves with the final report once the
 * process exited 0. Rejects with {@link TrainerFailedError} (non-zero exit, signal, exit 0
 * without a final report, a protocol violation: the group is then killed), {@link
 * TrainerTimeoutError} (the timeout), {@link TrainerCancelledError} (the signal) or {@link
 * TrainerCommandError} (the program cannot be started). Every rejection except the last two
 * quotes the stderr tail.
 *
 * Orphan protection: the trainer's stdin is a pipe this process holds open and never writes to,
 * and the environment says so (`HWNAS_STDIN_LIFELINE=1`). If this process dies, even by SIGKILL,
 * the kernel closes the pipe and the trainer reads end of file: the contract's sign to stop at
 * once (it runs in its own process group, so no signal of ours would reach it then).
 *
 * Kill escalation: SIGTERM to the whole group, SIGKILL `killGraceMs` later if the leader has not
 * exited. Once the leader has exited, whatever is left of its group gets SIGKILL, so that no
 * process of an evaluation outlives it. The promise settles only after the leader exited.
 */
export function runTrainer(opts: RunTrainerOptions): Promise<TrainerRun> {
  const graceMs = opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const tailLines = opts.stderrTailLines ?? DEFAULT_STDERR_TAIL_LINES;
  if (opts.argv.length === 0) return Promise.reject(new TrainerCommandError('trainer command is empty'));
  if (opts.signal?.aborted) return Promise.reject(new TrainerCancelledError('trainer run cancelled before it started'));
  return new Promise<TrainerRun>((resolve, reject) => {
    const [program, ...args] = opts.argv;
    const env = { ...opts.env, [STDIN_LIFELINE_ENV]: '1' };
    const child = spawn(program, args, { cwd: opts.cwd, env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    // Nothing is written; a trainer that closes its stdin or exits must not raise EPIPE here.
    child.stdin.on('error', () => undefined);
    const stderrTail: string[] = [];
    let final: TrainerRun | undefined;
    let resumedFrom: number | undefined;
    /** Why the run is being stopped (first reason wins); undefined while it runs normally. */
    let stopReason: Error | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let spawnError: Error | undefined;

    const killGroup = (sig: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // ESRCH: the group is already gone.
      }
    };
    const stop = (reason: Error) => {
      if (stopReason) return;
      stopReason = reason;
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), graceMs);
      killTimer.unref();
    };
    const withTail = (message: string) => (stderrTail.length ? `${message}; stderr tail:\n${stderrTail.join('\n')}` : `${message} (no stderr output)`);

    const timeout = opts.timeoutMs ? setTimeout(() => stop(new TrainerTimeoutError(`trainer timed out after ${opts.timeoutMs} ms; its process group was killed`)), opts.timeoutMs) : undefined;
    const onAbort = () => stop(new TrainerCancelledError(`trainer run cancelled${opts.signal?.reason instanceof Error ? `: ${opts.signal.reason.message}` : typeof opts.signal?.reason === 'string' ? `: ${opts.signal.reason}` : ''}`));
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    child.once('spawn', () => {
      if (child.pid !== undefined) opts.onSpawn?.(child.pid);
    });
    child.once('error', (err: NodeJS.ErrnoException) => {
      // Only a failed spawn lands here (kill errors are caught above).
      spawnError = new TrainerCommandError(`cannot start trainer "${program}": ${err.code === 'ENOENT' ? 'program not found (or the work dir is missing)' : err.message}`, { cause: err });
    });

    const stdout = createInterface({ input: child.stdout, crlfDelay: Infinity });
    stdout.on('line', (line) => {
      if (stopReason) return;
      let msg: TrainerMessage;
      try {
        msg = parseTrainerLine(line);
      } catch (err) {
        stop(new TrainerFailedError(isNasError(err) ? err.message : String(err)));
        return;
      }
      if (msg.type === 'log') {
        opts.onLog?.('stdout', msg.line);
        return;
      }
      if (final) {
        stop(new TrainerFailedError(`protocol: a "${msg.type}" line after the final report (the final report must be the last)`));
        return;
      }
      if (msg.type === 'final') {
        final = { epoch: msg.epoch, metrics: msg.metrics, ...(msg.arch ? { arch: msg.arch } : {}), ...(resumedFrom !== undefined ? { resumedFrom } : {}) };
        return;
      }
      if (msg.type === 'resumed') resumedFrom = msg.epoch;
      opts.onMessage?.(msg);
    });
    const stderr = createInterface({ input: child.stderr, crlfDelay: Infinity });
    stderr.on('line', (line) => {
      stderrTail.push(line);
      if (stderrTail.length > tailLines) stderrTail.shift();
      opts.onLog?.('stderr', line);
    });

    // 'close' comes after the leader exited and both pipes ended (all lines read).
    child.once('close', (code, sig) => {
      if (timeout) clearTimeout(timeout);
      if (killTimer) clearTimeout(killTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (spawnError) return reject(spawnError);
      if (stopReason instanceof TrainerFailedError) return reject(new TrainerFailedError(withTail(stopReason.message)));
      if (stopReason) return reject(stopReason);
      if (code !== null && USAGE_EXIT_CODES.has(code)) return reject(new TrainerCommandError(withTail(`trainer exited with code ${code} (${USAGE_EXIT_CODES.get(code)}: a retry would fail the same way)`)));
      if (code !== 0) return reject(new TrainerFailedError(withTail(sig ? `trainer killed by signal ${sig}` : `trainer exited with code ${code}`)));
      if (!final) return reject(new TrainerFailedError(withTail('trainer exited 0 without a final report')));
      resolve(final);
    });
    // A leader that exits leaves its pipes open while any group member holds them: kill the
    // rest of the group so that 'close' follows and nothing of the evaluation stays behind.
    child.once('exit', () => {
      killGroup('SIGKILL');
      child.stdin.destroy();
    });
  });
}
