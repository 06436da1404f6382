import { createBackend } from '@hwnas/device-backends';
import type { DeviceInfo } from '@hwnas/device-backends';
import { startNatsServer } from '@hwnas/testing-nats';
import type { NatsServer } from '@hwnas/testing-nats';
import { connectNats, createNames } from '@hwnas/transport-nats';
import type { NatsConnection } from '@nats-io/transport-node';
import { HeartbeatDeviceRegistry } from '../src/device-registry';
import { toDeviceInfo } from '../src/grpc/mappers';
import { uniquePrefix } from './support';

const EYERISS = createBackend('asic-eyeriss').describe();
const FPGA = createBackend('fpga-zc706').describe();

/** A heartbeat as a device agent of `info` publishes it (the fields the registry reads). */
function heartbeatOf(info: DeviceInfo, agent: string, prefix: string) {
  return {
    type: 'device_agent_stats',
    agent,
    device: info.id,
    kind: info.kind,
    description: info.description,
    metrics: [`${prefix}_latency`, `${prefix}_energy`],
    supports: info.supports,
    state: 'serving',
  };
}

describe('coordinator device registry (real nats-server)', () => {
  let server: NatsServer;
  let nc: NatsConnection;
  const registries: HeartbeatDeviceRegistry[] = [];

  beforeAll(async () => {
    server = await startNatsServer({ jetstream: false });
    nc = await connectNats({ servers: server.url, name: 'registry-test' });
  });
  afterEach(() => {
    for (const r of registries.splice(0)) r.stop();
  });
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });

  /** A started registry on a fresh prefix, its clock, and a publisher of raw heartbeat bodies. */
  function start() {
    const names = createNames(uniquePrefix());
    const clock = { now: 1_000_000 };
    const registry = new HeartbeatDeviceRegistry(nc, names, 15_000, () => clock.now);
    registry.start();
    registries.push(registry);
    // The registry listens on this connection: once the flush's round trip is back, it has seen the message.
    const publish = async (device: string, body: string | object) => {
      nc.publish(names.deviceHeartbeatSubject(device), typeof body === 'string' ? body : JSON.stringify(body));
      await nc.flush();
    };
    return { registry, clock, publish };
  }

  it('registry - the description in a heartbeat reaches ListDevices; an older agent without one is shown as empty', async () => {
    const { registry, publish } = start();
    await publish('asic-eyeriss', heartbeatOf(EYERISS, 'a1', 'eyeriss'));
    // An agent older than the field: JSON.stringify leaves the undefined description out.
    await publish('fpga-zc706', { ...heartbeatOf(FPGA, 'a2', 'fpga'), description: undefined });

    const devices = registry.list().map(toDeviceInfo);
    expect(devices.map((d) => d.deviceId)).toEqual(['asic-eyeriss', 'fpga-zc706']);
    expect(devices[0].description).toBe(EYERISS.description);
    expect(devices[0].description).toContain('row-stationary');
    expect(devices[1].description).toBe('');
  });

  it('registry - agents of one device that disagree on the description: the most recent heartbeat wins', async () => {
    const { registry, clock, publish } = start();
    const shown = () => registry.list().map((d) => [d.description, d.agentCount]);
    await publish('asic-eyeriss', { ...heartbeatOf(EYERISS, 'old-build', 'eyeriss'), description: 'Eyeriss model, previous release' });
    clock.now += 1000;
    await publish('asic-eyeriss', heartbeatOf(EYERISS, 'new-build', 'eyeriss'));
    expect(shown()).toEqual([[EYERISS.description, 2]]);
    // The old build speaks last: its text is kept, although its agent was registered first.
    clock.now += 1000;
    await publish('asic-eyeriss', { ...heartbeatOf(EYERISS, 'old-build', 'eyeriss'), description: 'Eyeriss model, previous release' });
    expect(shown()).toEqual([['Eyeriss model, previous release', 2]]);
    // Once the old build stops, only the new one is left.
    await publish('asic-eyeriss', { ...heartbeatOf(EYERISS, 'old-build', 'eyeriss'), state: 'stopped' });
    expect(shown()).toEqual([[EYERISS.description, 1]]);
  });

  it('registry - malformed heartbeats are ignored and the registry keeps listening', async () => {
    const { registry, publish } = start();
    const valid = heartbeatOf(EYERISS, 'a1', 'eyeriss');
    for (const body of ['not json', 'null', '42', '[]', '{}', { ...valid, agent: 7 }, { ...valid, description: 42 }, { ...valid, description: null }, { ...valid, description: { text: 'x' } }]) {
      await publish('asic-eyeriss', body);
    }
    expect(registry.list()).toEqual([]);
    await publish('asic-eyeriss', valid);
    expect(registry.list().map((d) => [d.deviceId, d.description])).toEqual([['asic-eyeriss', EYERISS.description]]);
  });
});
