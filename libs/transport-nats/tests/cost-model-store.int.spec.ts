import { isNasError } from '@hwnas/bench-core';
import { NatsCostModelStore } from '../src/index';
import { connectTo, startNatsServer } from './support';

describe('NatsCostModelStore', () => {
  it('stores and reads a model, names a missing one, and reports JetStream being down as unavailable (retryable), not internal', async () => {
    const server = await startNatsServer({ jetstream: true });
    const nc = await connectTo(server.url, 'cost-model-store');
    try {
      const store = new NatsCostModelStore(nc, 'store-test');
      expect(await store.put('raspi4', { device: 'raspi4', k: 10 })).toBe(1);
      expect(await store.get('raspi4')).toEqual({ device: 'raspi4', k: 10 });
      await expect(store.get('pixel3')).rejects.toMatchObject({ code: 'not_found' });
      await expect(store.get('bad key!')).rejects.toMatchObject({ code: 'invalid_argument' });

      await server.stop();
      const down = await store.get('raspi4').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isNasError(down) && down.code).toBe('unavailable');
      expect(isNasError(down) && down.retryable).toBe(true);
      expect(String(down)).toMatch(/cost model store store-test: reading raspi4: NATS unavailable/);
    } finally {
      await server.stop();
      await nc.close();
    }
  }, 60_000);
});
