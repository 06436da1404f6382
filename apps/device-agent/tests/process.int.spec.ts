import { nb201FromCode, nb201Space } from '@hwnas/bench-core';
import { createEyerissBackend, toSearchMetrics } from '@hwnas/device-backends';
import { startNatsServer } from '@hwnas/testing-nats';
import type { NatsServer } from '@hwnas/testing-nats';
import { connectNats, createNames, RemoteDeviceClient } from '@hwnas/transport-nats';
import type { NatsConnection } from '@nats-io/transport-node';
import { statsSubjectOf } from '../src/agent';
import type { AgentStats } from '../src/agent';
import type { AgentProcess } from './support';
import { killAgent, requestJson, spawnAgent, uniquePrefix, waitFor, watchHeartbeats } from './support';

const BEST = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|';

describe('device agent processes (real nats-server, agents as child processes)', () => {
  let server: NatsServer;
  let nc: NatsConnection;
  const procs: AgentProcess[] = [];

  beforeAll(async () => {
    server = await startNatsServer({ jetstream: false });
    nc = await connectNats({ servers: server.url, name: 'agent-process-test' });
  });
  afterEach(async () => {
    await Promise.all(procs.splice(0).map(killAgent));
  });
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });

  function agent(prefix: string, args: readonly string[], env: Record<string, string> = {}): AgentProcess {
    const p = spawnAgent(['--nats', server.url, '--prefix', prefix, '--heartbeat-ms', '50', ...args], env);
    procs.push(p);
    return p;
  }

  it('device agent - an agent killed mid-request: the client retries and the second agent answers', async () => {
    const prefix = uniquePrefix();
    const names = createNames(prefix);
    const hb = watchHeartbeats(nc, names.deviceHeartbeatSubject('asic-eyeriss'));
    // Two replicas of one device; --delay-ms stands in for a slow device so that the kill lands mid-request.
    const replicas = [agent(prefix, ['--device', 'asic-eyeriss', '--delay-ms', '1500']), agent(prefix, ['--device', 'asic-eyeriss', '--delay-ms', '1500'])];
    await waitFor(() => hb.latest.size === 2, 'both agents to send heartbeats', 30_000);

    const client = new RemoteDeviceClient({ nc, names, timeoutMs: 2500, retries: 2, backoff: { baseMs: 50 } });
    const started = Date.now();
    const pending = client.measure('asic-eyeriss', { space: 'nb201', dataset: 'cifar10', arch: BEST });
    // The queue group hands the request to one replica; its heartbeat shows it in flight.
    let busy: AgentStats | undefined;
    await waitFor(() => (busy = [...hb.latest.values()].find((s) => s.inFlight === 1)) !== undefined, 'a replica to take the request');
    const victim = replicas.find((p) => p.child.pid === busy!.pid)!;
    const survivor = replicas.find((p) => p !== victim)!;
    await killAgent(victim);
    expect(victim.child.signalCode).toBe('SIGKILL');

    const metrics = await pending;
    const reference = createEyerissBackend();
    const expected = await reference.measure({ space: 'nb201', dataset: 'cifar10', arch: nb201Space.parse(BEST) });
    expect(metrics).toEqual(toSearchMetrics(reference.describe(), expected.metrics));
    // Answered after the first attempt timed out (2.5 s) and the retry waited for the survivor (1.5 s).
    expect(Date.now() - started).toBeGreaterThan(3500);
    const stats = (await requestJson(nc, statsSubjectOf(names, 'asic-eyeriss'), '')) as unknown as AgentStats;
    expect(stats).toMatchObject({ pid: survivor.child.pid, received: 1, served: 1, errors: 0 });
    hb.stop();
  });

  it('device agent - host-cpu: concurrent requests queue and are measured one at a time', async () => {
    const prefix = uniquePrefix();
    const names = createNames(prefix);
    const hb = watchHeartbeats(nc, names.deviceHeartbeatSubject('host-cpu'));
    let maxQueue = 0;
    let maxInFlight = 0;
    const sampler = setInterval(() => {
      for (const s of hb.latest.values()) {
        maxQueue = Math.max(maxQueue, s.queueLength);
        maxInFlight = Math.max(maxInFlight, s.inFlight);
      }
    }, 10);
    agent(prefix, ['--device', 'host-cpu', '--warmup', '2', '--repeats', '10']);
    await waitFor(() => hb.latest.size === 1, 'the host-cpu agent to send a heartbeat', 30_000);

    const client = new RemoteDeviceClient({ nc, names, timeoutMs: 30_000, retries: 0 });
    const archs = [1, 777, 4242, 9999, 15000].map((c) => nb201Space.format(nb201FromCode(c)));
    const replies = await Promise.all(archs.map((a) => client.measure('host-cpu', { space: 'nb201', dataset: 'cifar10', arch: a })));
    clearInterval(sampler);
    for (const r of replies) {
      expect(Object.keys(r)).toEqual(['hostcpu_latency']);
      expect(r.hostcpu_latency).toBeGreaterThan(0);
    }
    const stats = [...hb.latest.values()][0];
    expect(stats.kind).toBe('measured');
    expect(stats.description).toMatch(/^Real measurement on this host's CPU .* with ONNX Runtime .* 2 warm-up runs and 10 timed runs/);
    const final = (await requestJson(nc, statsSubjectOf(names, 'host-cpu'), '')) as unknown as AgentStats;
    expect(final).toMatchObject({ served: 5, peakInFlight: 1, concurrency: 1 });
    // The heartbeats saw requests waiting behind the running one, never two running.
    expect(maxQueue).toBeGreaterThanOrEqual(1);
    expect(maxInFlight).toBe(1);
    hb.stop();
  });

  it('device agent - SIGTERM drains: the request in flight is answered, then the process exits 0', async () => {
    const prefix = uniquePrefix();
    const names = createNames(prefix);
    const hb = watchHeartbeats(nc, names.deviceHeartbeatSubject('fpga-zc706'));
    const p = agent(prefix, ['--device', 'fpga-zc706', '--delay-ms', '800']);
    await waitFor(() => hb.latest.size === 1, 'the agent to send a heartbeat', 30_000);
    const pending = requestJson(nc, names.deviceMeasureSubject('fpga-zc706'), { space: 'fbnet', dataset: 'cifar100', arch: new Array(22).fill('k3_e1').join(',') });
    await waitFor(() => [...hb.latest.values()][0].inFlight === 1, 'the request to start');
    p.child.kill('SIGTERM');
    expect(Object.keys((await pending).metrics as object)).toEqual(['fpga_latency', 'fpga_energy']);
    expect(await p.exited).toBe(0);
    expect([...hb.latest.values()][0].state).toBe('stopped');
    expect(p.output()).toMatch(/"msg":"stopping"/);
    hb.stop();
  });

  it('device agent - a bad device or flag exits 2 with a clear message', async () => {
    const bad = agent(uniquePrefix(), ['--device', 'tpu-v9']);
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toMatch(/device-agent: error: unknown device "tpu-v9"; known devices: asic-eyeriss, fpga-zc706, host-cpu, raspi4, pixel3, edgegpu/);
    const flag = agent(uniquePrefix(), ['--device', 'asic-eyeriss', '--concurency', '2']);
    expect(await flag.exited).toBe(2);
    expect(flag.output()).toMatch(/Unknown option '--concurency'/);
    const id = agent(uniquePrefix(), ['--device', 'host-cpu'], { HWNAS_DEVICE_ID: 'Edge_Pi' });
    expect(await id.exited).toBe(2);
    expect(id.output()).toMatch(/--device-id \(HWNAS_DEVICE_ID\) must be lower-case letters and digits .*got "Edge_Pi"/);
  });
});
