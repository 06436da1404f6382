import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import type { Client, ServiceError } from '@grpc/grpc-js';
import { testDataDir } from '@hwnas/bench-core/testing';
import { AccuracySource, BenchmarkServiceClient, SearchMode, SearchServiceClient, SearchState, TrialStatus } from '@hwnas/proto';
import type { GetResultsResponse, ListDevicesResponse, Search, SubmitSearchRequest, SubmitSearchResponse } from '@hwnas/proto';
import { startNatsServer } from '@hwnas/testing-nats';
import { jetstreamManager } from '@nats-io/jetstream';
import { connectNats, createNames } from '@hwnas/transport-nats';
import { bundle, cleanBundles } from './support/images';
import type { App } from './support/images';
import { containerEnv, get, render, secretData } from './support/render';
import type { K8sObject, Workload } from './support/render';
import { workloads } from './support/render';

/**
 * The dev overlay run for real, minus Kubernetes: a nats-server with the rendered authorization
 * block and passwords, and each app started by its image's entrypoint in its image layout (what
 * k8s/images/Dockerfile with APP=<app> copies from the build of k8s/images/bundle-app.cjs: the
 * bundle and the pruned node_modules) with the container's rendered args and env. Only what a
 * cluster provides is swapped: service addresses become 127.0.0.1 ports, mounted files become
 * temporary files. A search then has to run end to end through the NATS permissions.
 */

interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  output(): string;
  readonly exited: Promise<unknown>;
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(100);
  }
}

function logLine(p: Proc, msg: string): Record<string, unknown> | undefined {
  for (const line of p.output().split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const o = JSON.parse(line) as Record<string, unknown>;
      if (o.msg === msg) return o;
    } catch {
      // a partial line
    }
  }
  if (p.child.exitCode !== null) throw new Error(`${p.name} exited (${p.child.exitCode}) before logging "${msg}":\n${p.output()}`);
  return undefined;
}

function rpc<Req, Res>(client: Client, method: string, req: Req, md = new Metadata()): Promise<Res> {
  const fn = (client as unknown as Record<string, (r: Req, m: Metadata, o: object, cb: (e: ServiceError | null, r: Res) => void) => void>)[method].bind(client);
  return new Promise((resolve, reject) => fn(req, md, { deadline: Date.now() + 20_000 }, (e, r) => (e ? reject(e) : resolve(r))));
}

describe('deployment', () => {
  const procs: Proc[] = [];
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'hwnas-deploy-'));
  });
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
    rmSync(tmp, { recursive: true, force: true });
    cleanBundles();
  });

  it('deployment - the apps run with the rendered args, env and NATS users, and a search completes', async () => {
    const objs = render('dev');
    const dataDir = testDataDir();
    if (!dataDir) throw new Error('the benchmark data directory is missing: set HWNAS_DATA (see tools/jest/setup.js)');

    const nats = workloads(objs).find((w) => w.name === 'nats')!;
    const natsEnv = containerEnv(objs, nats, nats.containers[0]);
    const natsConfig = get(objs, 'ConfigMap', nats.spec.template.spec!.volumes!.find((v) => v.name === 'config')!.configMap!.name!).data as Record<string, string>;
    // nats-server resolves `password: $VAR` from its environment; here the values go in directly.
    const auth = natsConfig['auth.conf'].replace(/password: \$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, name: string) => `password: ${JSON.stringify(natsEnv[name])}`);
    await using server = await startNatsServer({ jetstream: true, config: auth });

    const tokenSecret = objs.find((o: K8sObject) => o.kind === 'Secret' && o.metadata.name.startsWith('hwnas-api-token'))!;
    const token = secretData(tokenSecret).token;
    const start = (w: Workload, app: App): Proc => {
      const c = w.containers[0];
      const b = bundle(app);
      const args = (c.args ?? []).map((a) =>
        a
          .replace('nats://nats:4222', server.url)
          .replace(/^--data=.*/, `--data=${dataDir}`)
          .replace(/^--listen=.*/, '--listen=127.0.0.1:0')
          .replace(/^--token-file=.*/, () => {
            const file = path.join(tmp, 'token');
            writeFileSync(file, token);
            return `--token-file=${file}`;
          }),
      );
      const env = { PATH: process.env.PATH ?? '', ...containerEnv(objs, w, c) };
      const child = spawn(process.execPath, [...b.command, ...args], { cwd: b.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      const p: Proc = { name: w.name, child, output: () => out, exited: new Promise((r) => child.once('exit', r)) };
      procs.push(p);
      return p;
    };
    const byName = (n: string) => workloads(objs).find((w) => w.name === n)!;

    const agent = start(byName('device-agent-asic-eyeriss'), 'device-agent');
    const coordinator = start(byName('coordinator'), 'coordinator');
    const worker = start(byName('worker'), 'worker');
    const { port } = await waitFor('the coordinator to listen', () => logLine(coordinator, 'listening'));
    await waitFor('the worker to consume', () => logLine(worker, 'consuming'));
    await waitFor('the agent to serve', () => logLine(agent, 'device agent serving'));

    const target = `127.0.0.1:${port as number}`;
    const search = new SearchServiceClient(target, credentials.createInsecure());
    const bench = new BenchmarkServiceClient(target, credentials.createInsecure());
    try {
      const md = new Metadata();
      md.set('authorization', `Bearer ${token}`);
      await waitFor('asic-eyeriss in ListDevices', async () => {
        const res = await rpc<object, ListDevicesResponse>(bench, 'listDevices', {}, md);
        return res.devices.some((d) => d.deviceId === 'asic-eyeriss') ? true : undefined;
      });
      const req: SubmitSearchRequest = {
        space: 'nb201',
        dataset: 'cifar10',
        strategy: 'rea',
        strategyOptions: {},
        objectives: [{ metric: 'accuracy', direction: 0 }],
        constraints: [],
        budget: 12,
        maxInFlight: 4,
        seed: 3,
        accuracySource: AccuracySource.ACCURACY_SOURCE_TABLE,
        deviceIds: ['asic-eyeriss'],
        mode: SearchMode.SEARCH_MODE_JOINT,
        asynchronous: false,
        requestId: '',
        labels: {},
      };
      const { searchId } = await rpc<SubmitSearchRequest, SubmitSearchResponse>(search, 'submitSearch', req, md);
      const done = await waitFor('the search to finish', async () => {
        const s = (await rpc<{ searchId: string }, { search: Search }>(search, 'getSearch', { searchId }, md)).search;
        return s.state === SearchState.SEARCH_STATE_RUNNING || s.state === SearchState.SEARCH_STATE_UNSPECIFIED ? undefined : s;
      });
      expect(done.state).toBe(SearchState.SEARCH_STATE_SUCCEEDED);
      const results = await rpc<object, GetResultsResponse>(search, 'getResults', { searchId, pageSize: 0, pageToken: '', includeCostQueries: false }, md);
      expect(results.history).toHaveLength(12);
      // Every trial went coordinator -> worker -> device agent and back.
      expect(results.history.every((t) => t.status === TrialStatus.TRIAL_STATUS_OK && t.metrics.eyeriss_latency > 0)).toBe(true);
      // The API refuses calls without the token from the Secret.
      await expect(rpc(search, 'getSearch', { searchId })).rejects.toMatchObject({ code: 16 });
    } finally {
      search.close();
      bench.close();
    }

    // Acknowledgements went through (a missing $JS.ACK permission would not fail the search, only
    // redeliver forever): every task left the work queue, every result was acknowledged.
    const names = createNames();
    const coordEnv = containerEnv(objs, byName('coordinator'), byName('coordinator').containers[0]);
    const probe = await connectNats({ servers: server.url, name: 'ack-probe', credentials: { user: coordEnv.HWNAS_NATS_USER, pass: coordEnv.HWNAS_NATS_PASS } });
    try {
      const jsm = await jetstreamManager(probe);
      await waitFor('tasks and results to be acknowledged', async () => {
        const tasks = (await jsm.streams.info(names.streams.eval)).state.messages;
        const results = await jsm.consumers.info(names.streams.results, names.consumers.coordinator);
        return tasks === 0 && results.num_ack_pending === 0 && results.num_pending === 0 ? true : undefined;
      }, 20_000);
    } finally {
      await probe.close();
    }

    // The agent's NATS user cannot take evaluation tasks or results.
    const agentEnv = containerEnv(objs, byName('device-agent-asic-eyeriss'), byName('device-agent-asic-eyeriss').containers[0]);
    const nc = await connectNats({ servers: server.url, name: 'permission-probe', credentials: { user: agentEnv.HWNAS_NATS_USER, pass: agentEnv.HWNAS_NATS_PASS } });
    try {
      const sub = nc.subscribe(names.wildcards.eval);
      let timer: NodeJS.Timeout | undefined;
      const closedWith = await Promise.race([
        sub.closed.then((e) => e ?? 'closed without error'),
        new Promise((r) => (timer = setTimeout(() => r('still subscribed'), 5000))),
      ]).finally(() => clearTimeout(timer));
      expect(String(closedWith)).toMatch(/permission/i);
    } finally {
      await nc.close();
    }

    for (const p of [worker, agent, coordinator]) {
      p.child.kill('SIGTERM');
      await p.exited;
      expect({ app: p.name, code: p.child.exitCode }).toEqual({ app: p.name, code: 0 });
    }
  });
});
