import type { OneShotTaskPayload } from '@hwnas/search';
/** One evaluation to run: what a worker needs, and nothing about the strategy. */
export interface EvalTask {
  /** `<searchId>.<trialId>`; the idempotency key of the evaluation. */
  readonly taskId: string;
  readonly searchId: string;
  readonly trialId: number;
  readonly space: string;
  readonly dataset: string;
  /** Canonical arch string. */
  readonly arch: string;
  /** `full`: accuracy and costs; `costs`: only `metrics` (a cost-first screening query). */
  readonly need: 'full' | 'costs';
  /** For `costs`: the cheap metrics to return. For `full`: ignored (everything is returned). */
  readonly metrics: readonly string[];
  readonly accuracySource: 'table' | 'proxy';
  readonly devices: readonly string[];
  /** W3C trace context of the dispatching span, when tracing is on. */
  readonly traceparent?: string;
  /**
   * Multi-fidelity: epochs a trainer evaluation should reach (total, not additional). Absent: the
   * evaluator's own default (table and proxy evaluators ignore it).
   */
  readonly fidelity?: { readonly epochs: number };
  /** The search's seed, for evaluators that train (trainer searches only). */
  readonly seed?: number;
  /**
   * A trial of a one-shot search (darts, na-darts, nas-ood): which stage it is (the supernet task,
   * the derived architecture's measurement or its retraining) and the method's settings. Workers
   * without a one-shot trainer must not treat it as an ordinary evaluation.
   */
  readonly oneShot?: OneShotTaskPayload;
}

/**
 * How a consumer settles a delivered task (mirrors JetStream's ack/nak/working/term). Exactly one
 * of `ack`, `retry` or `reject` must be called; `working` may be called any number of times.
 */
export interface TaskControl {
  /** Delivery attempt of this task, from 1. */
  readonly attempt: number;
  /** Done: remove the task. */
  ack(): void;
  /** Transient failure: deliver again after `delayMs` (to any consumer). */
  retry(delayMs?: number): void;
  /** Permanent failure: never deliver again. */
  reject(reason: string): void;
  /**
   * Still busy: extend the lease on the task. A queue whose leases expire (NATS: the consumer's
   * ack wait) gives the task to another consumer when this is not called often enough; a
   * long evaluation calls it on a timer (the worker loop does, every `heartbeatMs`).
   */
  working(): void;
  /**
   * Aborted when the task has been handed back to the queue ({@link TaskSubscription.handBack}):
   * the handler should stop, and whatever it settles afterwards is ignored. It may be shared by
   * every delivery of one subscription (a hand-back gives back all of them at once), so it says
   * nothing about a task already settled.
   */
  readonly signal: AbortSignal;
}

/** A running subscription; `stop` stops new deliveries and waits for handlers in progress. */
export interface Subscription {
  stop(): Promise<void>;
}

/** A running consumer of a {@link TaskQueue}. */
export interface TaskSubscription extends Subscription {
  /**
   * Stops new deliveries and hands every task still being handled back to the queue at once, so
   * that another consumer can take it without waiting for a lease to expire (a worker stopping
   * on SIGTERM). Aborts those tasks' `ctl.signal` and waits for their handlers to return. A
   * hand-back counts as a delivery: a task handed back on its last allowed delivery is dropped,
   * as after a crash.
   */
  handBack(): Promise<void>;
}

/** Options of {@link TaskQueue.consume}. */
export interface ConsumeOptions {
  /** Tasks handled at once by this consumer (default 1). */
  readonly concurrency?: number;
  /** Deliveries before a task is given up (the consumer sees `attempt === maxDeliveries` last). */
  readonly maxDeliveries?: number;
}

/**
 * A work queue of evaluation tasks shared by many consumers: each task goes to one consumer at a
 * time, and is delivered again if its consumer dies or asks for a retry (at-least-once).
 */
export interface TaskQueue {
  publish(task: EvalTask): Promise<void>;
  consume(handler: (task: EvalTask, ctl: TaskControl) => Promise<void>, opts?: ConsumeOptions): Promise<TaskSubscription>;
  /**
   * Drops the tasks of `searchId` still in the queue and returns how many. Called once a search
   * has ended: what is left then are tasks no consumer will settle (their deliveries used up by
   * workers that died on them), which would otherwise stay in the queue for good.
   */
  discard(searchId: string): Promise<number>;
}
