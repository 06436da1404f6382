import type { Subscription } from '../ports/task-queue';
import type { StopOrder, TrialReportChannel } from '../ports/trial-report-channel';
import type { TrialReport } from '../trial-report';

/**
 * An in-process {@link TrialReportChannel}: each report and stop order goes to every subscriber
 * of its kind, in publish order, on a later microtask (as a broker would deliver it: never
 * inside the publisher's call). At most once: a report whose handler rejects is not delivered again.
 */
export class InMemoryTrialReportChannel implements TrialReportChannel {
  private readonly reportHandlers = new Set<(r: TrialReport) => unknown>();
  private readonly stopHandlers = new Set<(o: StopOrder) => void>();

  publishReport(report: TrialReport): Promise<void> {
    return deliver(this.reportHandlers, report);
  }

  subscribeReports(handler: (report: TrialReport) => Promise<void>): Promise<Subscription> {
    return subscribe(this.reportHandlers, handler);
  }

  publishStop(order: StopOrder): Promise<void> {
    return deliver(this.stopHandlers, order);
  }

  subscribeStops(handler: (order: StopOrder) => void): Promise<Subscription> {
    return subscribe(this.stopHandlers, handler);
  }
}

async function deliver<T>(handlers: ReadonlySet<(m: T) => unknown>, message: T): Promise<void> {
  const targets = [...handlers];
  queueMicrotask(() => {
    for (const h of targets) {
      try {
        const out = h(message);
        if (out instanceof Promise) out.catch(() => undefined);
      } catch {
        // A handler that throws loses this message only (at most once, as over NATS).
      }
    }
  });
}

async function subscribe<T>(handlers: Set<(m: T) => unknown>, handler: (m: T) => unknown): Promise<Subscription> {
  handlers.add(handler);
  return { stop: async () => void handlers.delete(handler) };
}
