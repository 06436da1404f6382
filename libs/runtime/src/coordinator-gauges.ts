import { metrics } from '@opentelemetry/api';
import type { BatchObservableCallback } from '@opentelemetry/api';
import { isFinished } from './search-record';
import type { SearchRecord } from './search-record';
import { quietly, RUNTIME_SCOPE } from './trace-context';

/**
 * Registers the coordinator's observable gauges (running and pending searches, evaluations in
 * flight) over `records`; returns the function that removes them. No-ops without an SDK.
 */
export function observeSearches(records: () => Iterable<SearchRecord>): () => void {
  let remove = () => undefined as void;
  quietly(() => {
    const meter = metrics.getMeter(RUNTIME_SCOPE);
    const inFlight = meter.createObservableGauge('hwnas.evaluations.in_flight', { description: 'Tasks dispatched and not yet answered, over running searches', unit: '{task}' });
    const running = meter.createObservableGauge('hwnas.searches.running', { description: 'Searches started and not finished (asking, evaluating or draining)', unit: '{search}' });
    const pending = meter.createObservableGauge('hwnas.searches.pending', { description: 'Searches waiting for a slot (see maxRunningSearches)', unit: '{search}' });
    const callback: BatchObservableCallback = (result) => {
      let n = 0;
      let waiting = 0;
      let tasks = 0;
      for (const r of records()) {
        if (isFinished(r)) continue;
        if (r.startedAt === undefined) {
          waiting++;
          continue;
        }
        n++;
        tasks += r.run?.counts.inFlight ?? 0;
      }
      result.observe(inFlight, tasks);
      result.observe(running, n);
      result.observe(pending, waiting);
    };
    meter.addBatchObservableCallback(callback, [inFlight, running, pending]);
    remove = () => quietly(() => meter.removeBatchObservableCallback(callback, [inFlight, running, pending]));
  });
  return remove;
}
