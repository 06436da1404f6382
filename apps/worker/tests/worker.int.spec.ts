import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import type { EvalTask, TaskResult } from '@hwnas/runtime';
import { startNatsServer } from '@hwnas/testing-nats';
import { connectNats, createNames, ensureStreams, NatsResultChannel, NatsTaskQueue } from '@hwnas/transport-nats';

const REPO = path.resolve(__dirname, '../../..');
const ARCH = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|';

const task = (trialId: number, devices: string[] = []): EvalTask => ({
  taskId: `s1.${trialId}`,
  searchId: 's1',
  trialId,
  space: 'nb201',
  dataset: 'cifar10',
  arch: ARCH,
  need: 'full',
  metrics: [],
  accuracySource: 'table',
  devices,
});

describe('worker process (real nats-server)', () => {
  it('worker - evaluates a task and publishes its result; a device that never answers is reported failed after max deliveries', async () => {
    await using nats = await startNatsServer({ jetstream: true });
    const prefix = `t${randomBytes(5).toString('hex')}`;
    const names = createNames(prefix);
    const nc = await connectNats({ servers: nats.url, name: 'test' });
    await ensureStreams(nc, names);
    const results: TaskResult[] = [];
    const sub = await new NatsResultChannel({ nc, names }).subscribe(async (r) => {
      results.push(r);
    });
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(REPO, 'apps/worker/src/main.ts'), '--nats', nats.url, '--prefix', prefix, '--max-deliveries', '2', '--device-timeout-ms', '200', '--device-retries', '0', '--worker-id', 'w-test'],
      { cwd: REPO, env: { ...process.env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    try {
      const queue = new NatsTaskQueue({ nc, names });
      await queue.publish(task(0));
      await queue.publish(task(1, ['asic-eyeriss']));
      const deadline = Date.now() + 30_000;
      while (results.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const ok = results.find((r) => r.trialId === 0);
      const failed = results.find((r) => r.trialId === 1);
      expect(ok).toMatchObject({ status: 'ok', workerId: 'w-test', attempts: 1 });
      expect(ok?.metrics?.accuracy).toBeGreaterThan(50);
      expect(failed).toMatchObject({ status: 'failed', attempts: 2, error: { code: 'unavailable' } });
      expect(failed?.error?.message).toMatch(/^gave up after 2 attempts: /);
    } finally {
      child.kill('SIGTERM');
      const code = await new Promise((r) => child.once('exit', (c) => r(c)));
      expect(code).toBe(0);
      await sub.stop();
      await nc.close();
    }
    expect(out).toContain('"msg":"consuming"');
  });
});
