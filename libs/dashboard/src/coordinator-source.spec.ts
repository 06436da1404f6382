import { Benchmark } from '@hwnas/bench-core';
import { describeWithData } from '@hwnas/bench-core/testing';
import { InProcessDevices } from '@hwnas/device-backends';
import { createTableSearchFactory, InMemoryTrialJournal, startEmbedded, TableTrialEvaluator } from '@hwnas/runtime';
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
});
