import { rmSync } from 'node:fs';
import { connect } from '@nats-io/transport-node';
import { startNatsServer } from './nats-server';

describe('startNatsServer', () => {
  it('startNatsServer - runs a real JetStream server on a free port and stops it', async () => {
    const server = await startNatsServer({ jetstream: true });
    try {
      const nc = await connect({ servers: server.url });
      const sub = nc.subscribe('hello');
      nc.publish('hello', 'world');
      for await (const m of sub) {
        expect(m.string()).toBe('world');
        break;
      }
      const info = (await fetch(`http://127.0.0.1:${server.monitorPort}/jsz`).then((r) => r.json())) as { config: { store_dir: string } };
      expect(info.config.store_dir).toContain(server.storeDir);
      await nc.close();
    } finally {
      await server.stop();
    }
    expect(server.process.exitCode !== null || server.process.signalCode !== null).toBe(true);
  });

  it('startNatsServer - restarts on the same port with the same store', async () => {
    const first = await startNatsServer();
    await first.stop({ keepStore: true });
    const second = await startNatsServer({ port: first.port, storeDir: first.storeDir });
    expect(second.url).toBe(first.url);
    await second.stop();
    rmSync(first.storeDir, { recursive: true, force: true });
  });
});
