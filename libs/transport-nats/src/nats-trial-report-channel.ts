import { InvalidArgumentError } from '@hwnas/bench-core';
import type { Metrics } from '@hwnas/bench-core';
import type { StopOrder, Subscription, TrialReport, TrialReportChannel } from '@hwnas/runtime';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { ensureDurableConsumer } from './durable-consumer';
import { backoffMs, sleep, toNasError } from './nats-errors';
import { settleQuietly, startPullLoop } from './pull-loop';
import { publishWithRetry } from './retry';
import { createNames } from './subjects';
import type { NatsNames } from './subjects';

/** Options of {@link NatsTrialReportChannel}. */
export interface NatsTrialReportChannelOptions {
  /** The connection to use; the caller owns (and closes) it. */
  readonly nc: NatsConnection;
  /** Subject, stream and consumer names (default `createNames()`, prefix `hwnas`). */
  readonly names?: NatsNames;
  /** Durable consumer of `subscribeReports` on the reports stream (default `names.consumers.coordinator`). */
  readonly durable?: string;
  /** Reports handled at once by `subscribeReports` (default 32; handlers are called in delivery order). */
  readonly concurrency?: number;
  /**
   * How long a report's handler may take before the report is delivered again, milliseconds
   * (default 5000: a report is journalled in about a millisecond, and one held by a coordinator
   * that crashed should come back while its trial still trains).
   */
  readonly ackWaitMs?: number;
  /**
   * Longest `subscribeReports` waits for the reports kept from before it (see there),
   * milliseconds (default `ackWaitMs` + 2000: reports a crashed coordinator held come back
   * after its ack wait). 0: it does not wait.
   */
  readonly catchUpMs?: number;
  /** Lifetime of one pull request, milliseconds (default 5000, at least 1000). */
  readonly pullExpiresMs?: number;
  /** Wait for one publish acknowledgement, milliseconds (default 2000). */
  readonly publishTimeoutMs?: number;
  /** Keep retrying a report's publish through a server restart for this long, milliseconds (default 10000). */
  readonly publishRetryMs?: number;
  /** Messages that do not decode (they are dropped, never thrown) and handler failures (retried). */
  readonly onError?: (err: unknown, context: string) => void;
}

/**
 * A {@link TrialReportChannel} on NATS.
 *
 * - Reports: workers publish a search's intermediate reports to `<prefix>.reports.<searchId>`,
 *   kept by the JetStream stream `<PREFIX>_REPORTS` (limits: 1 day, 100 000 per search; see
 *   `streamConfigs`), and the coordinator reads them through a durable pull consumer, acknowledging
 *   a report once its handler resolved (it was journalled) and getting it again after a backoff
 *   when the handler rejects. So reports published while no coordinator runs, or held by one that
 *   crashed, reach the next one: at least once (the coordinator drops exact repeats).
 *   `discardReports` purges a search's subject once the search ended.
 * - Stop orders go the other way on core NATS, `<prefix>.stop.<searchId>`, heard by every worker:
 *   at most once (the coordinator repeats whole-search orders while they matter).
 *
 * Messages are JSON. Only one report subscriber per durable name makes sense (the coordinator).
 */
export class NatsTrialReportChannel implements TrialReportChannel {
  private readonly nc: NatsConnection;
  private readonly names: NatsNames;
  private readonly js: JetStreamClient;
  private jsm?: Promise<JetStreamManager>;
  private readonly concurrency: number;

  constructor(private readonly opts: NatsTrialReportChannelOptions) {
    this.nc = opts.nc;
    this.names = opts.names ?? createNames();
    this.js = jetstream(opts.nc, { timeout: opts.publishTimeoutMs ?? 2000 });
    this.concurrency = opts.concurrency ?? 32;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) throw new InvalidArgumentError(`NatsTrialReportChannel: concurrency must be a positive integer, got ${this.concurrency}`);
    if ((opts.pullExpiresMs ?? 5000) < 1000) throw new InvalidArgumentError('NatsTrialReportChannel: pullExpiresMs must be at least 1000');
  }

  /** Stores the report in the reports stream; resolves once the server has it. Throws NasError `unavailable`. */
  async publishReport(report: TrialReport): Promise<void> {
    const { searchId, trialId, epoch, metrics } = report;
    try {
      // No msgID: a report stored twice (a publish resent after a lost acknowledgement) is dropped by the coordinator.
      await publishWithRetry(this.js, this.names.reportSubject(searchId), JSON.stringify({ searchId, trialId, epoch, metrics }), {}, { attemptTimeoutMs: this.opts.publishTimeoutMs, totalTimeoutMs: this.opts.publishRetryMs ?? 10_000 });
    } catch (e) {
      throw toNasError(e, `publishing a report of trial ${trialId} of ${searchId}`);
    }
  }

  /**
   * Starts delivering stored reports to `handler` (from the oldest not acknowledged). Resolves
   * once the consumer has none left to deliver or to acknowledge (at most `catchUpMs`), so that a
   * coordinator that restarts journals the reports published while it was down before it applies
   * results: a trial's result ends its curve.
   */
  async subscribeReports(handler: (report: TrialReport) => Promise<void>): Promise<Subscription> {
    const durable = this.opts.durable ?? this.names.consumers.coordinator;
    const ensureConsumer = async () => {
      await ensureDurableConsumer(await this.manager(), this.names.streams.reports, { name: durable, ackWaitMs: this.opts.ackWaitMs ?? 5000, maxDeliver: -1, maxAckPending: Math.max(1000, this.concurrency) });
    };
    try {
      await ensureConsumer();
    } catch (e) {
      throw toNasError(e, 'creating the report consumer');
    }
    const loop = startPullLoop({
      nc: this.nc,
      js: this.js,
      stream: this.names.streams.reports,
      consumer: durable,
      ensureConsumer,
      concurrency: this.concurrency,
      expiresMs: this.opts.pullExpiresMs ?? 5000,
      handle: (m) => this.handleReport(m, handler),
      onError: (e, context) => this.quietly(() => this.opts.onError?.(e, context)),
    });
    await this.caughtUp(durable, this.opts.catchUpMs ?? (this.opts.ackWaitMs ?? 5000) + 2000);
    return { stop: () => loop.stop() };
  }

  /** Waits until the consumer has no report left to deliver or to acknowledge, or `limitMs` ran out. */
  private async caughtUp(durable: string, limitMs: number): Promise<void> {
    const deadline = Date.now() + limitMs;
    while (Date.now() < deadline) {
      try {
        const info = await (await this.manager()).consumers.info(this.names.streams.reports, durable);
        if (info.num_pending === 0 && info.num_ack_pending === 0) return;
      } catch {
        // Asked again: the pull loop reports lasting failures.
      }
      await sleep(50);
    }
  }

  /** Purges the search's reports from the stream. Throws NasError `unavailable`. */
  async discardReports(searchId: string): Promise<void> {
    try {
      await (await this.manager()).streams.purge(this.names.streams.reports, { filter: this.names.reportSubject(searchId) });
    } catch (e) {
      throw toNasError(e, `discarding the reports of search ${searchId}`);
    }
  }

  async publishStop(order: StopOrder): Promise<void> {
    this.nc.publish(this.names.stopSubject(order.searchId), JSON.stringify(order));
  }

  subscribeStops(handler: (order: StopOrder) => void): Promise<Subscription> {
    return this.listen(this.names.wildcards.stops, 'stop order', (body) => {
      const why = malformedAddress(body, body.type !== 'search');
      if (why !== undefined) return why;
      handler(body.type === 'search' ? { type: 'search', searchId: body.searchId as string } : { type: 'trial', searchId: body.searchId as string, trialId: body.trialId as number, epoch: body.epoch as number });
      return undefined;
    });
  }

  private async handleReport(m: JsMsg, handler: (report: TrialReport) => Promise<void>): Promise<void> {
    let report: TrialReport;
    try {
      const body = m.json<Record<string, unknown>>();
      const why = malformedAddress(body, true) ?? (isMetrics(body.metrics) ? undefined : 'metrics must map names to finite numbers');
      if (why !== undefined) throw new Error(why);
      report = { type: 'trial_report', searchId: body.searchId as string, trialId: body.trialId as number, epoch: body.epoch as number, metrics: body.metrics as Metrics };
    } catch (e) {
      settleQuietly(() => m.term());
      const why = e instanceof SyntaxError ? 'not JSON' : (e as Error).message;
      this.quietly(() => this.opts.onError?.(new Error(`trial report on ${m.subject} dropped: ${why}`), 'trial report'));
      return;
    }
    try {
      await handler(report);
    } catch (e) {
      const n = m.info.deliveryCount;
      this.quietly(() => this.opts.onError?.(e, `report handler failed on trial ${report.trialId} of ${report.searchId} (delivery ${n})`));
      settleQuietly(() => m.nak(backoffMs(n, 100, 10_000)));
      return;
    }
    settleQuietly(() => m.ack());
  }

  private manager(): Promise<JetStreamManager> {
    this.jsm ??= jetstreamManager(this.nc, { checkAPI: false, timeout: this.opts.publishTimeoutMs ?? 2000 });
    return this.jsm;
  }

  /** Subscribes to `subject` on core NATS; `accept` gets decoded bodies and returns why it refused one. */
  private async listen(subject: string, what: string, accept: (body: Record<string, unknown>) => string | undefined): Promise<Subscription> {
    const sub = this.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return;
        let why: string | undefined;
        try {
          const body = msg.json<unknown>();
          why = typeof body !== 'object' || body === null ? 'not an object' : accept(body as Record<string, unknown>);
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

/** Why a message's addressing fields are wrong (searchId, and trialId and epoch when `ofTrial`), or undefined when they are fine. */
function malformedAddress(body: unknown, ofTrial: boolean): string | undefined {
  if (typeof body !== 'object' || body === null) return 'not an object';
  const b = body as Record<string, unknown>;
  if (typeof b.searchId !== 'string' || b.searchId === '') return 'searchId must be a non-empty string';
  if (!ofTrial) return undefined;
  if (!Number.isSafeInteger(b.trialId) || (b.trialId as number) < 0) return 'trialId must be a non-negative integer';
  if (!Number.isSafeInteger(b.epoch) || (b.epoch as number) < 0) return 'epoch must be a non-negative integer';
  return undefined;
}

function isMetrics(m: unknown): m is Metrics {
  return typeof m === 'object' && m !== null && !Array.isArray(m) && Object.values(m).every((v) => typeof v === 'number' && Number.isFinite(v));
}
