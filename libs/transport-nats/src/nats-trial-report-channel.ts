import type { Metrics } from '@hwnas/bench-core';
import type { StopOrder, Subscription, TrialReport, TrialReportChannel } from '@hwnas/runtime';
import type { NatsConnection } from '@nats-io/transport-node';
import { createNames } from './subjects';
import type { NatsNames } from './subjects';

/** Options of {@link NatsTrialReportChannel}. */
export interface NatsTrialReportChannelOptions {
  /** The connection to use; the caller owns (and closes) it. */
  readonly nc: NatsConnection;
  /** Subject names (default `createNames()`, prefix `hwnas`). */
  readonly names?: NatsNames;
  /** Messages that do not decode (they are dropped, never thrown). */
  readonly onError?: (err: unknown, context: string) => void;
}

/**
 * A {@link TrialReportChannel} on core NATS: workers publish a search's intermediate reports to
 * `<prefix>.reports.<searchId>` and the coordinator subscribes to `<prefix>.reports.*`; stop
 * orders go the other way on `<prefix>.stop.<searchId>`, heard by every worker. Core NATS is at
 * most once, as the port allows: no stream keeps reports (the coordinator journals those it
 * receives), so a report published while no coordinator listens is gone. Messages are JSON.
 */
export class NatsTrialReportChannel implements TrialReportChannel {
  private readonly nc: NatsConnection;
  private readonly names: NatsNames;

  constructor(private readonly opts: NatsTrialReportChannelOptions) {
    this.nc = opts.nc;
    this.names = opts.names ?? createNames();
  }

  async publishReport(report: TrialReport): Promise<void> {
    const { searchId, trialId, epoch, metrics } = report;
    this.nc.publish(this.names.reportSubject(searchId), JSON.stringify({ searchId, trialId, epoch, metrics }));
  }

  subscribeReports(handler: (report: TrialReport) => void): Promise<Subscription> {
    return this.listen(this.names.wildcards.reports, 'trial report', (body) => {
      const metrics = body.metrics as Metrics;
      if (!isMetrics(metrics)) return 'metrics must map names to finite numbers';
      handler({ type: 'trial_report', searchId: body.searchId as string, trialId: body.trialId as number, epoch: body.epoch as number, metrics });
      return undefined;
    });
  }

  async publishStop(order: StopOrder): Promise<void> {
    const { searchId, trialId, epoch } = order;
    this.nc.publish(this.names.stopSubject(searchId), JSON.stringify({ searchId, trialId, epoch }));
  }

  subscribeStops(handler: (order: StopOrder) => void): Promise<Subscription> {
    return this.listen(this.names.wildcards.stops, 'stop order', (body) => {
      handler({ searchId: body.searchId as string, trialId: body.trialId as number, epoch: body.epoch as number });
      return undefined;
    });
  }

  /** Subscribes to `subject`; `accept` gets bodies whose searchId, trialId and epoch are well-formed, and returns why it refused one. */
  private async listen(subject: string, what: string, accept: (body: Record<string, unknown>) => string | undefined): Promise<Subscription> {
    const sub = this.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return;
        let why: string | undefined;
        try {
          const body = msg.json<Record<string, unknown>>();
          why = malformed(body) ?? accept(body);
        } catch (e) {
          why = e instanceof SyntaxError ? 'not JSON' : String(e);
        }
        if (why !== undefined) this.quietly(() => this.opts.onError?.(new Error(`${what} on ${msg.subject} dropped: ${why}`), what));
      },
    });
    return {
      stop: async () => {
        if (!sub.isClosed()) await sub.drain().catch(() => undefined);
      },
    };
  }

  private quietly(fn: () => void): void {
    try {
      fn();
    } catch {
      // A failing logger never breaks the subscription.
    }
  }
}

/** Why a message's addressing fields are wrong, or undefined when they are fine. */
function malformed(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return 'not an object';
  const b = body as Record<string, unknown>;
  if (typeof b.searchId !== 'string' || b.searchId === '') return 'searchId must be a non-empty string';
  if (!Number.isSafeInteger(b.trialId) || (b.trialId as number) < 0) return 'trialId must be a non-negative integer';
  if (!Number.isSafeInteger(b.epoch) || (b.epoch as number) < 0) return 'epoch must be a non-negative integer';
  return undefined;
}

function isMetrics(m: unknown): m is Metrics {
  return typeof m === 'object' && m !== null && !Array.isArray(m) && Object.values(m).every((v) => typeof v === 'number' && Number.isFinite(v));
}
