import { Benchmark, costMetricInfo, nb201Space } from '@hwnas/bench-core';
import { describeWithData } from '@hwnas/bench-core/testing';
import { InProcessDevices } from '@hwnas/device-backends';
import { createTableSearchFactory, InMemoryTrialJournal, startEmbedded, TableTrialEvaluator } from '@hwnas/runtime';
import { ratioCostModels } from '@hwnas/runtime/testing';
import { CoordinatorDashboardSource, inProcessDeviceRows } from './coordinator-source';

describeWithData('CoordinatorDashboardSource', (dataDir) => {
  test('CoordinatorDashboardSource - trace id from the journal, measured device costs marked, change notifications', async () => {
    const bench = Benchmark.open({ dataDir });
    const devices = new InProcessDevices(bench);
    const journal = new InMemoryTrialJournal();
    const embedded = await startEmbedded({ factory: createTableSearchFactory(bench, devices), evaluator: new TableTrialEvaluator(bench, devices), journal });
    try {
      const source = new CoordinatorDashboardSource({ coordinator: embedded.coordinator, journal, catalog: devices, pollMs: 20 });
      const changed: string[] = [];
      const unsubscribe = source.subscribe((id) => changed.push(id));
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const id = await embedded.coordinator.submit(
        { space: 'nb201', dataset: 'cifar10', strategy: 'random', objectives: ['accuracy', 'eyeriss_latency'], constraints: [], devices: ['asic-eyeriss'], budget: 6, maxInFlight: 1, seed: 0, ordering: 'ordered' },
        { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      );
      await embedded.coordinator.waitFor(id);
      await new Promise((r) => setTimeout(r, 100));
      unsubscribe();
      expect(changed).toContain(id);
      const d = await source.getSearch(id);
      expect(d.traceId).toBe(traceId);
      expect(d.objectives).toEqual([
        { metric: 'accuracy', unit: '%', direction: 'max' },
        { metric: 'eyeriss_latency', unit: 'ms', direction: 'min' },
      ]);
      expect(d.trials).toHaveLength(6);
      for (const t of d.trials) {
        expect([...t.measured].sort()).toEqual(['eyeriss_energy', 'eyeriss_latency']);
        expect(t.feasible).toBe(true);
      }
      expect(d.frontIds.length).toBeGreaterThan(0);
      expect(d.summary.frontSize).toBe(d.frontIds.length);
      expect(inProcessDeviceRows(embedded.coordinator, devices)).toEqual([expect.objectContaining({ deviceId: 'asic-eyeriss', kind: 'in-process', metrics: ['eyeriss_latency', 'eyeriss_energy'] })]);
      await expect(source.getSearch('nope')).rejects.toMatchObject({ code: 'not_found' });
    } finally {
      await embedded.stop();
      await devices.close();
    }
  });

  test('CoordinatorDashboardSource - a search that starts and ends between two polls is news; one that ended before the subscription is not', async () => {
    const bench = Benchmark.open({ dataDir });
    const devices = new InProcessDevices(bench);
    const embedded = await startEmbedded({ factory: createTableSearchFactory(bench, devices), evaluator: new TableTrialEvaluator(bench, devices) });
    try {
      const spec = { space: 'nb201', dataset: 'cifar10', strategy: 'random', objectives: ['accuracy', 'eyeriss_latency'], constraints: [], devices: ['asic-eyeriss'], budget: 2, maxInFlight: 1, seed: 0 };
      const before = await embedded.coordinator.submit(spec);
      await embedded.coordinator.waitFor(before);
      const source = new CoordinatorDashboardSource({ coordinator: embedded.coordinator, catalog: devices, pollMs: 150 });
      const changed: string[] = [];
      const unsubscribe = source.subscribe((id) => changed.push(id));
      const fast = await embedded.coordinator.submit({ ...spec, seed: 1 });
      await embedded.coordinator.waitFor(fast);
      await new Promise((r) => setTimeout(r, 400));
      unsubscribe();
      expect(changed).toContain(fast);
      expect(changed).not.toContain(before);
    } finally {
      await embedded.stop();
      await devices.close();
    }
  });

  test('CoordinatorDashboardSource - a screened search\'s predicted device costs are marked predicted, not measured', async () => {
    const bench = Benchmark.open({ dataDir });
    const raspi4 = bench.nb201.column('cifar10', 'raspi4_latency');
    const devices = { measure: async (_d: string, req: { arch: string }) => ({ raspi4_latency: raspi4[bench.nb201.indexOf(nb201Space.parse(req.arch))] }), metrics: () => [costMetricInfo('raspi4_latency')] };
    const journal = new InMemoryTrialJournal();
    const costModels = ratioCostModels(bench, { device: 'raspi4', metric: 'raspi4_latency', reference: 'pixel3_latency', ratio: 2.4 });
    const embedded = await startEmbedded({ factory: createTableSearchFactory(bench, devices), evaluator: new TableTrialEvaluator(bench, devices), journal, costModels });
    try {
      const source = new CoordinatorDashboardSource({ coordinator: embedded.coordinator, journal, catalog: devices, pollMs: 20 });
      const spec = { space: 'nb201', dataset: 'cifar10', strategy: 'random', objectives: ['accuracy'], constraints: ['raspi4_latency<=15.7228'], mode: 'cost-first', devices: ['raspi4'], costModel: { device: 'raspi4', z: 2 }, budget: 10, maxInFlight: 2, seed: 1 };
      const id = await embedded.coordinator.submit(spec);
      await embedded.coordinator.waitFor(id);
      const d = await source.getSearch(id);
      const predicted = d.trials.filter((t) => t.metrics.raspi4_latency_measured === 0);
      const measured = d.trials.filter((t) => t.metrics.raspi4_latency_measured === 1);
      expect(predicted.length).toBeGreaterThan(0);
      expect(measured.length).toBeGreaterThan(0);
      for (const t of predicted) {
        expect(t.predicted).toEqual(['raspi4_latency']);
        expect(t.measured).not.toContain('raspi4_latency');
      }
      for (const t of measured) {
        expect(t.predicted).toBeUndefined();
        expect(t.measured).toContain('raspi4_latency');
      }
    } finally {
      await embedded.stop();
    }
  });
});
