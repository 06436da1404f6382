/**
 * `npm run cluster:local`: a local multi-process hwnas cluster in one command. Starts its own
 * nats-server (JetStream on disk in a temp dir, authorization from config/nats-local.conf with
 * fresh passwords per role), a coordinator, N workers and a simulator device agent, each as its
 * own process with its own NATS user, then prints how to submit a search. Ctrl-C stops it all.
 *
 *   node --import tsx apps/coordinator/scripts/cluster-local.ts [--workers 2] [--listen 127.0.0.1:50051]
 *     [--nats-port N] [--device asic-eyeriss] [--data DIR] [--state-dir DIR] [--demo] [--exit-after-demo]
 *
 * --state-dir DIR keeps the JetStream store (every search's journal, so every search), the logs and
 * the API token in DIR instead of a fresh temp dir: started again with the same DIR, the cluster's
 * coordinator recovers every search (running ones go on where they stopped).
 * --demo submits an example search (rea on nb201/cifar10 with eyeriss costs) and follows it;
 * --exit-after-demo then stops the cluster (exit 0 when the search succeeded).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { credentials, Metadata } from '@grpc/grpc-js';
import { AccuracySource, SearchMode, SearchServiceClient, SearchState } from '@hwnas/proto';
import type { Search, SubmitSearchRequest } from '@hwnas/proto';
import { freePort, startNatsServer } from '@hwnas/testing-nats';

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: '2' },
    listen: { type: 'string', default: '127.0.0.1:50051' },
    'nats-port': { type: 'string' },
    device: { type: 'string', default: 'asic-eyeriss' },
    data: { type: 'string' },
    'state-dir': { type: 'string' },
    demo: { type: 'boolean', default: false },
    'exit-after-demo': { type: 'boolean', default: false },
  },
});

const REPO = path.resolve(__dirname, '../../..');
const CONF = path.join(__dirname, '../config/nats-local.conf');
const dir = values['state-dir'] ? path.resolve(String(values['state-dir'])) : mkdtempSync(path.join(tmpdir(), 'hwnas-cluster-'));
mkdirSync(dir, { recursive: true });
const children: { name: string; child: ChildProcess }[] = [];
const say = (s: string) => process.stdout.write(s + '\n');

function start(name: string, app: string, args: string[], env: Record<string, string>): ChildProcess {
  const log = path.join(dir, `${name}.log`);
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'apps', app, 'src', 'main.ts'), ...args], {
    cwd: REPO,
    env: { ...process.env, ...env, ...(values.data ? { HWNAS_DATA: values.data } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = createWriteStream(log, { flags: 'a' });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  children.push({ name, child });
  child.once('exit', (code, signal) => {
    if (!stopping) say(`!! ${name} exited (${code ?? signal}); see ${log}`);
  });
  return child;
}

/** Resolves with the first JSON log line of `child` whose msg is `msg`. */
function waitForLine(child: ChildProcess, msg: string, name: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not log "${msg}" within ${timeoutMs} ms; see ${path.join(dir, name + '.log')}`)), timeoutMs);
    child.stdout!.on('data', (b: Buffer) => {
      buf += b.toString();
      const line = buf.split('\n').find((l) => l.includes(`"msg":"${msg}"`));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as Record<string, unknown>);
      }
    });
    child.once('exit', () => reject(new Error(`${name} exited; see ${path.join(dir, name + '.log')}`)));
  });
}

let stopping = false;
let stopNats: (() => Promise<void>) | undefined;
async function stopAll(code: number): Promise<never> {
  stopping = true;
  await Promise.all(
    children.map(
      ({ child }) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 5000).unref();
        }),
    ),
  );
  await stopNats?.();
  process.exit(code);
}

async function demo(addr: string, token: string): Promise<boolean> {
  const client = new SearchServiceClient(addr, credentials.createInsecure());
  const md = new Metadata();
  md.set('authorization', `Bearer ${token}`);
  const req: SubmitSearchRequest = {
    space: 'nb201',
    dataset: 'cifar10',
    strategy: 'rea',
    strategyOptions: {},
    objectives: [{ metric: 'accuracy', direction: 0 }],
    constraints: [{ metric: 'eyeriss_latency', upperBound: 5 }],
    budget: 200,
    maxInFlight: 8,
    seed: 1,
    accuracySource: AccuracySource.ACCURACY_SOURCE_TABLE,
    deviceIds: [String(values.device)],
    mode: SearchMode.SEARCH_MODE_JOINT,
    asynchronous: false,
    requestId: '',
    labels: { demo: 'cluster-local' },
  };
  const { searchId } = await new Promise<{ searchId: string }>((resolve, reject) => client.submitSearch(req, md, (e, r) => (e ? reject(e) : resolve(r))));
  say(`demo: submitted search ${searchId}`);
  for (;;) {
    const { search } = await new Promise<{ search?: Search }>((resolve, reject) => client.getSearch({ searchId }, md, (e, r) => (e ? reject(e) : resolve(r))));
    const s = search!;
    if (s.state !== SearchState.SEARCH_STATE_RUNNING && s.state !== SearchState.SEARCH_STATE_PENDING) {
      say(`demo: search ${searchId} ${SearchState[s.state]}: ${s.counts?.evaluationsDone} evaluations; best ${s.incumbent?.best?.arch?.arch} accuracy ${s.incumbent?.best?.metrics.accuracy} eyeriss_latency ${s.incumbent?.best?.metrics.eyeriss_latency}`);
      client.close();
      return s.state === SearchState.SEARCH_STATE_SUCCEEDED;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function main() {
  const pass = { coordinator: randomBytes(12).toString('hex'), worker: randomBytes(12).toString('hex'), agent: randomBytes(12).toString('hex') };
  const port = values['nats-port'] ? Number(values['nats-port']) : await freePort();
  const storeDir = path.join(dir, 'jetstream');
  mkdirSync(storeDir, { recursive: true });
  // The conf reads the passwords from the environment; substituting them here does not depend on
  // how nats-server inherits the environment.
  const conf = readFileSync(CONF, 'utf8')
    .replace('$HWNAS_NATS_PASS_COORDINATOR', JSON.stringify(pass.coordinator))
    .replace('$HWNAS_NATS_PASS_WORKER', JSON.stringify(pass.worker))
    .replace('$HWNAS_NATS_PASS_AGENT', JSON.stringify(pass.agent));
  const nats = await startNatsServer({ jetstream: true, port, storeDir, config: conf });
  stopNats = () => nats.stop();
  const tokenFile = path.join(dir, 'api-token');
  // A kept state dir keeps its token, so clients set up against it keep working.
  const token = existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : randomBytes(24).toString('base64url');
  writeFileSync(tokenFile, token + '\n', { mode: 0o600 });
  const creds = (user: keyof typeof pass) => ({ HWNAS_NATS_USER: user, HWNAS_NATS_PASS: pass[user] });

  const agent = start('device-agent', 'device-agent', ['--device', String(values.device), '--nats', nats.url, '--heartbeat-ms', '1000'], creds('agent'));
  // Listen from the start: the agent may be up before the coordinator is.
  const agentReady = waitForLine(agent, 'device agent serving', 'device-agent');
  const coordinator = start('coordinator', 'coordinator', ['--listen', String(values.listen), '--nats', nats.url, '--token-file', tokenFile], creds('coordinator'));
  const listening = await waitForLine(coordinator, 'listening', 'coordinator');
  const addr = `${String(values.listen).replace(/:\d+$/, '')}:${listening.port as number}`;
  const workers = Number(values.workers);
  const ready: Promise<unknown>[] = [agentReady];
  for (let i = 0; i < workers; i++) ready.push(waitForLine(start(`worker-${i}`, 'worker', ['--nats', nats.url, '--worker-id', `local-${i}`], creds('worker')), 'consuming', `worker-${i}`));
  await Promise.all(ready);
  // Let the agent's first heartbeat reach the coordinator.
  await new Promise((r) => setTimeout(r, 1200));

  say(`hwnas local cluster is up (logs and JetStream store in ${dir}${values['state-dir'] ? '; kept across restarts' : ''})
  nats-server   ${nats.url} (users coordinator / worker / agent, permissions in apps/coordinator/config/nats-local.conf)
  coordinator   ${addr} (gRPC; token in ${tokenFile})
  workers       ${workers}
  device agent  ${values.device}

Submit and follow a search:
  export HWNAS_API_TOKEN=$(cat ${tokenFile}) HWNAS_COORDINATOR=${addr}
  npx hwnas search --coordinator ${addr} --space nb201 --dataset cifar10 --strategy rea --budget 200 --seed 1 ...
  npx hwnas watch ID ; npx hwnas results ID --format csv ; npx hwnas results ID --plot front.svg
or with grpcurl (reflection is on):
  grpcurl -plaintext -H "authorization: Bearer $HWNAS_API_TOKEN" ${addr} list
Ctrl-C stops everything.`);

  if (values.demo) {
    const ok = await demo(addr, token);
    if (values['exit-after-demo']) await stopAll(ok ? 0 : 1);
  }
}

process.once('SIGINT', () => void stopAll(0));
process.once('SIGTERM', () => void stopAll(0));
main().catch(async (e: unknown) => {
  process.stderr.write(`cluster-local: ${(e as Error)?.stack ?? String(e)}\n`);
  await stopAll(1);
});
