import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import type { TaskResult } from '@hwnas/runtime';
import { sampleTask } from '@hwnas/runtime/testing';
import { startNatsServer } from '@hwnas/testing-nats';
import type { NatsServer } from '@hwnas/testing-nats';
import { connectNats, createNames, ensureStreams, NatsResultChannel, NatsTaskQueue } from '@hwnas/transport-nats';
import type { NatsNames } from '@hwnas/transport-nats';
import type { NatsConnection } from '@nats-io/transport-node';

const REPO = path.resolve(__dirname, '../../..');
const SLOW_WORKER = path.join(__dirname, 'slow-worker.ts');

/** A slow-worker process and the task ids it started, in order. */
interface WorkerProcess {
  readonly child: ChildProcess;
  readonly started: string[];
  readonly exited: Promise<number | null>;
  output(): string;
}

function startSlowWorker(nats: NatsServer, prefix: string, id: string, evalMs: number, extra: string[] = []): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', SLOW_WORKER, '--nats', nats.url, '--prefix', prefix, '--eval-ms', String(evalMs), '--worker-id', id, ...extra], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const started: string[] = [];
  let out = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      for (const m of b.toString().matchAll(/^started (\S+)$/gm)) started.push(m[1]);
      if (out.includes('consuming\n')) resolve({ child, started, exited, output: () => out });
    });
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    void exited.then((code) => reject(new Error(`slow worker ${id} exited with ${code} before consuming:\n${out}`)));
  });
}

async function waitFor(cond: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('worker recovery (real nats-server, real worker processes)', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    nats = await startNatsServer({ jetstream: true });
    nc = await connectNats({ servers: nats.url, name: 'test' });
  });
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
  });

  /** Fresh streams, a result subscription, and a producer. */
  async function setup(): Promise<{ prefix: string; names: NatsNames; results: (TaskResult & { at: number })[]; queue: NatsTaskQueue; stop: () => Promise<void> }> {
    const prefix = `t${randomBytes(5).toString('hex')}`;
    const names = createNames(prefix);
    await ensureStreams(nc, names);
    const results: (TaskResult & { at: number })[] = [];
    const sub = await new NatsResultChannel({ nc, names }).subscribe(async (r) => void results.push({ ...r, at: Date.now() }));
    return { prefix, names, results, queue: new NatsTaskQueue({ nc, names }), stop: () => sub.stop() };
  }

  const spawned = async (w: Promise<WorkerProcess>) => {
    const p = await w;
    children.push(p.child);
    return p;
  };

  it('recovery - a SIGKILLed worker’s tasks run on another worker within 3 s (default 2 s ack wait, 500 ms heartbeat)', async () => {
    const t = await setup();
    const doomed = await spawned(startSlowWorker(nats, t.prefix, 'doomed', 600_000, ['--concurrency', '3']));
    for (let i = 0; i < 3; i++) await t.queue.publish(sampleTask('s', i));
    await waitFor(() => doomed.started.length === 3, 'the doomed worker holding 3 tasks', 10_000);
    const rescuer = await spawned(startSlowWorker(nats, t.prefix, 'rescuer', 10, ['--concurrency', '3']));
    // Held past several heartbeats: without them the 2 s ack wait would have given the tasks away.
    await new Promise((r) => setTimeout(r, 4000));
    expect(rescuer.started).toEqual([]);
    const killedAt = Date.now();
    doomed.child.kill('SIGKILL');
    await waitFor(() => t.results.length === 3, 'the 3 tasks finished by the rescuer', 10_000);
    const recoveredMs = Math.max(...t.results.map((r) => r.at)) - killedAt;
    expect(t.results.every((r) => r.workerId === 'rescuer' && r.attempts === 2)).toBe(true);
    expect(recoveredMs).toBeLessThan(3000);
    await t.stop();
  });

  it('recovery - a 60 s evaluation is not redelivered while its worker lives (default 2 s lease, 500 ms heartbeat)', async () => {
    const t = await setup();
    // The real worker's defaults (no lease flags): 30 lease periods, each renewed by the heartbeat.
    const trainer = await spawned(startSlowWorker(nats, t.prefix, 'trainer', 60_000, ['--concurrency', '1']));
    await t.queue.publish(sampleTask('s', 0));
    await waitFor(() => trainer.started.length === 1, 'the evaluation to start', 10_000);
    // An idle worker that would take the task at once if its lease lapsed.
    const idle = await spawned(startSlowWorker(nats, t.prefix, 'idle', 10, ['--concurrency', '1']));
    await waitFor(() => t.results.length === 1, 'the evaluation to end', 80_000);
    // Let a late redelivery, if any, show up before checking that there was none.
    await new Promise((r) => setTimeout(r, 2500));
    expect(t.results).toHaveLength(1);
    expect(t.results[0]).toMatchObject({ workerId: 'trainer', attempts: 1, status: 'ok' });
    expect(t.results[0].durationMs).toBeGreaterThanOrEqual(60_000);
    expect(idle.started).toEqual([]);
    expect(trainer.started).toEqual(['s.0']);
    await t.stop();
  }, 100_000);

  it('recovery - a worker stopped with SIGTERM hands its tasks back at once and exits 0', async () => {
    const t = await setup();
    const leaving = await spawned(startSlowWorker(nats, t.prefix, 'leaving', 600_000, ['--concurrency', '2']));
    for (let i = 0; i < 2; i++) await t.queue.publish(sampleTask('s', i));
    await waitFor(() => leaving.started.length === 2, 'the leaving worker holding 2 tasks', 10_000);
    const staying = await spawned(startSlowWorker(nats, t.prefix, 'staying', 10, ['--concurrency', '2']));
    const stoppedAt = Date.now();
    leaving.child.kill('SIGTERM');
    await waitFor(() => t.results.length === 2, 'the 2 tasks finished by the staying worker', 10_000);
    expect(Math.max(...t.results.map((r) => r.at)) - stoppedAt).toBeLessThan(1000);
    expect(t.results.map((r) => r.workerId)).toEqual(['staying', 'staying']);
    expect(staying.started.sort()).toEqual(['s.0', 's.1']);
    expect(await leaving.exited).toBe(0);
    await t.stop();
  });
});
