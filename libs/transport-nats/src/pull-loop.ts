import type { Consumer, ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { backoffMs, sleep } from './nats-errors';

/** Options of {@link startPullLoop}. */
export interface PullLoopOptions {
  /** The loop ends by itself when this connection is closed for good. */
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly stream: string;
  readonly consumer: string;
  /** Creates or updates the durable consumer; called first and whenever pulling fails. */
  readonly ensureConsumer: () => Promise<void>;
  /** Messages handled at once; the loop never asks the server for more than the free slots. */
  readonly concurrency: number;
  /** Lifetime of one pull request, milliseconds (>= 1000). */
  readonly expiresMs: number;
  /** Handles one message and settles it; must not throw (the loop only reports it). */
  readonly handle: (m: JsMsg) => Promise<void>;
  readonly onError: (err: unknown, context: string) => void;
}

/** A running pull loop. */
export interface PullLoop {
  /** Stops pulling, gives back messages received but not started, waits for running handlers. */
  stop(): Promise<void>;
}

/**
 * Pulls from a durable JetStream consumer in batches sized to the free handler slots (so a
 * process holds at most `concurrency` unacknowledged messages, and the rest stay available to
 * other processes) and runs `handle` for each, concurrently.
 *
 * Why `fetch` batches and not `consume()`: `consume()` pulls ahead of the handlers (it refills at
 * 75% of its buffer), so buffered messages would sit with their ack timers running while other
 * workers idle. A fetch is a short-lived pull request (`expiresMs`); any failure of it
 * (server restart, heartbeats missed, consumer deleted, no responders) just ends the batch and
 * the loop pulls again after a capped backoff, re-creating the consumer if it is gone. While the
 * client is disconnected the library pauses the heartbeat check and re-issues the pull on
 * reconnect, which may deliver one extra batch: the loop then runs a few more handlers than
 * `concurrency` for a moment rather than give back (and so spend a delivery attempt of) a task.
 */
export function startPullLoop(opts: PullLoopOptions): PullLoop {
  const stopping = new AbortController();
  const running = new Set<Promise<void>>();
  let consumer: Consumer | undefined;
  let batch: ConsumerMessages | undefined;
  let slotFreed: (() => void) | undefined;

  const waitForSlot = () =>
    new Promise<void>((resolve) => {
      if (running.size < opts.concurrency || stopping.signal.aborted) return resolve();
      slotFreed = resolve;
    });
  stopping.signal.addEventListener('abort', () => slotFreed?.());

  const start = (m: JsMsg) => {
    const p = opts.handle(m).catch((e) => opts.onError(e, 'message handler'));
    running.add(p);
    void p.finally(() => {
      running.delete(p);
      const wake = slotFreed;
      slotFreed = undefined;
      wake?.();
    });
  };

  const loop = (async () => {
    let failures = 0;
    while (!stopping.signal.aborted && !opts.nc.isClosed()) {
      await waitForSlot();
      if (stopping.signal.aborted) break;
      try {
        if (!consumer) {
          await opts.ensureConsumer();
          consumer = await opts.js.consumers.get(opts.stream, opts.consumer);
        }
        batch = await consumer.fetch({ max_messages: Math.max(1, opts.concurrency - running.size), expires: opts.expiresMs });
        for await (const m of batch) {
          // Received after stop(): hand it back at once instead of letting its ack_wait run out.
          if (stopping.signal.aborted) settleQuietly(() => m.nak());
          else start(m);
        }
        failures = 0;
      } catch (e) {
        if (stopping.signal.aborted || opts.nc.isClosed()) break;
        failures++;
        // Re-resolve the consumer next time: it may have been deleted or the server replaced.
        consumer = undefined;
        if (failures > 1) opts.onError(e, `pulling from ${opts.stream}/${opts.consumer}`);
        await sleep(backoffMs(failures, 100, 2000), stopping.signal);
      } finally {
        batch = undefined;
      }
    }
  })();

  return {
    async stop() {
      if (!stopping.signal.aborted) {
        stopping.abort();
        batch?.stop();
      }
      await loop;
      await Promise.all([...running]);
    },
  };
}

/** Runs an ack/nak/term; they throw only when the connection is closed, which loses nothing. */
export function settleQuietly(fn: () => void): void {
  try {
    fn();
  } catch {
    // The server redelivers after ack_wait.
  }
}
