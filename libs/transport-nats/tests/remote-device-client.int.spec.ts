import { isNasError } from '@hwnas/bench-core';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { createNames, encodeMeasureReply, errorReply, parseMeasureRequest, RemoteDeviceClient } from '../src/index';
import type { MeasureRequest } from '../src/index';
import { natsServerForSuite, uniquePrefix, waitFor } from './support';
import { rejectionOf } from '@hwnas/bench-core/testing';

const REQ = { space: 'nb201', dataset: 'cifar10', arch: '|nor_conv_3x3~0|+|skip_connect~0|none~1|' };

describe('RemoteDeviceClient', () => {
  const nats = natsServerForSuite({ jetstream: false });

  /** A device agent on its own connection, answering with `answer` (undefined: never answers). */
  async function agent(names: ReturnType<typeof createNames>, device: string, answer: (req: MeasureRequest, m: Msg) => string | undefined) {
    const c = await nats.conn(`agent-${device}`);
    c.subscribe(names.deviceMeasureSubject(device), {
      queue: `device.${device}`,
      callback: (_err, m) => {
        let body: string | undefined;
        try {
          body = answer(parseMeasureRequest(m.data), m);
        } catch (e) {
          body = encodeMeasureReply(errorReply(e));
        }
        if (body !== undefined) m.respond(body);
      },
    });
    await c.flush();
    return c;
  }

  it('RemoteDeviceClient - returns the metrics a device agent replies with', async () => {
    const names = createNames(uniquePrefix());
    const seen: MeasureRequest[] = [];
    await agent(names, 'eyeriss', (req) => {
      seen.push(req);
      return encodeMeasureReply({ metrics: { eyeriss_latency: 3.25, eyeriss_energy: 1.5 } });
    });
    const client = new RemoteDeviceClient({ nc: nats.nc, names, timeoutMs: 1000 });
    expect(await client.measure('eyeriss', REQ)).toEqual({ eyeriss_latency: 3.25, eyeriss_energy: 1.5 });
    expect(seen).toEqual([REQ]);
  });

  it('RemoteDeviceClient - maps an error reply to a NasError with its code and retryability', async () => {
    const names = createNames(uniquePrefix());
    await agent(names, 'fpga', (req) =>
      req.arch === 'busy'
        ? encodeMeasureReply({ error: { code: 'unavailable', message: 'board busy' } })
        : encodeMeasureReply({ error: { code: 'invalid_argument', message: `cannot map ${req.arch}` } }),
    );
    const client = new RemoteDeviceClient({ nc: nats.nc, names, timeoutMs: 1000 });
    const bad = await rejectionOf(client.measure('fpga', { ...REQ, arch: 'nonsense' }));
    expect(isNasError(bad) && [bad.code, bad.retryable, bad.message]).toEqual(['invalid_argument', false, 'device fpga: cannot map nonsense']);
    const busy = await rejectionOf(client.measure('fpga', { ...REQ, arch: 'busy' }));
    expect(isNasError(busy) && [busy.code, busy.retryable]).toEqual(['unavailable', true]);
  });

  it('RemoteDeviceClient - no agent at all is a retryable unavailable, a silent agent a retryable deadline_exceeded', async () => {
    const names = createNames(uniquePrefix());
    const client = new RemoteDeviceClient({ nc: nats.nc, names, timeoutMs: 200, retries: 2, backoff: { baseMs: 20 } });
    const none = await rejectionOf(client.measure('ghost', REQ));
    expect(isNasError(none) && [none.code, none.retryable]).toEqual(['unavailable', true]);
    let calls = 0;
    await agent(names, 'mute', () => {
      calls++;
      return undefined;
    });
    const started = Date.now();
    const silent = await rejectionOf(client.measure('mute', REQ));
    expect(isNasError(silent) && [silent.code, silent.retryable]).toEqual(['deadline_exceeded', true]);
    expect(calls).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
  });

  it('RemoteDeviceClient - when the agent handling a request dies, the retry is answered by another replica', async () => {
    const names = createNames(uniquePrefix());
    let dying: NatsConnection | undefined;
    let received = false;
    dying = await agent(names, 'gpu', () => {
      received = true;
      return undefined; // it dies before answering
    });
    const client = new RemoteDeviceClient({ nc: nats.nc, names, timeoutMs: 500, retries: 2, backoff: { baseMs: 20 } });
    const pending = client.measure('gpu', REQ);
    await waitFor(() => received, 'the first replica got the request');
    // A second replica joins the queue group, then the first one is killed mid-request.
    await agent(names, 'gpu', () => encodeMeasureReply({ metrics: { gpu_latency: 7 } }));
    await dying.close();
    dying = undefined;
    expect(await pending).toEqual({ gpu_latency: 7 });
  });

  it('RemoteDeviceClient - an aborted signal rejects with cancelled', async () => {
    const names = createNames(uniquePrefix());
    await agent(names, 'slow', () => undefined);
    const client = new RemoteDeviceClient({ nc: nats.nc, names, timeoutMs: 5000 });
    const ac = new AbortController();
    const p = client.measure('slow', REQ, ac.signal);
    setTimeout(() => ac.abort(), 50);
    const e = await rejectionOf(p);
    expect(isNasError(e) && e.code).toBe('cancelled');
  });
});
