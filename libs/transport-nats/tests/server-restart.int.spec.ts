import { rmSync } from 'node:fs';
import { NatsResultChannel, NatsTaskQueue } from '../src/index';
import type { NatsNames } from '../src/index';
import { connectTo, delay, freshNames, result, task, waitFor, startNatsServer } from './support';
import type { NatsServer } from './support';

describe('server restart', () => {
  it('NatsTaskQueue - keeps consuming after the nats-server restarts mid-stream, and every task is handled', async () => {
    const first = await startNatsServer({ jetstream: true });
    let second: NatsServer | undefined;
    const producerNc = await connectTo(first.url, 'producer');
    const workerNc = await connectTo(first.url, 'worker');
    const coordinatorNc = await connectTo(first.url, 'coordinator');
    try {
      const names: NatsNames = await freshNames(producerNc);
      // Short ack_wait: acks sent while the server is down are lost, and those tasks come back.
      const producer = new NatsTaskQueue({ nc: producerNc, names, ackWaitMs: 2000 });
      const worker = new NatsTaskQueue({ nc: workerNc, names, ackWaitMs: 2000 });
      const workerResults = new NatsResultChannel({ nc: workerNc, names });
      const coordinatorResults = new NatsResultChannel({ nc: coordinatorNc, names, ackWaitMs: 2000 });
      for (let i = 0; i < 40; i++) await producer.publish(task('s1', i));

      const handled = new Set<string>();
      let deliveries = 0;
      const sub = await worker.consume(
        async (t, ctl) => {
          deliveries++;
          await delay(25);
          handled.add(t.taskId);
          ctl.ack();
        },
        { concurrency: 2 },
      );
      const applied = new Set<string>();
      const rsub = await coordinatorResults.subscribe(async (r) => void applied.add(r.taskId));

      await waitFor(() => handled.size >= 8, 'some tasks before the restart');
      await first.stop({ keepStore: true });
      const downAt = handled.size;
      await delay(300);
      second = await startNatsServer({ jetstream: true, port: first.port, storeDir: first.storeDir });
      // Publishing works again through the same (reconnected) connections.
      for (let i = 40; i < 50; i++) await producer.publish(task('s1', i));
      for (let i = 0; i < 5; i++) await workerResults.publish(result('s1', i));

      await waitFor(() => handled.size === 50, `all 50 tasks handled (had ${downAt} at the restart)`, 20_000);
      await waitFor(() => applied.size === 5, 'results published after the restart are delivered', 10_000);
      await sub.stop();
      await rsub.stop();
      expect(deliveries).toBeGreaterThanOrEqual(50);
      await waitFor(async () => (await producer.backlog()) === 0, 'empty backlog');
    } finally {
      // Servers first: the store must go even if closing a client were to hang.
      await second?.stop();
      await first.stop();
      rmSync(first.storeDir, { recursive: true, force: true });
      await Promise.all([producerNc.close(), workerNc.close(), coordinatorNc.close()]);
    }
  });
});
