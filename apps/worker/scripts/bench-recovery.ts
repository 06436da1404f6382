/**
 * Recovery benchmark on a real cluster on this machine: a nats-server (JetStream on disk), W
 * worker processes (apps/worker/src/main.ts, table evaluations) and a driver that keeps a window
 * of evaluation tasks in flight, as the coordinator does, topping it up as results land. After a
 * warm-up, one worker is SIGKILLed; the tasks it held come back to the survivors when their lease
 * (the ack wait) runs out. Measures the time from the SIGKILL until the last of those tasks has a
 * result, and the throughput (results per second) before, during and after.
 *
 *   node --import tsx apps/worker/scripts/bench-recovery.ts --data DIR [--workers 3] \
 *     [--window 96] [--ack-wait-ms 2000] [--heartbeat-ms 500] [--warmup-ms 5000]
 *
 * Run it with `--ack-wait-ms 30000` to see the former default.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { EvalTask, TaskResult } from '@hwnas/runtime';
import { startNatsServer } from '@hwnas/testing-nats';
import { connectNats, createNames, ensureStreams, NatsResultChannel, NatsTaskQueue } from '@hwnas/transport-nats';

const REPO = path.resolve(__dirname, '../../..');
const OPS = ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3'];

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: process.env['HWNAS_DATA'] },
    workers: { type: 'string', default: '3' },
    window: { type: 'string', default: '96' },
    'ack-wait-ms': { type: 'string', default: '2000' },
    'heartbeat-ms': { type: 'string', default: '500' },
    'warmup-ms': { type: 'string', default: '5000' },
    'after-ms': { type: 'string', default: '3000' },
  },
});

/** The NAS-Bench-201 cell of trial `n` (5^6 cells, cycled). */
function arch(n: number): string {
  const op = (k: number) => OPS[Math.floor(n / 5 ** k) % 5];
  return `|${op(0)}~0|+|${op(1)}~0|${op(2)}~1|+|${op(3)}~0|${op(4)}~1|${op(5)}~2|`;
}

function startWorker(url: string, prefix: string, id: string): Promise<ChildProcess> {
  const args = ['--nats', url, '--prefix', prefix, '--data', values.data!, '--worker-id', id, '--ack-wait-ms', values['ack-wait-ms']!, '--heartbeat-ms', values['heartbeat-ms']!];
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'apps/worker/src/main.ts'), ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('"msg":"consuming"')) resolve(child);
    });
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    child.once('exit', (code) => reject(new Error(`worker ${id} exited with ${code}:\n${out}`)));
  });
}

const rate = (n: number, ms: number) => (ms > 0 ? Math.round((n * 1000) / ms) : 0);

async function main(): Promise<void> {
  if (!values.data) throw new Error('bench-recovery: pass --data DIR or set HWNAS_DATA');
  const storeDir = mkdtempSync(path.join(tmpdir(), 'hwnas-bench-recovery-'));
  const nats = await startNatsServer({ jetstream: true, storeDir });
  const workers: ChildProcess[] = [];
  const nc = await connectNats({ servers: nats.url, name: 'bench-recovery' });
  try {
    const names = createNames('benchrec');
    await ensureStreams(nc, names);
    const n = Number(values.workers);
    for (let i = 0; i < n; i++) workers.push(await startWorker(nats.url, names.prefix, `w${i}`));
    const queue = new NatsTaskQueue({ nc, names });
    const landed: { at: number; result: TaskResult }[] = [];
    let next = 0;
    let stopped = false;
    const publishNext = () => {
      if (stopped) return;
      const trialId = next++;
      const task: EvalTask = { taskId: `bench.${trialId}`, searchId: 'bench', trialId, space: 'nb201', dataset: 'cifar10', arch: arch(trialId), need: 'full', metrics: [], accuracySource: 'table', devices: [] };
      void queue.publish(task).catch((e) => {
        // Publishes still under way when the run ends fail on the closed connection: expected.
        if (!stopped) process.stderr.write(`publish failed: ${String(e)}\n`);
      });
    };
    const sub = await new NatsResultChannel({ nc, names }).subscribe(async (result) => {
      landed.push({ at: performance.now(), result });
      publishNext();
    });
    const start = performance.now();
    for (let i = 0; i < Number(values.window); i++) publishNext();
    await new Promise((r) => setTimeout(r, Number(values['warmup-ms'])));
    const killedAt = performance.now();
    workers[0].kill('SIGKILL');
    // Wait until every redelivered task (attempt >= 2: held by the killed worker) has landed,
    // and then some, to see throughput after recovery.
    const ackWaitMs = Number(values['ack-wait-ms']);
    await new Promise((r) => setTimeout(r, ackWaitMs + 1000));
    const redelivered = () => landed.filter((l) => l.at > killedAt && (l.result.attempts ?? 1) >= 2);
    const recoveredAt = Math.max(killedAt, ...redelivered().map((l) => l.at));
    await new Promise((r) => setTimeout(r, Number(values['after-ms'])));
    const end = performance.now();
    stopped = true;
    await sub.stop();
    const between = (a: number, b: number) => landed.filter((l) => l.at >= a && l.at < b).length;
    const warm = start + 1000;
    const report = {
      workers: n,
      window: Number(values.window),
      ackWaitMs,
      heartbeatMs: Number(values['heartbeat-ms']),
      tasksHeldByKilledWorker: redelivered().length,
      recoveryMs: Math.round(recoveredAt - killedAt),
      throughputPerS: {
        beforeKill: rate(between(warm, killedAt), killedAt - warm),
        untilRecovered: rate(between(killedAt, recoveredAt), recoveredAt - killedAt),
        afterRecovered: rate(between(recoveredAt, end), end - recoveredAt),
      },
      // Equal to the window when nothing was lost (every published task has a result or is in flight).
      inFlightAtEnd: next - landed.length,
    };
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  } finally {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    await nc.close();
    await nats.stop();
    rmSync(storeDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`bench-recovery: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
