import { Benchmark, nb201FromCode, nb201Space } from '@hwnas/bench-core';
import { testDataDir } from '@hwnas/bench-core/testing';
import type { DeviceBackend } from '@hwnas/device-backends';
import { createBackend, createEyerissBackend, toSearchMetrics } from '@hwnas/device-backends';
import { startNatsServer } from '@hwnas/testing-nats';
import type { NatsServer } from '@hwnas/testing-nats';
import { connectNats, createNames, RemoteDeviceClient } from '@hwnas/transport-nats';
import type { NatsNames } from '@hwnas/transport-nats';
import type { NatsConnection } from '@nats-io/transport-node';
import { startDeviceAgent } from '../src/agent';
import type { AgentStats, DeviceAgent, DeviceAgentOptions } from '../src/agent';
import { requestJson, uniquePrefix, waitFor, watchHeartbeats } from './support';

const arch = (code: number) => nb201Space.format(nb201FromCode(code));
const BEST = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|';

describe('device agent (in-process, real nats-server)', () => {
  let server: NatsServer;
  let nc: NatsConnection;
  const agents: DeviceAgent[] = [];

  beforeAll(async () => {
    server = await startNatsServer({ jetstream: false });
    nc = await connectNats({ servers: server.url, name: 'agent-test' });
  });
  afterEach(async () => {
    await Promise.all(agents.splice(0).map((a) => a.stop()));
  });
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });

  async function start(backend: DeviceBackend, opts: Partial<DeviceAgentOptions> = {}): Promise<{ agent: DeviceAgent; names: NatsNames; client: RemoteDeviceClient }> {
    const names = createNames(uniquePrefix());
    const agent = await startDeviceAgent({ nc, backend, names, heartbeatMs: 50, ...opts });
    agents.push(agent);
    return { agent, names, client: new RemoteDeviceClient({ nc, names, timeoutMs: 10_000, retries: 0 }) };
  }

  const statsOf = async (agent: DeviceAgent) => (await requestJson(nc, agent.subjects.stats, '')) as unknown as AgentStats;

  it('device agent - answers 60 concurrent requests with the simulator results under HW-NAS-Bench metric names', async () => {
    const { agent, client } = await start(createEyerissBackend());
    const reference = createEyerissBackend();
    const codes = Array.from({ length: 60 }, (_, i) => i * 97);
    const replies = await Promise.all(codes.map((c) => client.measure('asic-eyeriss', { space: 'nb201', dataset: 'cifar10', arch: arch(c) })));
    for (const [i, c] of codes.entries()) {
      const expected = await reference.measure({ space: 'nb201', dataset: 'cifar10', arch: nb201FromCode(c) });
      expect(replies[i]).toEqual(toSearchMetrics(reference.describe(), expected.metrics));
    }
    const stats = await statsOf(agent);
    expect(stats).toMatchObject({ device: 'asic-eyeriss', kind: 'simulated', received: 60, served: 60, errors: 0, cacheHits: 0, queueLength: 0, inFlight: 0 });
    expect(stats.peakInFlight).toBeGreaterThan(1);
    expect(stats.peakInFlight).toBeLessThanOrEqual(4);
    await reference.close();
  });

  it('device agent - a repeated request is a cache hit: flagged in the reply, counted in stats and heartbeats', async () => {
    const { agent, names } = await start(createBackend('fpga-zc706'));
    const hb = watchHeartbeats(nc, names.deviceHeartbeatSubject('fpga-zc706'));
    const body = { space: 'nb201', dataset: 'cifar100', arch: BEST };
    const first = await requestJson(nc, agent.subjects.measure, body);
    // The same architecture in another notation is the same cache entry.
    const second = await requestJson(nc, agent.subjects.measure, { ...body, arch: ` ${BEST} ` });
    expect(first.cached).toBe(false);
    expect(second).toEqual({ ...first, cached: true });
    expect(Object.keys(first.metrics as object)).toEqual(['fpga_latency', 'fpga_energy']);
    const other = await requestJson(nc, agent.subjects.measure, { ...body, dataset: 'cifar10' });
    expect(other.cached).toBe(false);
    expect(await statsOf(agent)).toMatchObject({ received: 3, served: 3, cacheHits: 1, cacheSize: 2 });
    await waitFor(() => hb.latest.get(agent.stats().agent)?.cacheHits === 1, 'a heartbeat with the cache hit');
    expect(hb.latest.get(agent.stats().agent)).toMatchObject({ device: 'fpga-zc706', kind: 'simulated', metrics: ['fpga_latency', 'fpga_energy'], queueLength: 0, state: 'serving' });
    // The backend's description rides along, for ListDevices.
    expect(hb.latest.get(agent.stats().agent)?.description).toBe(agent.info.description);
    expect(agent.info.description).toContain('ZC706 (XC7Z045: 900 DSP48E1');
    hb.stop();
  });

  it('device agent - identical requests in flight share one measurement', async () => {
    const { agent, client } = await start(createEyerissBackend(), { delayMs: 300 });
    const req = { space: 'nb201', dataset: 'cifar10', arch: BEST };
    const replies = await Promise.all([0, 1, 2, 3].map(() => client.measure('asic-eyeriss', req)));
    expect(new Set(replies.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(await statsOf(agent)).toMatchObject({ received: 4, served: 4, coalesced: 3, cacheHits: 0 });
  });

  it('device agent - bad input gets a structured invalid_argument error and the agent keeps serving', async () => {
    const { agent } = await start(createEyerissBackend());
    const ask = (body: string | object) => requestJson(nc, agent.subjects.measure, body);
    const ok = { space: 'nb201', dataset: 'cifar10', arch: BEST };
    const cases: [string | object, RegExp][] = [
      ['this is not json', /not valid JSON/],
      [{ space: 'nb201', dataset: 'cifar10' }, /"arch" must be a non-empty string/],
      [{ ...ok, space: 'darts' }, /unknown search space "darts"; known spaces: nb201, fbnet/],
      [{ ...ok, arch: '|foo~0|+|a~0|b~1|+|c~0|d~1|e~2|' }, /unknown operation "foo"/],
      [{ ...ok, arch: '|nor_conv_3x3~0|' }, /expected 3 node groups/],
      [{ space: 'fbnet', dataset: 'cifar100', arch: '[1,2,3]' }, /must have 22 decisions, got 3/],
      [{ ...ok, dataset: 'imagenet' }, /unknown dataset "imagenet" for search space nb201/],
    ];
    for (const [body, message] of cases) {
      const reply = await ask(body);
      expect(reply).toEqual({ error: { code: 'invalid_argument', message: expect.stringMatching(message), retryable: false } });
    }
    expect((await ask(ok)).metrics).toHaveProperty('eyeriss_latency');
    expect(await statsOf(agent)).toMatchObject({ received: cases.length + 1, served: 1, errors: cases.length, state: 'serving' });
  });

  const dataDir = testDataDir();
  (dataDir ? it : it.skip)('device agent - a replay device refuses a dataset its tables do not hold, and serves the ones they do', async () => {
    const { agent } = await start(createBackend('edgegpu', { benchmark: Benchmark.open({ dataDir }) }));
    const refused = await requestJson(nc, agent.subjects.measure, { space: 'nb201', dataset: 'cifar10', arch: BEST });
    expect(refused).toEqual({ error: { code: 'invalid_argument', message: 'device edgegpu has no nb201 data; it serves fbnet (cifar100, ImageNet)', retryable: false } });
    const served = await requestJson(nc, agent.subjects.measure, { space: 'fbnet', dataset: 'cifar100', arch: JSON.stringify(new Array(22).fill(0)) });
    expect(served.metrics).toEqual({ edgegpu_latency: 15.804523468017578, edgegpu_energy: 86.98095934380125 });
    expect((await statsOf(agent)).description).toMatch(/^Replay of the HW-NAS-Bench measurements on an NVIDIA Jetson TX2/);
  });

  it('device agent - a request not measured in time gets deadline_exceeded; a full queue gets resource_exhausted', async () => {
    const { agent } = await start(createEyerissBackend(), { delayMs: 400, timeoutMs: 150, concurrency: 1, maxQueue: 1 });
    const ask = (code: number) => requestJson(nc, agent.subjects.measure, { space: 'nb201', dataset: 'cifar10', arch: arch(code) });
    const [a, b, c] = await Promise.all([ask(1), ask(2), ask(3)]);
    expect(a).toEqual({ error: { code: 'deadline_exceeded', message: expect.stringMatching(/no result within 150 ms/), retryable: true } });
    expect(b.error).toMatchObject({ code: 'deadline_exceeded', retryable: true });
    expect(c).toEqual({ error: { code: 'resource_exhausted', message: expect.stringMatching(/1 measurements are already queued/), retryable: true } });
    // Timed-out work is cancelled, so the device is free again for the next request.
    await waitFor(() => agent.stats().inFlight === 0 && agent.stats().queueLength === 0, 'the cancelled work to clear');
    const late = await requestJson(nc, agent.subjects.measure, { space: 'nb201', dataset: 'cifar10', arch: arch(4) }, 2000).catch((e: Error) => e);
    expect(late).toMatchObject({ error: { code: 'deadline_exceeded' } });
    expect(agent.stats()).toMatchObject({ timeouts: 3, errors: 4 });
  });

  it('device agent - stop() answers the requests it received, then leaves the queue group', async () => {
    const { agent, names } = await start(createEyerissBackend(), { delayMs: 300 });
    const pending = requestJson(nc, agent.subjects.measure, { space: 'nb201', dataset: 'cifar10', arch: BEST });
    await waitFor(() => agent.stats().inFlight === 1, 'the request to start');
    await agent.stop();
    expect((await pending).metrics).toHaveProperty('eyeriss_latency');
    expect(agent.stats().state).toBe('stopped');
    const client = new RemoteDeviceClient({ nc, names, timeoutMs: 500, retries: 0 });
    await expect(client.measure('asic-eyeriss', { space: 'nb201', dataset: 'cifar10', arch: BEST })).rejects.toMatchObject({ code: 'unavailable', retryable: true });
  });

  it('device agent - rejects concurrency above 1 for a real (measured) device', async () => {
    await expect(startDeviceAgent({ nc, backend: createBackend('host-cpu'), concurrency: 2 })).rejects.toThrow(/kind measured\): concurrency must be 1/);
  });
});
