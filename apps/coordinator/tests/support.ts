import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { Benchmark, getSpace } from '@hwnas/bench-core';
import { createBackend, deviceMetricInfos, toSearchMetrics } from '@hwnas/device-backends';
import { createTableSearchFactory, normalizeSearchSpec, startEmbedded, TableTrialEvaluator } from '@hwnas/runtime';
import { AccuracySource, BenchmarkServiceClient, SearchMode, SearchServiceClient, SearchState } from '@hwnas/proto';
import type { Search, SubmitSearchRequest } from '@hwnas/proto';
import { credentials, Metadata } from '@grpc/grpc-js';
import type { Client, ServiceError } from '@grpc/grpc-js';

export const REPO = path.resolve(__dirname, '../../..');

/** A subject prefix no other test uses, so tests can share a server. */
export function uniquePrefix(): string {
  return `t${randomBytes(5).toString('hex')}`;
}

export const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `cond` until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(everyMs);
  }
}

/** An app running as its own process (`node --import tsx apps/<app>/src/main.ts`). */
export interface AppProcess {
  readonly name: string;
  readonly child: ChildProcess;
  output(): string;
  readonly exited: Promise<number | NodeJS.Signals | null>;
  /** Resolves with the first JSON log line whose `msg` is `msg`. */
  waitForLog(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts one app process; stdout and stderr are collected. */
export function spawnApp(app: 'coordinator' | 'worker' | 'device-agent', args: readonly string[], env: Record<string, string> = {}): AppProcess {
  const main = path.join(REPO, 'apps', app, 'src', 'main.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const p: AppProcess = {
    name: app,
    child,
    output: () => out,
    exited,
    async waitForLog(msg, timeoutMs = 30_000) {
      let found: Record<string, unknown> | undefined;
      const done = { exited: false };
      void exited.then(() => (done.exited = true));
      await waitFor(
        () => {
          for (const line of out.split('\n')) {
            if (!line.startsWith('{')) continue;
            try {
              const o = JSON.parse(line) as Record<string, unknown>;
              if (o.msg === msg) {
                found = o;
                return true;
              }
            } catch {
              // partial line
            }
          }
          if (done.exited) throw new Error(`${app} exited before logging "${msg}":\n${out}`);
          return false;
        },
        `${app} to log "${msg}"`,
        timeoutMs,
      );
      return found!;
    },
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
  return p;
}

export const TOKEN = 'test-token-0123456789';

/** A started coordinator process and gRPC clients to it. */
export interface CoordinatorHandle {
  readonly proc: AppProcess;
  readonly port: number;
  readonly search: SearchServiceClient;
  readonly bench: BenchmarkServiceClient;
  close(): Promise<void>;
}

export async function startCoordinator(natsUrl: string, prefix: string, extra: readonly string[] = [], env: Record<string, string> = {}): Promise<CoordinatorHandle> {
  const proc = spawnApp('coordinator', ['--listen', '127.0.0.1:0', '--nats', natsUrl, '--prefix', prefix, ...extra], { HWNAS_API_TOKEN: TOKEN, ...env });
  const line = await proc.waitForLog('listening');
  const port = line.port as number;
  const search = new SearchServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
  const bench = new BenchmarkServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
  return {
    proc,
    port,
    search,
    bench,
    async close() {
      search.close();
      bench.close();
      await proc.kill('SIGTERM');
    },
  };
}

export function startWorkerProc(natsUrl: string, prefix: string, extra: readonly string[] = []): AppProcess {
  return spawnApp('worker', ['--nats', natsUrl, '--prefix', prefix, ...extra]);
}

export function auth(token = TOKEN): Metadata {
  const md = new Metadata();
  md.set('authorization', `Bearer ${token}`);
  return md;
}

type Cb<Res> = (err: ServiceError | null, res: Res) => void;

/** Calls a unary method with the test token (or `md`) and returns a promise. */
export function rpc<Req, Res>(client: Client, method: string, req: Req, md: Metadata = auth()): Promise<Res> {
  const fn = (client as unknown as Record<string, (r: Req, m: Metadata, o: object, cb: Cb<Res>) => void>)[method].bind(client);
  return new Promise<Res>((resolve, reject) => fn(req, md, { deadline: Date.now() + 20_000 }, (err, res) => (err ? reject(err) : resolve(res))));
}

/** A valid request (rea on nb201/cifar10 under a latency constraint), overridable. */
export function searchRequest(over: Partial<SubmitSearchRequest> = {}): SubmitSearchRequest {
  return {
    space: 'nb201',
    dataset: 'cifar10',
    strategy: 'rea',
    strategyOptions: {},
    objectives: [{ metric: 'accuracy', direction: 0 }],
    constraints: [{ metric: 'raspi4_latency', upperBound: 15.7228 }],
    budget: 60,
    maxInFlight: 8,
    seed: 7,
    accuracySource: AccuracySource.ACCURACY_SOURCE_TABLE,
    deviceIds: [],
    mode: SearchMode.SEARCH_MODE_JOINT,
    asynchronous: false,
    requestId: '',
    labels: {},
    ...over,
  };
}

const TERMINAL = new Set([SearchState.SEARCH_STATE_SUCCEEDED, SearchState.SEARCH_STATE_FAILED, SearchState.SEARCH_STATE_CANCELLED]);

/** Polls GetSearch until the search is terminal (tolerating UNAVAILABLE while things restart). */
export async function waitForSearch(client: () => SearchServiceClient, searchId: string, timeoutMs = 60_000): Promise<Search> {
  let last: Search | undefined;
  await waitFor(
    async () => {
      try {
        last = (await rpc<{ searchId: string }, { search: Search }>(client(), 'getSearch', { searchId })).search;
        return TERMINAL.has(last.state);
      } catch (e) {
        if ((e as ServiceError).code === 14) return false;
        throw e;
      }
    },
    `search ${searchId} to finish`,
    timeoutMs,
    100,
  );
  return last!;
}

/** The same request run in embedded mode (in-process): its best arch and evaluated keys. */
export async function embeddedRun(spec: Record<string, unknown>, devices?: { measure(device: string, req: { arch: string }): Promise<Record<string, number>>; catalog: Parameters<typeof createTableSearchFactory>[1] }) {
  const bench = Benchmark.open();
  const evaluator = new TableTrialEvaluator(bench, devices ? { measure: (d, r) => devices.measure(d, r) } : undefined);
  const emb = await startEmbedded({ factory: createTableSearchFactory(bench, devices?.catalog), evaluator, workers: 2 });
  try {
    const id = await emb.coordinator.submit(normalizeSearchSpec(spec));
    const view = await emb.coordinator.waitFor(id);
    return { view, keys: emb.coordinator.history(id).map((h) => h.key) };
  } finally {
    await emb.stop();
  }
}

/**
 * An in-process stand-in for the asic-eyeriss device agent, to pass as `devices` to
 * {@link embeddedRun} for the reference run of a cluster search that used the real agent.
 */
export function inProcessEyeriss() {
  const backend = createBackend('asic-eyeriss');
  const info = backend.describe();
  return {
    async measure(_device: string, req: { arch: string }) {
      const m = await backend.measure({ space: 'nb201', dataset: 'cifar10', arch: getSpace('nb201').parse(req.arch) });
      return toSearchMetrics(info, m.metrics);
    },
    catalog: { metrics: () => deviceMetricInfos(info) },
  };
}

/** Runs `apps/cli/bin/hwnas.js ARGS` as a process with the test token; collects its output. */
export function runCliProcess(args: readonly string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [path.join(REPO, 'apps/cli/bin/hwnas.js'), ...args], { cwd: REPO, env: { ...process.env, HWNAS_API_TOKEN: TOKEN }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out, err })));
}
