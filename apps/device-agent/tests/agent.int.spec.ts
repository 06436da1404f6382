import { Benchmark, nb201FromCode, nb201Space } from '@hwnas/bench-core';
import { testDataDir } from '@hwnas/bench-core/testing';
import type { DeviceBackend } from '@hwnas/device-backends';
import { createBackend, createEyerissBackend, registeredAs, toSearchMetrics } from '@hwnas/device-backends';
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

  it('device agent - two host-cpu agents under different device ids are two devices: own subjects, metric names, counters and heartbeats', async () => {
    const names = createNames(uniquePrefix());
    const hb = watchHeartbeats(nc, names.wildcards.deviceHeartbeat);
    const hostCpu = () => createBackend('host-cpu', { hostCpu: { warmup: 0, repeats: 3, retries: 0 } });
    // One stands for the cluster's x86 CPUs (registered as its backend), one for an ARM board.
    const x86 = await startDeviceAgent({ nc, names, backend: hostCpu(), heartbeatMs: 50 });
    const edge = await startDeviceAgent({ nc, names, backend: hostCpu(), deviceId: 'edge-arm64', heartbeatMs: 50 });
    agents.push(x86, edge);
    expect(edge.subjects).toEqual({ measure: `${names.prefix}.device.edge-arm64.measure`, heartbeat: `${names.prefix}.device.heartbeat.edge-arm64`, stats: `${names.prefix}.device.edge-arm64.stats` });
    expect(x86.subjects.measure).toBe(`${names.prefix}.device.host-cpu.measure`);
    expect([edge.info.id, edge.backend, edge.info.kind, edge.info.description]).toEqual(['edge-arm64', 'host-cpu', 'measured', x86.info.description]);

    const client = new RemoteDeviceClient({ nc, names, timeoutMs: 30_000, retries: 0 });
    const req = (code: number) => ({ space: 'nb201', dataset: 'cifar10', arch: arch(code) });
    const onX86 = await Promise.all([1, 2, 3].map((c) => client.measure('host-cpu', req(c))));
    const onEdge = await Promise.all([4, 5].map((c) => client.measure('edge-arm64', req(c))));
    for (const m of onX86) expect(Object.keys(m)).toEqual(['hostcpu_latency']);
    for (const m of onEdge) expect(Object.keys(m)).toEqual(['edge_arm64_latency']);
    for (const m of [...onX86, ...onEdge]) expect(Object.values(m)[0]).toBeGreaterThan(0);

    // Each request reached the agent registered under the id it named, and only that one: with
    // both registered as host-cpu, the queue group would have split the five between them.
    expect(x86.stats()).toMatchObject({ device: 'host-cpu', backend: 'host-cpu', metrics: ['hostcpu_latency'], received: 3, served: 3 });
    expect(edge.stats()).toMatchObject({ device: 'edge-arm64', backend: 'host-cpu', kind: 'measured', metrics: ['edge_arm64_latency'], received: 2, served: 2 });
    expect(await statsOf(edge)).toMatchObject({ agent: edge.stats().agent, device: 'edge-arm64', received: 2 });
    await waitFor(() => hb.latest.get(edge.stats().agent)?.received === 2 && hb.latest.get(x86.stats().agent)?.received === 3, 'heartbeats with the counts');
    expect(hb.latest.get(edge.stats().agent)).toMatchObject({ device: 'edge-arm64', backend: 'host-cpu', kind: 'measured', description: x86.info.description, metrics: ['edge_arm64_latency'] });
    expect(hb.latest.get(x86.stats().agent)).toMatchObject({ device: 'host-cpu', backend: 'host-cpu', metrics: ['hostcpu_latency'] });
    hb.stop();
  });

  it('device agent - under an id of its own, a simulator answers its own values under the id\'s metric names', async () => {
    const names = createNames(uniquePrefix());
    agents.push(await startDeviceAgent({ nc, names, backend: createEyerissBackend(), deviceId: 'eyeriss-v1-lab' }));
    const client = new RemoteDeviceClient({ nc, names, timeoutMs: 10_000, retries: 0 });
    const reference = createEyerissBackend();
    const expected = await reference.measure({ space: 'nb201', dataset: 'cifar10', arch: nb201FromCode(123) });
    const got = await client.measure('eyeriss-v1-lab', { space: 'nb201', dataset: 'cifar10', arch: arch(123) });
    expect(got).toEqual(toSearchMetrics(registeredAs(reference.describe(), 'eyeriss-v1-lab'), expected.metrics));
    expect(got).toEqual({ eyeriss_v1_lab_latency: expected.metrics.latency_ms, eyeriss_v1_lab_energy: expected.metrics.energy_mj });
    // Nobody serves the backend's own id here.
    await expect(new RemoteDeviceClient({ nc, names, timeoutMs: 500, retries: 0 }).measure('asic-eyeriss', { space: 'nb201', dataset: 'cifar10', arch: BEST })).rejects.toMatchObject({ code: 'unavailable' });
    await reference.close();
  });

  it('device agent - refuses a device id it cannot register under', async () => {
    for (const [deviceId, why] of [
      ['Edge_ARM', /lower-case letters and digits/],
      ['fpga-zc706', /is the id of the fpga-zc706 backend/],
      ['eyeriss', /would report eyeriss_latency/],
    ] as const) {
      const backend = createEyerissBackend();
      await expect(startDeviceAgent({ nc, backend, deviceId })).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(why) });
      await backend.close();
    }
  });

  it('device agent - rejects concurrency above 1 for a real (measured) device', async () => {
    await expect(startDeviceAgent({ nc, backend: createBackend('host-cpu'), concurrency: 2 })).rejects.toThrow(/kind measured\): concurrency must be 1/);
  });
});
