import { describeResultChannelConformance, describeTaskQueueConformance, describeTrialJournalConformance } from '@hwnas/runtime/testing';
import type { NatsConnection } from '@nats-io/transport-node';
import { JetStreamTrialJournal, NatsResultChannel, NatsTaskQueue } from '../src/index';
import { connectTo, freshNames, startNatsServer } from './support';
import type { NatsServer } from './support';

// One real nats-server for the three suites; each test gets its own prefix (streams) and its
// own connections, as separate worker and coordinator processes would have.
let server: NatsServer;
beforeAll(async () => {
  server = await startNatsServer({ jetstream: true });
});
afterAll(async () => {
  await server?.stop();
});

/** A harness that opens a connection per handle and closes them all after the test. */
async function perTest<T>(open: (nc: NatsConnection, names: Awaited<ReturnType<typeof freshNames>>) => T) {
  const first = await connectTo(server.url);
  const names = await freshNames(first);
  const conns: NatsConnection[] = [first];
  return {
    handle: async () => {
      const nc = await connectTo(server.url);
      conns.push(nc);
      return open(nc, names);
    },
    close: async () => {
      await Promise.all(conns.map((c) => c.close()));
    },
  };
}

/** Short enough that the suite can watch several lease periods pass. */
const LEASE_MS = 500;

describeTaskQueueConformance('NatsTaskQueue', async () => {
  const t = await perTest((nc, names) => new NatsTaskQueue({ nc, names, ackWaitMs: LEASE_MS, pullExpiresMs: 1000 }));
  return { queue: t.handle, leaseMs: LEASE_MS, close: t.close };
});

describeResultChannelConformance('NatsResultChannel', async () => {
  const t = await perTest((nc, names) => new NatsResultChannel({ nc, names, retryBackoff: { baseMs: 50 }, pullExpiresMs: 1000 }));
  return { channel: t.handle, close: t.close };
});

describeTrialJournalConformance('JetStreamTrialJournal', async () => {
  const t = await perTest((nc, names) => new JetStreamTrialJournal({ nc, names }));
  return { journal: t.handle, close: t.close };
});
