import { InvalidArgumentError } from '@hwnas/bench-core';
import { contextFromTraceparent } from '@hwnas/runtime';
import type { ResultChannel, Subscription, TaskResult } from '@hwnas/runtime';
import { context } from '@opentelemetry/api';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { ensureDurableConsumer } from './durable-consumer';
import { backoffMs, toNasError } from './nats-errors';
import { publishWithRetry } from './retry';
import { settleQuietly, startPullLoop } from './pull-loop';
import { createNames } from './subjects';
import type { NatsNames } from './subjects';
import { injectNatsHeaders } from './trace-context';

/** Options of {@link NatsResultChannel}. */
export interface NatsResultChannelOptions {
  /** The connection to use; the caller owns (and closes) it. */
  readonly nc: NatsConnection;
  /** Stream, subject and consumer names (default `createNames()`, prefix `hwnas`). */
  readonly names?: NatsNames;
  /** Durable consumer name of the subscriber (default `names.consumers.coordinator`). */
  readonly durable?: string;
  /** Results handled at once by `subscribe` (default 1: in arrival order). */
  readonly concurrency?: number;
  /** How long a handler may run before the result is delivered again, milliseconds (default 30000). */
  readonly ackWaitMs?: number;
  /** Deliveries of one result before it is dropped (default -1: never dropped). */
  readonly maxDeliveries?: number;
  /** Delay before a result whose handler threw comes back: `baseMs * 2^(n-1)` capped (defaults 100, 10000). */
  readonly retryBackoff?: { readonly baseMs?: number; readonly maxMs?: number };
  /** Lifetime of one pull request, milliseconds (default 5000, at least 1000). */
  readonly pullExpiresMs?: number;
  /** Wait for one publish acknowledgement, milliseconds (default 2000). */
  readonly publishTimeoutMs?: number;
  /** Keep retrying a publish through a server restart for this long, milliseconds (default 30000). */
  readonly publishRetryMs?: number;
  /** Handler failures and undecodable messages (they are retried or dropped, never thrown). */
  readonly onError?: (err: unknown, context: string) => void;
}

/**
 * A {@link ResultChannel} on a JetStream stream (`<PREFIX>_RESULTS`, limits retention with a max
 * age, file storage): workers publish to `<prefix>.results.<searchId>`, and the coordinator reads
 * through a durable pull consumer, so a restarted coordinator resumes with the results it had not
 * acknowledged (including those published while it was down).
 *
 * - `publish` waits for the server's acknowledgement. Its `msgID` is `<taskId>/<attempts>`: a
 *   publish that is resent after a timeout (same evaluation, same attempt) is dropped by the
 *   server's duplicate window, while a re-evaluation after a redelivery is a new message. Either
 *   way duplicates are harmless, because the coordinator applies results once per task id.
 * - `subscribe` acknowledges a result after its handler resolves; a handler that throws gets it
 *   again after a backoff (nak with delay). Delivery is at-least-once and, with the default
 *   concurrency 1, in publish order apart from those redeliveries.
 *
 * Only one subscriber per durable name makes sense (the coordinator); two would split results.
 */
export class NatsResultChannel implements ResultChannel {
  private readonly names: NatsNames;
  private readonly js: JetStreamClient;
  private jsm?: Promise<JetStreamManager>;
  private readonly onError: (err: unknown, context: string) => void;

  constructor(private readonly opts: NatsResultChannelOptions) {
    this.names = opts.names ?? createNames();
    this.js = jetstream(opts.nc, { timeout: opts.publishTimeoutMs ?? 2000 });
    this.onError = opts.onError ?? (() => undefined);
    const concurrency = opts.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new InvalidArgumentError(`concurrency must be a positive integer, got ${concurrency}`);
    if ((opts.pullExpiresMs ?? 5000) < 1000) throw new InvalidArgumentError('NatsResultChannel: pullExpiresMs must be at least 1000');
  }

  /** Stores `result`; resolves once the server has it. Throws NasError `unavailable`. */
  async publish(result: TaskResult): Promise<void> {
    // The worker's span travels back in the headers for other consumers; the coordinator only
    // records it (as an attribute), it does not parent anything on it.
    const headers = injectNatsHeaders(undefined, contextFromTraceparent(result.traceparent) ?? context.active());
    try {
      await publishWithRetry(this.js, this.names.resultSubject(result.searchId), JSON.stringify(result), { msgID: `${result.taskId}/${result.attempts ?? 0}`, ...(headers ? { headers } : {}) }, {
        attemptTimeoutMs: this.opts.publishTimeoutMs,
        totalTimeoutMs: this.opts.publishRetryMs,
      });
    } catch (e) {
      throw toNasError(e, `publishing the result of ${result.taskId}`);
    }
  }

  /** Starts delivering results to `handler`; resolves once the durable consumer exists. */
  async subscribe(handler: (result: TaskResult) => Promise<void>): Promise<Subscription> {
    const concurrency = this.opts.concurrency ?? 1;
    const ensureConsumer = async () => {
      this.jsm ??= jetstreamManager(this.opts.nc, { checkAPI: false, timeout: this.opts.publishTimeoutMs ?? 2000 });
      await ensureDurableConsumer(await this.jsm, this.names.streams.results, {
        name: this.durable(),
        ackWaitMs: this.opts.ackWaitMs ?? 30_000,
        maxDeliver: this.opts.maxDeliveries ?? -1,
        // Results nak'ed with a delay still count as pending: leave room for many of them.
        maxAckPending: Math.max(1000, concurrency),
      });
    };
    try {
      await ensureConsumer();
    } catch (e) {
      throw toNasError(e, 'creating the result consumer');
    }
    const loop = startPullLoop({
      nc: this.opts.nc,
      js: this.js,
      stream: this.names.streams.results,
      consumer: this.durable(),
      ensureConsumer,
      concurrency,
      expiresMs: this.opts.pullExpiresMs ?? 5000,
      handle: (m) => this.handle(m, handler),
      onError: this.onError,
    });
    return { stop: () => loop.stop() };
  }

  private async handle(m: JsMsg, handler: (result: TaskResult) => Promise<void>): Promise<void> {
    let result: TaskResult;
    try {
      result = m.json<TaskResult>();
    } catch (e) {
      settleQuietly(() => m.term());
      this.onError(e, `undecodable result on ${m.subject} (stream seq ${m.seq}); dropped`);
      return;
    }
    try {
      await handler(result);
    } catch (e) {
      const n = m.info.deliveryCount;
      this.onError(e, `result handler failed on ${result.taskId} (delivery ${n})`);
      settleQuietly(() => m.nak(backoffMs(n, this.opts.retryBackoff?.baseMs ?? 100, this.opts.retryBackoff?.maxMs ?? 10_000)));
      return;
    }
    settleQuietly(() => m.ack());
  }

  private durable(): string {
    return this.opts.durable ?? this.names.consumers.coordinator;
  }
}
