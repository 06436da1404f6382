import { createBackend } from '@hwnas/device-backends';
import { AccuracySource, DeviceKind, Direction, SearchMode } from '@hwnas/proto';
import type { SubmitSearchRequest } from '@hwnas/proto';
import { normalizeSearchSpec } from '@hwnas/runtime';
import { fromSubmitRequest, resolvedRequest, toDeviceInfo } from './mappers';

const REQ: SubmitSearchRequest = {
  space: 'nb201',
  dataset: 'cifar10',
  strategy: 'rea',
  strategyOptions: { population: '20' },
  objectives: [{ metric: 'accuracy', direction: Direction.DIRECTION_UNSPECIFIED }],
  constraints: [{ metric: 'raspi4_latency', upperBound: 15 }],
  budget: 50,
  maxInFlight: 4,
  seed: 0,
  accuracySource: AccuracySource.ACCURACY_SOURCE_TABLE,
  deviceIds: [],
  mode: SearchMode.SEARCH_MODE_JOINT,
  asynchronous: true,
  requestId: 'abc',
  labels: { team: 'x' },
};

describe('coordinator mappers', () => {
  it('fromSubmitRequest - converts a full request into a spec the runtime accepts', () => {
    const input = fromSubmitRequest(REQ);
    expect(input.requestId).toBe('abc');
    const spec = normalizeSearchSpec(input.spec);
    expect(spec).toMatchObject({ objectives: ['accuracy'], constraints: ['raspi4_latency<=15'], ordering: 'async', seed: 0, budget: 50, maxInFlight: 4 });
  });

  it('fromSubmitRequest - required fields are never defaulted, and errors name the proto field', () => {
    expect(() => fromSubmitRequest({ ...REQ, seed: undefined })).toThrow('seed: is required');
    expect(() => fromSubmitRequest({ ...REQ, maxInFlight: undefined })).toThrow('max_in_flight: is required');
    expect(() => fromSubmitRequest({ ...REQ, constraints: [{ metric: 'raspi4_latency' }] })).toThrow('constraints[0].upper_bound: is required');
    expect(() => fromSubmitRequest({ ...REQ, objectives: [REQ.objectives[0], REQ.objectives[0]] })).toThrow('objectives[1].metric: "accuracy" appears twice');
    expect(() => fromSubmitRequest({ ...REQ, mode: SearchMode.SEARCH_MODE_UNSPECIFIED })).toThrow(/^mode: is required/);
    expect(() => fromSubmitRequest({ ...REQ, budget: 10 ** 6 })).toThrow(/budget: must be at most 100000 \(the server's budget limit\)/);
  });

  it('resolvedRequest - fills in directions and the cost-query cap', () => {
    const spec = normalizeSearchSpec(fromSubmitRequest(REQ).spec);
    const r = resolvedRequest(spec, REQ);
    expect(r.objectives).toEqual([{ metric: 'accuracy', direction: Direction.DIRECTION_MAXIMIZE }]);
    expect(r.maxCostQueries).toBe(50_000);
    expect(r.labels).toEqual({ team: 'x' });
  });

  it('toDeviceInfo - returns the live device\'s description, with units and descriptions for its metrics', () => {
    const eyeriss = createBackend('asic-eyeriss').describe();
    const live = {
      deviceId: eyeriss.id,
      kind: eyeriss.kind,
      description: eyeriss.description,
      metrics: ['eyeriss_latency', 'eyeriss_energy'],
      supports: eyeriss.supports,
      agentCount: 2,
      lastHeartbeatAtMs: 1234,
    };
    const info = toDeviceInfo(live);
    expect(info).toMatchObject({ deviceId: 'asic-eyeriss', kind: DeviceKind.DEVICE_KIND_SIMULATED, agentCount: 2, lastHeartbeatAtMs: 1234 });
    expect(info.description).toBe(eyeriss.description);
    expect(info.description).toContain('Eyeriss v1 row-stationary ASIC (12x14 PEs');
    expect(info.metrics.map((m) => m.unit)).toEqual(['ms', 'mJ']);
  });
});
