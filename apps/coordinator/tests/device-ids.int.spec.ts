import { status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { createBackend } from '@hwnas/device-backends';
import type { DeviceInfo, GetResultsResponse, ListDevicesResponse, SubmitSearchRequest, SubmitSearchResponse } from '@hwnas/proto';
import { DeviceKind, SearchState, TrialStatus } from '@hwnas/proto';
import { startNatsServer } from '@hwnas/testing-nats';
import { connectNats, createNames, RemoteDeviceClient } from '@hwnas/transport-nats';
import { rpc, searchRequest, spawnApp, startCoordinator, startWorkerProc, uniquePrefix, waitFor, waitForSearch } from './support';
import type { AppProcess, CoordinatorHandle } from './support';

/** `device_agent_stats` fields this test reads (the agent's stats reply). */
interface Stats {
  readonly device: string;
  readonly backend: string;
  readonly metrics: readonly string[];
  readonly received: number;
  readonly served: number;
}

describe('device ids (separate processes, real nats-server)', () => {
  it('device ids - two host-cpu agents under different ids are two devices end to end: ListDevices, a search on both, separate metrics and separate agents', async () => {
    await using nats = await startNatsServer({ jetstream: true });
    const prefix = uniquePrefix();
    const names = createNames(prefix);
    const procs: AppProcess[] = [];
    let coord: CoordinatorHandle | undefined;
    const nc = await connectNats({ servers: nats.url, name: 'device-ids-test' });
    try {
      // The cluster's own x86 CPU under the backend's id, and a stand-in for an ARM board under an
      // id of its own: the same backend, so only the id tells their measurements apart.
      const common = ['--device', 'host-cpu', '--nats', nats.url, '--prefix', prefix, '--heartbeat-ms', '300', '--warmup', '0', '--repeats', '3'];
      procs.push(spawnApp('device-agent', common), spawnApp('device-agent', [...common, '--device-id', 'edge-arm64']));
      coord = await startCoordinator(nats.url, prefix);
      procs.push(startWorkerProc(nats.url, prefix));
      const c = coord;
      const listDevices = async () => (await rpc<object, ListDevicesResponse>(c.bench, 'listDevices', {})).devices;
      await waitFor(async () => (await listDevices()).length === 2, 'both agents to be live');

      // ListDevices: two devices, each with its own metric, both saying they run host-cpu.
      const hostCpu = createBackend('host-cpu', { hostCpu: { warmup: 0, repeats: 3 } }).describe();
      const listed = (await listDevices()).map((d: DeviceInfo) => ({ id: d.deviceId, backend: d.backend, kind: d.kind, description: d.description, metrics: d.metrics.map((m) => m.name), agents: d.agentCount }));
      expect(listed).toEqual([
        { id: 'edge-arm64', backend: 'host-cpu', kind: DeviceKind.DEVICE_KIND_MEASURED, description: hostCpu.description, metrics: ['edge_arm64_latency'], agents: 1 },
        { id: 'host-cpu', backend: 'host-cpu', kind: DeviceKind.DEVICE_KIND_MEASURED, description: hostCpu.description, metrics: ['hostcpu_latency'], agents: 1 },
      ]);

      // A worker-side client measures on each separately.
      const client = new RemoteDeviceClient({ nc, names, timeoutMs: 30_000, retries: 0 });
      const arch = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|';
      const onEdge = await client.measure('edge-arm64', { space: 'nb201', dataset: 'cifar10', arch });
      const onX86 = await client.measure('host-cpu', { space: 'nb201', dataset: 'cifar10', arch });
      expect(Object.keys(onEdge)).toEqual(['edge_arm64_latency']);
      expect(Object.keys(onX86)).toEqual(['hostcpu_latency']);

      // Metric names follow the registration: a search cannot ask the board for energy (host-cpu
      // has none), nor for the x86 metric without naming the x86 device.
      const submit = (over: Partial<SubmitSearchRequest>) => rpc<SubmitSearchRequest, SubmitSearchResponse>(c.search, 'submitSearch', searchRequest(over));
      const refused = async (over: Partial<SubmitSearchRequest>) => {
        const err = (await submit(over).then(
          () => undefined,
          (e: ServiceError) => e,
        )) as ServiceError | undefined;
        return { code: err?.code, details: err?.details };
      };
      expect(await refused({ deviceIds: ['edge-arm64'], constraints: [{ metric: 'edge_arm64_energy', upperBound: 1 }] })).toEqual({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/^constraints: .*edge_arm64_energy/) });
      expect(await refused({ deviceIds: ['edge-arm64'], constraints: [{ metric: 'hostcpu_latency', upperBound: 1e6 }] })).toEqual({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/^constraints: .*hostcpu_latency/) });

      // A search on both: every trial carries both devices' latencies, under their own names.
      const budget = 10;
      const req = searchRequest({ budget, maxInFlight: 4, seed: 5, deviceIds: ['host-cpu', 'edge-arm64'], constraints: [{ metric: 'edge_arm64_latency', upperBound: 1e6 }, { metric: 'hostcpu_latency', upperBound: 1e6 }] });
      const { searchId } = await rpc<SubmitSearchRequest, SubmitSearchResponse>(c.search, 'submitSearch', req);
      const done = await waitForSearch(() => c.search, searchId, 120_000);
      expect(done.state).toBe(SearchState.SEARCH_STATE_SUCCEEDED);
      const res = await rpc<object, GetResultsResponse>(c.search, 'getResults', { searchId, pageSize: 0, pageToken: '', includeCostQueries: false });
      expect(res.history).toHaveLength(budget);
      for (const t of res.history) {
        expect(t.status).toBe(TrialStatus.TRIAL_STATUS_OK);
        expect(t.metrics.edge_arm64_latency).toBeGreaterThan(0);
        expect(t.metrics.hostcpu_latency).toBeGreaterThan(0);
      }

      // Each agent measured what was asked of its id, and only that: the two registrations share
      // no queue group, so neither answered the other's requests.
      const stats = async (device: string) => (await nc.request(names.deviceMeasureSubject(device).replace(/\.measure$/, '.stats'), '', { timeout: 5000 })).json<Stats>();
      const [edge, x86] = [await stats('edge-arm64'), await stats('host-cpu')];
      expect(edge).toMatchObject({ device: 'edge-arm64', backend: 'host-cpu', metrics: ['edge_arm64_latency'] });
      expect(x86).toMatchObject({ device: 'host-cpu', backend: 'host-cpu', metrics: ['hostcpu_latency'] });
      // One request each from the client above, then one per trial of the search (the worker asks every device of a task).
      for (const s of [edge, x86]) {
        expect(s.received).toBeGreaterThanOrEqual(1 + budget);
        expect(s.served).toBe(s.received);
      }
      expect(edge.received).toBe(x86.received);
    } finally {
      await nc.close();
      await coord?.close();
      await Promise.all(procs.map((p) => p.kill('SIGTERM')));
    }
  });
});
