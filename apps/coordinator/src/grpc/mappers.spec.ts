import { ACCURACY_METRICS, costMetricInfo } from '@hwnas/bench-core';
import { createBackend } from '@hwnas/device-backends';
import { AccuracySource, DeviceKind, Direction, FinishReason, SearchMode, TrialNeed } from '@hwnas/proto';
import type { SubmitSearchRequest } from '@hwnas/proto';
import { normalizeSearchSpec } from '@hwnas/runtime';
import type { EvaluatedArch, SearchView } from '@hwnas/runtime';
import { createProblem } from '@hwnas/search';
import type { SearchProblem } from '@hwnas/search';
import { toDeviceInfo } from './benchmark-mappers';
import { fromSubmitRequest, resolvedRequest, toSearch, toTrials } from './mappers';

const METRICS = [...ACCURACY_METRICS, costMetricInfo('raspi4_latency')];
const problemOf = (spec: { objectives: readonly string[]; constraints: readonly string[]; mode?: string }): SearchProblem =>
  createProblem({ objectives: spec.objectives, constraints: spec.constraints, costFirst: spec.mode === 'cost-first' }, METRICS);

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
  it('fromSubmitRequest - cost_model: z defaults to 2, bad fields are named, and the resolved request carries it', () => {
    const screened = { ...REQ, mode: SearchMode.SEARCH_MODE_COST_FIRST, deviceIds: ['raspi4'], costModel: { device: 'raspi4', bucket: '' } };
    const spec = normalizeSearchSpec(fromSubmitRequest(screened).spec);
    expect(spec.costModel).toEqual({ device: 'raspi4', z: 2 });
    expect(resolvedRequest(spec, undefined).costModel).toEqual({ device: 'raspi4', bucket: '', z: 2 });
    expect(() => fromSubmitRequest({ ...screened, costModel: { device: '', bucket: '' } })).toThrow('cost_model.device: is required');
    expect(() => fromSubmitRequest({ ...screened, costModel: { device: 'raspi4', bucket: 'a b' } })).toThrow('cost_model.bucket: must be a key-value bucket name (letters, digits, - and _), got "a b"');
    expect(() => fromSubmitRequest({ ...screened, costModel: { device: 'raspi4', bucket: '', z: 0 } })).toThrow('cost_model.z: must be > 0 (or 0 with cost_model.conformal), got 0');
    expect(() => fromSubmitRequest({ ...screened, costModel: { device: 'raspi4', bucket: '', conformal: 1.5 } })).toThrow('cost_model.conformal: must be a coverage level in (0, 1), got 1.5');
    expect(fromSubmitRequest({ ...screened, costModel: { device: 'raspi4', bucket: 'b', z: 0, conformal: 0.95 } }).spec.costModel).toEqual({ device: 'raspi4', bucket: 'b', z: 0, conformal: 0.95 });
  });

  it('fromSubmitRequest - converts a full request into a spec the runtime accepts', () => {
    const input = fromSubmitRequest(REQ);
    expect(input.requestId).toBe('abc');
    const spec = normalizeSearchSpec(input.spec);
    expect(spec).toMatchObject({ objectives: ['accuracy'], constraints: ['raspi4_latency<=15'], ordering: 'async', seed: 0, budget: 50, maxInFlight: 4 });
  });

  it('fromSubmitRequest - required fields are never defaulted, and errors name the proto field', () => {
    expect(() => fromSubmitRequest({ ...REQ, seed: undefined })).toThrow('seed: is required');
    // The one optional count: absent means every live worker slot (0).
    expect(fromSubmitRequest({ ...REQ, maxInFlight: undefined }).spec).toMatchObject({ maxInFlight: 0 });
    expect(() => fromSubmitRequest({ ...REQ, constraints: [{ metric: 'raspi4_latency' }] })).toThrow('constraints[0].upper_bound: is required');
    expect(() => fromSubmitRequest({ ...REQ, objectives: [REQ.objectives[0], REQ.objectives[0]] })).toThrow('objectives[1].metric: "accuracy" appears twice');
    expect(() => fromSubmitRequest({ ...REQ, mode: SearchMode.SEARCH_MODE_UNSPECIFIED })).toThrow(/^mode: is required/);
    expect(() => fromSubmitRequest({ ...REQ, budget: 10 ** 6 })).toThrow(/budget: must be at most 100000 \(the server's budget limit\)/);
  });

  it('resolvedRequest - fills in directions and the cost-query cap', () => {
    const spec = normalizeSearchSpec(fromSubmitRequest(REQ).spec);
    const r = resolvedRequest(spec, problemOf(spec), REQ);
    expect(r.objectives).toEqual([{ metric: 'accuracy', direction: Direction.DIRECTION_MAXIMIZE }]);
    // The direction is the problem's (from the metric's description), not guessed from its name.
    const latency = normalizeSearchSpec(fromSubmitRequest({ ...REQ, objectives: [{ metric: 'raspi4_latency', direction: Direction.DIRECTION_UNSPECIFIED }], constraints: [] }).spec);
    expect(resolvedRequest(latency, problemOf(latency)).objectives).toEqual([{ metric: 'raspi4_latency', direction: Direction.DIRECTION_MINIMIZE }]);
    expect(r.maxCostQueries).toBe(50_000);
    expect(r.labels).toEqual({ team: 'x' });
  });

  it('toDeviceInfo - returns the live device\'s description, with units and descriptions for its metrics', () => {
    const eyeriss = createBackend('asic-eyeriss').describe();
    const live = {
      deviceId: eyeriss.id,
      backend: eyeriss.id,
      kind: eyeriss.kind,
      description: eyeriss.description,
      metrics: ['eyeriss_latency', 'eyeriss_energy'],
      supports: eyeriss.supports,
      agentCount: 2,
      lastHeartbeatAtMs: 1234,
    };
    const info = toDeviceInfo(live);
    expect(info).toMatchObject({ deviceId: 'asic-eyeriss', backend: 'asic-eyeriss', kind: DeviceKind.DEVICE_KIND_SIMULATED, agentCount: 2, lastHeartbeatAtMs: 1234 });
    expect(info.description).toBe(eyeriss.description);
    expect(info.description).toContain('Eyeriss v1 row-stationary ASIC (12x14 PEs');
    expect(info.metrics.map((m) => m.unit)).toEqual(['ms', 'mJ']);
  });

  it('toTrials - tell index, ask and tell times, cached answers and screened cost queries', () => {
    const spec = normalizeSearchSpec(fromSubmitRequest({ ...REQ, mode: SearchMode.SEARCH_MODE_COST_FIRST }).spec);
    const told: EvaluatedArch[] = [
      { trialId: 0, arch: [0], key: 'a', need: 'costs', status: 'ok', metrics: { raspi4_latency: 20 }, tellIndex: 0, askedAt: 10, toldAt: 12 },
      { trialId: 1, arch: [1], key: 'b', need: 'costs', status: 'ok', metrics: { raspi4_latency: 9 }, tellIndex: 1, askedAt: 10, toldAt: 13 },
      { trialId: 3, arch: [1], key: 'b', need: 'full', status: 'ok', metrics: { raspi4_latency: 9, accuracy: 90 }, tellIndex: 3, askedAt: 13, toldAt: 15 },
      { trialId: 2, arch: [1], key: 'b', need: 'costs', status: 'ok', metrics: { raspi4_latency: 9, accuracy: 90 }, tellIndex: 2, askedAt: 13, toldAt: 14, cached: true },
    ];
    const trials = toTrials({ spec, problem: problemOf(spec) }, told);
    expect(trials.map((t) => [t.tellIndex, t.askIndex, t.need, t.screened, t.cached, t.feasible, t.askedAtMs, t.toldAtMs])).toEqual([
      [0, 0, TrialNeed.TRIAL_NEED_COSTS, true, false, false, 10, 12],
      [1, 1, TrialNeed.TRIAL_NEED_COSTS, false, false, false, 10, 13],
      [3, 3, TrialNeed.TRIAL_NEED_FULL, false, false, true, 13, 15],
      [2, 2, TrialNeed.TRIAL_NEED_COSTS, false, true, false, 13, 14],
    ]);
  });

  it('training - epochs and early stopping reach the spec (scheduler default none, eta 3), come back resolved, and bad values name the field', () => {
    const spec = normalizeSearchSpec(fromSubmitRequest({ ...REQ, training: { epochs: 3, scheduler: 'asha', minEpochs: 1 } }).spec);
    expect(spec.training).toEqual({ epochs: 3, scheduler: 'asha', minEpochs: 1, eta: 3 });
    expect(resolvedRequest(spec, problemOf(spec)).training).toEqual({ epochs: 3, scheduler: 'asha', minEpochs: 1, eta: 3 });
    expect(normalizeSearchSpec(fromSubmitRequest({ ...REQ, training: { epochs: 12, scheduler: '' } }).spec).training).toEqual({ epochs: 12, scheduler: 'none', eta: 3 });
    expect(normalizeSearchSpec(fromSubmitRequest(REQ).spec).training).toBeUndefined();
    expect(() => fromSubmitRequest({ ...REQ, training: { scheduler: 'asha' } })).toThrow(/^training\.epochs: /);
    expect(fromSubmitRequest({ ...REQ, training: { epochs: 3, scheduler: 'sh' } }).spec).toMatchObject({ training: { epochs: 3, scheduler: 'sh' } });
    expect(() => fromSubmitRequest({ ...REQ, training: { epochs: 3, scheduler: 'pbt' } })).toThrow('training.scheduler: must be one of none, asha, hyperband, sh, budget-sh (or empty), got "pbt"');
    expect(() => fromSubmitRequest({ ...REQ, training: { epochs: 3, scheduler: 'asha', minEpochs: 4 } })).toThrow(/^training\.min_epochs: /);
    expect(() => fromSubmitRequest({ ...REQ, training: { epochs: 3, scheduler: 'asha', eta: 1 } })).toThrow('training.eta: must be a number greater than 1, got 1');
  });

  it('max_failed_evaluations - at most the budget, kept in the spec and in the resolved request', () => {
    expect(() => fromSubmitRequest({ ...REQ, maxFailedEvaluations: 51 })).toThrow('max_failed_evaluations: must be at most the budget (50), got 51');
    expect(() => fromSubmitRequest({ ...REQ, maxFailedEvaluations: 0 })).toThrow(/^max_failed_evaluations: must be at least 1/);
    const spec = normalizeSearchSpec(fromSubmitRequest({ ...REQ, maxFailedEvaluations: 5 }).spec);
    expect(spec.maxFailed).toBe(5);
    expect(resolvedRequest(spec, problemOf(spec)).maxFailedEvaluations).toBe(5);
    const plain = normalizeSearchSpec(fromSubmitRequest(REQ).spec);
    expect(resolvedRequest(plain, problemOf(plain)).maxFailedEvaluations).toBeUndefined();
    const view: SearchView = {
      searchId: 's',
      spec,
      state: 'failed',
      counts: { evaluationsDispatched: 9, evaluationsDone: 9, evaluationsFailed: 5, costQueries: 0, inFlight: 0 },
      submittedAt: 1,
      startedAt: 2,
      updatedAt: 3,
      finishedAt: 3,
      finishReason: 'too many failed evaluations: 5 (max_failed_evaluations 5)',
      failureCode: 'too_many_failures',
      evaluationsPerSecond: 9,
    };
    expect(toSearch(view, []).failure).toEqual({ code: 'too_many_failures', message: 'too many failed evaluations: 5 (max_failed_evaluations 5)' });
    expect(toSearch({ ...view, failureCode: undefined }, []).failure?.code).toBe('failed_precondition');
    expect(toSearch(view, []).finishReason).toBe(FinishReason.FINISH_REASON_FAILED);
    expect(toSearch({ ...view, failureCode: 'no_feasible_architecture' }, []).finishReason).toBe(FinishReason.FINISH_REASON_NO_FEASIBLE_ARCHITECTURE);
    expect(toSearch({ ...view, state: 'running', finishedAt: undefined }, []).finishReason).toBe(FinishReason.FINISH_REASON_UNSPECIFIED);
  });
});
