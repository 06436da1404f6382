import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import type { AgentStats } from '../src/agent';

/** A subject prefix no other test uses, so tests can share a server. */
export function uniquePrefix(): string {
  return `t${randomBytes(5).toString('hex')}`;
}

/** Polls `cond` every 20 ms until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Sends `body` as a raw request and parses the JSON reply. */
export async function requestJson(nc: NatsConnection, subject: string, body: string | object, timeoutMs = 10_000): Promise<Record<string, unknown>> {
  const msg = await nc.request(subject, typeof body === 'string' ? body : JSON.stringify(body), { timeout: timeoutMs });
  return msg.json<Record<string, unknown>>();
}

/** Collects every heartbeat published on `subject` (latest per agent in `latest`). */
export function watchHeartbeats(nc: NatsConnection, subject: string) {
  const latest = new Map<string, AgentStats>();
  const sub = nc.subscribe(subject, {
    callback: (err, msg) => {
      if (err) return;
      const s = msg.json<AgentStats>();
      latest.set(s.agent, s);
    },
  });
  return { latest, stop: () => sub.unsubscribe() };
}

/** A device agent running as its own process, as in production. */
export interface AgentProcess {
  readonly child: ChildProcess;
  /** Everything it printed so far (JSON log lines on stdout, errors on stderr). */
  output(): string;
  /** Resolves with the exit code or signal once the process has exited. */
  readonly exited: Promise<number | NodeJS.Signals | null>;
}

const MAIN = path.resolve(__dirname, '../src/main.ts');
const REPO = path.resolve(__dirname, '../../..');

/**
 * Starts `node --import tsx apps/device-agent/src/main.ts ...args` (one process: killing it kills
 * the agent, unlike `npx tsx`, which leaves its child running).
 */
export function spawnAgent(args: readonly string[], env: Record<string, string> = {}): AgentProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  return { child, output: () => out, exited };
}

/** Kills `p` with SIGKILL (if still running) and waits for it to exit. */
export async function killAgent(p: AgentProcess): Promise<void> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await p.exited;
}
