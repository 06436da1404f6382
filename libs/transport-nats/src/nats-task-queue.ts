import { InvalidArgumentError } from '@hwnas/bench-core';
import { contextFromTraceparent } from '@hwnas/runtime';
import type { ConsumeOptions, EvalTask, TaskControl, TaskQueue, TaskSubscription } from '@hwnas/runtime';
import { context } from '@opentelemetry/api';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { ensureDurableConsumer } from './durable-consumer';
import { jetStreamErrorCode, toNasError } from './nats-errors';
import { publishWithRetry } from './retry';
import { settleQuietly, startPullLoop } from './pull-loop';
import { createNames } from './subjects';
import type { NatsNames } from './subjects';
import { extractFromNatsHeaders, injectNatsHeaders } from './trace-context';

/**
 * Default ack wait of the shared worker consumer, milliseconds: how long a task held by a worker
 * that died stays frozen before the server gives it to another one.
 */
export const DEFAULT_TASK_ACK_WAIT_MS = 2000;

/** Options of {@link NatsTaskQueue}. */
export interface NatsTaskQueueOptions {
  /** The connection to use; the caller owns (and closes) it. */
  readonly nc: NatsConnection;
  /** Stream, subject and consumer names (default `createNames()`, prefix `hwnas`). */
  readonly names?: NatsNames;
  /**
   * How long a delivered task may go without `ack`/`retry`/`reject`/`working` before the server
   * gives it to another worker, milliseconds (default 2000). A worker that dies mid-task loses
   * nothing but this much time, so it is short; an evaluation of any length keeps its task by
   * calling `working()` more often than this (the worker loop does, every 500 ms by default).
   */
  readonly ackWaitMs?: number;
  /**
   * Unacknowledged tasks allowed over all workers together (the shared consumer's
   * `max_ack_pending`, default 1000). Each worker's own limit is its `concurrency`.
   */
  readonly maxAckPending?: number;
  /** Lifetime of one pull request, milliseconds (default 5000, at least 1000). */
  readonly pullExpiresMs?: number;
  /** Wait for one publish acknowledgement, milliseconds (default 2000). */
  readonly publishTimeoutMs?: number;
  /** Keep retrying a publish through a server restart for this long, milliseconds (default 30000). */
  readonly publishRetryMs?: number;
  /** Failures with nowhere else to go (undecodable task, pull errors while the server is down). */
  readonly onError?: (err: unknown, context: string) => void;
}

/**
 * A {@link TaskQueue} on a JetStream work-queue stream (`<PREFIX>_EVAL`, file storage) with ONE
 * durable pull consumer (`workers`) shared by every worker process, so each task is handed to one
 * worker at a time and is removed from the stream once acknowledged.
 *
 * - `publish` stores the task on `<prefix>.eval.<searchId>` with `msgID = taskId` and waits for the
 *   server's acknowledgement: re-publishing a task within the stream's duplicate window (default
 *   2 min) is a no-op, which makes a coordinator's re-dispatch after a restart safe. Transient
 *   failures (server restarting) are retried for `publishRetryMs`.
 * - `consume` pulls at most `concurrency` tasks at a time. {@link TaskControl} maps to JetStream:
 *   `ack` → ack, `retry(delayMs)` → nak with delay, `reject` → term, `working` → in-progress;
 *   `attempt` is the delivery count. `handBack()` on the subscription naks every task still
 *   being handled (immediate redelivery elsewhere) and aborts their `ctl.signal`. A handler that throws, or returns without settling, is
 *   treated as a crash: the task is nak'ed for immediate redelivery. On the last allowed attempt
 *   (`maxDeliveries`), `retry` and crashes terminate the task instead, so it leaves the stream.
 *   `maxDeliveries` (default 5) and `ackWaitMs` are set on the shared consumer: the last
 *   process to call `consume` with other values decides them for all.
 * - Trace context: `publish` puts the task's `traceparent` (or else the active context) into the
 *   message headers with the registered propagator; `consume` runs the handler in the context
 *   extracted from them. Without an OpenTelemetry SDK, no headers are added.
 * - Server restarts: the connection reconnects by itself (see `connectNats`), the stream and
 *   durable consumer are file-backed, and the pull loop re-pulls (re-creating the consumer if
 *   needed), so consumption resumes. Acks sent while disconnected can be lost: those tasks come
 *   back after `ackWaitMs` (at-least-once, as the port promises).
 *
 * Safe to share between concurrent callers in one process.
 */
export class NatsTaskQueue implements TaskQueue {
  private readonly names: NatsNames;
  private readonly js: JetStreamClient;
  private jsm?: Promise<JetStreamManager>;
  private readonly onError: (err: unknown, context: string) => void;

  constructor(private readonly opts: NatsTaskQueueOptions) {
    this.names = opts.names ?? createNames();
    this.js = jetstream(opts.nc, { timeout: opts.publishTimeoutMs ?? 2000 });
    this.onError = opts.onError ?? (() => undefined);
    if ((opts.pullExpiresMs ?? 5000) < 1000) throw new InvalidArgumentError('NatsTaskQueue: pullExpiresMs must be at least 1000');
  }

  /** Stores `task` durably; resolves once the server has it. Throws NasError `unavailable`. */
  async publish(task: EvalTask): Promise<void> {
    const headers = injectNatsHeaders(undefined, contextFromTraceparent(task.traceparent) ?? context.active());
    try {
      await publishWithRetry(this.js, this.names.evalSubject(task.searchId), JSON.stringify(task), { msgID: task.taskId, ...(headers ? { headers } : {}) }, this.retry());
    } catch (e) {
      throw toNasError(e, `publishing task ${task.taskId}`);
    }
  }

  /** Purges the search's subject from the work-queue stream. Throws NasError `unavailable`. */
  async discard(searchId: string): Promise<number> {
    try {
      const { purged } = await (await this.manager()).streams.purge(this.names.streams.eval, { filter: this.names.evalSubject(searchId) });
      return purged;
    } catch (e) {
      throw toNasError(e, `discarding the tasks of search ${searchId}`);
    }
  }

  /**
   * Starts handing tasks to `handler`, at most `opts.concurrency` (default 1) at a time. Resolves
   * once the shared consumer exists. The returned subscription's `stop` stops pulling and waits
   * for the handlers in progress.
   */
  async consume(handler: (task: EvalTask, ctl: TaskControl) => Promise<void>, opts: ConsumeOptions = {}): Promise<TaskSubscription> {
    const concurrency = opts.concurrency ?? 1;
    const maxDeliveries = opts.maxDeliveries ?? 5;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new InvalidArgumentError(`concurrency must be a positive integer, got ${concurrency}`);
    if (!Number.isInteger(maxDeliveries) || maxDeliveries < 1) throw new InvalidArgumentError(`maxDeliveries must be a positive integer, got ${maxDeliveries}`);
    const ensureConsumer = async () =>
      ensureDurableConsumer(await this.manager(), this.names.streams.eval, {
        name: this.names.consumers.workers,
        ackWaitMs: this.opts.ackWaitMs ?? DEFAULT_TASK_ACK_WAIT_MS,
        maxDeliver: maxDeliveries,
        maxAckPending: this.opts.maxAckPending ?? 1000,
      });
    try {
      await ensureConsumer();
    } catch (e) {
      throw toNasError(e, 'creating the worker consumer');
    }
    /** Hand-back of each task whose handler is running. */
    const inProgress = new Set<() => void>();
    // One signal for the subscription (handBack gives back every task in progress at once).
    const handedBack = new AbortController();
    const loop = startPullLoop({
      nc: this.opts.nc,
      js: this.js,
      stream: this.names.streams.eval,
      consumer: this.names.consumers.workers,
      ensureConsumer,
      concurrency,
      expiresMs: this.opts.pullExpiresMs ?? 5000,
      handle: (m) => this.handle(m, handler, maxDeliveries, inProgress, handedBack.signal),
      onError: this.onError,
    });
    return {
      stop: () => loop.stop(),
      handBack: async () => {
        // Stop pulling first (synchronously), so nothing new starts while the rest is handed back.
        const stopped = loop.stop();
        for (const handBack of [...inProgress]) handBack();
        handedBack.abort();
        await stopped;
      },
    };
  }

  /**
   * Tasks not yet finished: waiting (`num_pending`) plus delivered and not yet acknowledged
   * (`num_ack_pending`) on the shared consumer; before any worker has started, the tasks stored
   * in the stream. For an autoscaler; a snapshot, possibly stale by the time it returns.
   */
  async backlog(): Promise<number> {
    try {
      const jsm = await this.manager();
      try {
        const ci = await jsm.consumers.info(this.names.streams.eval, this.names.consumers.workers);
        return ci.num_pending + ci.num_ack_pending;
      } catch (e) {
        if (jetStreamErrorCode(e) !== 10014) throw e;
        return (await jsm.streams.info(this.names.streams.eval)).state.messages;
      }
    } catch (e) {
      throw toNasError(e, 'reading the task backlog');
    }
  }

  private async handle(m: JsMsg, handler: (task: EvalTask, ctl: TaskControl) => Promise<void>, maxDeliveries: number, inProgress: Set<() => void>, signal: AbortSignal): Promise<void> {
    let task: EvalTask;
    try {
      task = m.json<EvalTask>();
    } catch (e) {
      // Retrying cannot fix a message that does not parse.
      settleQuietly(() => m.term());
      this.onError(e, `undecodable task on ${m.subject} (stream seq ${m.seq}); terminated`);
      return;
    }
    const attempt = m.info.deliveryCount;
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      settleQuietly(fn);
    };
    const again = (delayMs: number) => settle(() => (attempt >= maxDeliveries ? m.term() : m.nak(Math.max(0, delayMs))));
    // A plain nak even on the last attempt: the server then keeps the task (max_deliver reached)
    // rather than the worker deciding it failed, as after a crash.
    const handBack = () => settle(() => m.nak());
    const ctl: TaskControl = {
      attempt,
      signal,
      ack: () => settle(() => m.ack()),
      retry: (delayMs = 0) => again(delayMs),
      // The reason is the caller's to record (journal); term with a reason needs server 2.10+.
      reject: () => settle(() => m.term()),
      working: () => {
        if (!settled) settleQuietly(() => m.working());
      },
    };
    inProgress.add(handBack);
    try {
      await context.with(extractFromNatsHeaders(m.headers), () => handler(task, ctl));
    } catch (e) {
      this.onError(e, `task handler failed on ${task.taskId} (attempt ${attempt})`);
      again(0);
    } finally {
      inProgress.delete(handBack);
    }
    // Returning without settling is treated like a crash, as in the in-memory queue.
    again(0);
  }

  private retry() {
    return { attemptTimeoutMs: this.opts.publishTimeoutMs, totalTimeoutMs: this.opts.publishRetryMs };
  }

  private manager(): Promise<JetStreamManager> {
    // No account check: it would be one more request on every start, and fail the same way later.
    this.jsm ??= jetstreamManager(this.opts.nc, { checkAPI: false, timeout: this.opts.publishTimeoutMs ?? 2000 });
    return this.jsm;
  }
}
