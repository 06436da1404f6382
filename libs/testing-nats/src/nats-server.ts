import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** Options of {@link startNatsServer}. */
export interface NatsServerOptions {
  /** Enable JetStream with a store directory (default true). */
  readonly jetstream?: boolean;
  /** Client port; default: a free port. Reuse a port to restart "the same" server. */
  readonly port?: number;
  /** JetStream store directory; default: a fresh temporary directory (removed on stop). */
  readonly storeDir?: string;
  /** Extra configuration text appended to the generated config file (e.g. authorization). */
  readonly config?: string;
  /** Milliseconds to wait for the server to report healthy (default 10000). */
  readonly startTimeoutMs?: number;
}

/** A running nats-server owned by a test. */
export interface NatsServer extends AsyncDisposable {
  readonly url: string;
  readonly port: number;
  readonly monitorPort: number;
  readonly storeDir: string;
  readonly process: ChildProcess;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s); keeps the store dir when `keepStore`. */
  stop(opts?: { keepStore?: boolean; signal?: NodeJS.Signals }): Promise<void>;
}

/** The nats-server binary: `$NATS_SERVER_BIN`, then PATH, then Debian's /usr/sbin. */
export function natsServerBinary(): string {
  const candidates = [process.env.NATS_SERVER_BIN, 'nats-server', '/usr/sbin/nats-server'].filter(Boolean) as string[];
  for (const c of candidates) {
    if (c.includes('/') ? existsSync(c) : spawnSync('sh', ['-c', `command -v ${c}`]).status === 0) return c;
  }
  throw new Error('nats-server not found: install it (Debian: apt-get install nats-server) or set NATS_SERVER_BIN; integration tests need a real server');
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitHealthy(monitorPort: number, jetstream: boolean, child: ChildProcess, timeoutMs: number, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const url = `http://127.0.0.1:${monitorPort}/healthz${jetstream ? '?js-enabled=true' : ''}`;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`nats-server exited with code ${child.exitCode}: ${log()}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nats-server did not become healthy within ${timeoutMs} ms: ${log()}`);
}

/**
 * Starts a real nats-server on 127.0.0.1 (free ports, temporary JetStream store) and waits until
 * its health endpoint reports ready. Use with `await using`, or call `stop()`.
 */
export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServer> {
  const bin = natsServerBinary();
  const jetstream = opts.jetstream ?? true;
  const port = opts.port ?? (await freePort());
  const monitorPort = await freePort();
  const ownStore = !opts.storeDir;
  const storeDir = opts.storeDir ?? mkdtempSync(path.join(tmpdir(), 'hwnas-nats-'));
  const confFile = path.join(storeDir, `nats-${port}.conf`);
  writeFileSync(
    confFile,
    [
      `listen: 127.0.0.1:${port}`,
      `http: 127.0.0.1:${monitorPort}`,
      jetstream ? `jetstream { store_dir: ${JSON.stringify(storeDir)} }` : '',
      opts.config ?? '',
    ].join('\n'),
  );
  const child = spawn(bin, ['-c', confFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const append = (b: Buffer) => {
    output = (output + b.toString()).slice(-4000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  try {
    await waitHealthy(monitorPort, jetstream, child, opts.startTimeoutMs ?? 10_000, () => output);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  let stopped = false;
  const stop = async (o: { keepStore?: boolean; signal?: NodeJS.Signals } = {}) => {
    if (!stopped) {
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill(o.signal ?? 'SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
    }
    if (ownStore && !o.keepStore) rmSync(storeDir, { recursive: true, force: true });
  };
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    monitorPort,
    storeDir,
    process: child,
    stop,
    [Symbol.asyncDispose]: () => stop(),
  };
}
