import { createBackend } from '@hwnas/device-backends';
import type { DeviceInfo } from '@hwnas/device-backends';
import { DeviceKind } from '@hwnas/proto';
import { startNatsServer } from '@hwnas/testing-nats';
import type { NatsServer } from '@hwnas/testing-nats';
import { connectNats, createNames } from '@hwnas/transport-nats';
import type { NatsConnection } from '@nats-io/transport-node';
import { HeartbeatDeviceRegistry } from '../src/device-registry';
import { toDeviceInfo } from '../src/grpc/benchmark-mappers';
import type { LiveDevice } from '../src/grpc/benchmark-mappers';
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
  function start(log?: { warn(fields: object, msg: string): void }) {
    const names = createNames(uniquePrefix());
    const clock = { now: 1_000_000 };
    const registry = new HeartbeatDeviceRegistry(nc, names, 15_000, () => clock.now, undefined, log);
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

  // Wrong types and unknown values of each field the registry reads (undefined: the field is left out).
  const MALFORMED: Record<string, readonly unknown[]> = {
    agent: ['', 7, null, ['a1'], undefined],
    device: ['', 7, null, { id: 'asic-eyeriss' }, undefined],
    // Absent is fine (an agent older than the field); present, it must be a non-empty string.
    backend: ['', 7, null, ['asic-eyeriss'], { id: 'asic-eyeriss' }],
    kind: ['emulated', 'SIMULATED', 5, null, ['simulated'], { kind: 'simulated' }, undefined],
    metrics: [5, 'eyeriss_latency', null, { 0: 'eyeriss_latency' }, [1], ['eyeriss_latency', null], [['eyeriss_latency']], undefined],
    supports: [
      [{ space: 1, datasets: ['cifar10'] }],
      [{ space: 'nb201' }],
      [{ space: 'nb201', datasets: 'cifar10' }],
      [{ space: 'nb201', datasets: [10] }],
      [{ space: 'nb201', datasets: null }],
      [null],
      ['nb201'],
      [[]],
      { space: 'nb201', datasets: ['cifar10'] },
      'nb201',
      5,
      null,
      undefined,
    ],
    state: ['running', 'SERVING', 1, null, true, ['serving'], { state: 'serving' }],
  };

  it.each(Object.entries(MALFORMED))('registry - a heartbeat with a malformed %s is ignored as a whole; ListDevices and the device check keep the last valid record', async (field, values) => {
    const { registry, clock, publish } = start();
    const valid = heartbeatOf(EYERISS, 'a1', 'eyeriss');
    await publish('asic-eyeriss', valid);
    const listed = () => registry.list().map(toDeviceInfo);
    const metricNames = () => registry.metrics('asic-eyeriss', 'nb201', 'cifar10').map((m) => m.name);
    const before = listed();
    expect(before.map((d) => [d.deviceId, d.agentCount, d.lastHeartbeatAtMs])).toEqual([['asic-eyeriss', 1, 1_000_000]]);
    expect(metricNames()).toEqual(['eyeriss_latency', 'eyeriss_energy']);

    for (const value of values) {
      clock.now += 1000;
      await publish('asic-eyeriss', { ...valid, [field]: value });
      // Unchanged, down to the time of the last heartbeat: a malformed one does not even count as a sign of life.
      expect({ value, devices: listed() }).toEqual({ value, devices: before });
      expect(metricNames()).toEqual(['eyeriss_latency', 'eyeriss_energy']);
    }
    // A malformed goodbye is ignored too: it does not evict the agent's last valid record.
    await publish('asic-eyeriss', { ...valid, [field]: values[0], state: field === 'state' ? values[0] : 'stopped' });
    expect(listed()).toEqual(before);
    expect(registry.malformedHeartbeats).toBe(values.length + 1);

    // Still listening.
    await publish('asic-eyeriss', { ...valid, description: 'next build' });
    expect(listed()).toEqual([{ ...before[0], description: 'next build', lastHeartbeatAtMs: clock.now }]);
  });

  it('registry - agents running one backend under two device ids are two devices, each with its backend and its own metric names', async () => {
    const { registry, publish } = start();
    const hostCpu = createBackend('host-cpu').describe();
    const hb = (agent: string, device: string, metrics: string[]) => ({ ...heartbeatOf(hostCpu, agent, ''), device, backend: 'host-cpu', metrics });
    await publish('host-cpu', hb('x86-1', 'host-cpu', ['hostcpu_latency']));
    await publish('edge-arm64', hb('rpi-1', 'edge-arm64', ['edge_arm64_latency']));
    await publish('edge-arm64', hb('rpi-2', 'edge-arm64', ['edge_arm64_latency']));
    // An agent older than the backend field: its device id is its backend.
    await publish('asic-eyeriss', { ...heartbeatOf(EYERISS, 'old', 'eyeriss'), backend: undefined });

    expect(registry.list().map(toDeviceInfo).map((d) => [d.deviceId, d.backend, d.kind, d.agentCount, d.metrics.map((m) => m.name)])).toEqual([
      ['asic-eyeriss', 'asic-eyeriss', DeviceKind.DEVICE_KIND_SIMULATED, 1, ['eyeriss_latency', 'eyeriss_energy']],
      ['edge-arm64', 'host-cpu', DeviceKind.DEVICE_KIND_MEASURED, 2, ['edge_arm64_latency']],
      ['host-cpu', 'host-cpu', DeviceKind.DEVICE_KIND_MEASURED, 1, ['hostcpu_latency']],
    ]);
    expect(registry.list().find((d) => d.deviceId === 'edge-arm64')?.description).toBe(hostCpu.description);
    expect(registry.metrics('edge-arm64', 'nb201', 'cifar10').map((m) => [m.name, m.unit])).toEqual([['edge_arm64_latency', 'ms']]);
    expect(registry.metrics('host-cpu', 'nb201', 'cifar10').map((m) => m.name)).toEqual(['hostcpu_latency']);
  });

  it('registry - a heartbeat without a state is accepted, but its agent is not live', async () => {
    const { registry, publish } = start();
    const valid = heartbeatOf(EYERISS, 'a1', 'eyeriss');
    await publish('asic-eyeriss', valid);
    expect(registry.list()).toHaveLength(1);
    await publish('asic-eyeriss', { ...valid, state: undefined });
    expect(registry.list()).toEqual([]);
    expect(registry.malformedHeartbeats).toBe(0);
  });

  it('registry - malformed heartbeats are counted and warned about once per agent, not once per heartbeat', async () => {
    const warnings: Record<string, unknown>[] = [];
    const { registry, publish } = start({ warn: (fields) => warnings.push(fields as Record<string, unknown>) });
    const valid = heartbeatOf(EYERISS, 'a1', 'eyeriss');
    for (let i = 0; i < 5; i++) await publish('asic-eyeriss', { ...valid, metrics: 5 });
    await publish('asic-eyeriss', { ...valid, supports: [{ space: 1 }] });
    await publish('asic-eyeriss', valid);
    await publish('asic-eyeriss', { ...valid, kind: 'emulated' });
    await publish('fpga-zc706', { ...heartbeatOf(FPGA, 'a2', 'fpga'), state: 'running' });
    // Without an agent id, the sender is told apart by its subject.
    for (let i = 0; i < 3; i++) await publish('fpga-zc706', 'not json');

    expect(registry.malformedHeartbeats).toBe(5 + 1 + 1 + 1 + 3);
    expect(warnings.map((w) => [w.agent, w.reason])).toEqual([
      ['a1', 'metrics is not an array of strings'],
      ['a2', 'state is not one of serving, draining, stopped'],
      [undefined, 'not JSON'],
    ]);
    expect(registry.list().map((d) => d.deviceId)).toEqual(['asic-eyeriss']);
  });

  it('registry - agents of one device that disagree on kind, metrics and supports: all of them follow the most recent heartbeat', async () => {
    const { registry, clock, publish } = start();
    const oldBuild = {
      ...heartbeatOf(EYERISS, 'old-build', 'eyeriss_v0'),
      kind: 'replay' as const,
      description: 'Eyeriss model, previous release',
      supports: [{ space: 'nb201', datasets: ['cifar10'] }],
    };
    const newBuild = heartbeatOf(EYERISS, 'new-build', 'eyeriss');
    const shown = () => registry.list().map(({ kind, description, metrics, supports, agentCount }) => ({ kind, description, metrics, supports, agentCount }));
    const fieldsOf = (hb: Pick<LiveDevice, 'kind' | 'description' | 'metrics' | 'supports'>, agentCount: number) => ({ kind: hb.kind, description: hb.description, metrics: hb.metrics, supports: hb.supports, agentCount });
    const metricNames = () => registry.metrics('asic-eyeriss', 'nb201', 'cifar10').map((m) => m.name);

    await publish('asic-eyeriss', oldBuild);
    clock.now += 1000;
    await publish('asic-eyeriss', newBuild);
    expect(shown()).toEqual([fieldsOf(newBuild, 2)]);
    expect(metricNames()).toEqual(['eyeriss_latency', 'eyeriss_energy']);
    expect(registry.metrics('asic-eyeriss', 'nb201', 'cifar100')).toHaveLength(2);

    // The old build speaks last: everything it says is kept, although its agent was registered first.
    clock.now += 1000;
    await publish('asic-eyeriss', oldBuild);
    expect(shown()).toEqual([fieldsOf(oldBuild, 2)]);
    expect(registry.list().map(toDeviceInfo)[0].kind).toBe(DeviceKind.DEVICE_KIND_REPLAY);
    expect(metricNames()).toEqual(['eyeriss_v0_latency', 'eyeriss_v0_energy']);
    expect(() => registry.metrics('asic-eyeriss', 'nb201', 'cifar100')).toThrow('device "asic-eyeriss" does not accept nb201/cifar100');

    // And back.
    clock.now += 1000;
    await publish('asic-eyeriss', newBuild);
    expect(shown()).toEqual([fieldsOf(newBuild, 2)]);
    clock.now += 1000;
    await publish('asic-eyeriss', oldBuild);
    expect(shown()).toEqual([fieldsOf(oldBuild, 2)]);
    // Once the old build stops, only the new one is left.
    await publish('asic-eyeriss', { ...oldBuild, state: 'stopped' });
    expect(shown()).toEqual([fieldsOf(newBuild, 1)]);
  });
});
