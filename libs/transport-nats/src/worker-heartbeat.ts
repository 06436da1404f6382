import type { LiveWorkers } from '@hwnas/runtime';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { NatsNames } from './subjects';

/** Default period of worker heartbeats, milliseconds. */
export const DEFAULT_WORKER_HEARTBEAT_MS = 1000;
/** Heartbeat periods without one after which a worker counts as gone. */
const MISSED_HEARTBEATS = 3;
/** Most workers remembered at once (heartbeats from more are ignored until some expire). */
const MAX_WORKERS = 10_000;

/**
 * What a worker says about itself, on `<prefix>.worker.heartbeat.<workerId>` (core NATS, JSON):
 * its evaluation slots, the tasks it is evaluating now, and `stopped` when it leaves.
 */
export interface WorkerHeartbeat {
  readonly worker: string;
  /** Tasks it evaluates at once. */
  readonly concurrency: number;
  /** Task ids it is evaluating now (their leases are being kept). */
  readonly running: readonly string[];
  /** How often it sends a heartbeat, milliseconds (the registry expires it after three missed). */
  readonly everyMs: number;
  readonly state: 'serving' | 'stopped';
}

/** Options of {@link startWorkerHeartbeat}. */
export interface WorkerHeartbeatOptions {
  readonly nc: NatsConnection;
  readonly names: NatsNames;
  readonly workerId: string;
  readonly concurrency: number;
  /** The task ids being evaluated now (read at each heartbeat). */
  readonly running: () => Iterable<string>;
  /** Period, milliseconds (default {@link DEFAULT_WORKER_HEARTBEAT_MS}). */
  readonly everyMs?: number;
}

/**
 * Sends a worker's heartbeat now and every `everyMs` until the returned function is called, which
 * sends a last one with state `stopped` (so the coordinator stops counting its slots at once).
 * Publishing failures are ignored: a missed heartbeat only makes the worker look gone a while.
 */
export function startWorkerHeartbeat(opts: WorkerHeartbeatOptions): () => void {
  const everyMs = opts.everyMs ?? DEFAULT_WORKER_HEARTBEAT_MS;
  const subject = opts.names.workerHeartbeatSubject(opts.workerId);
  const send = (state: WorkerHeartbeat['state']) => {
    const hb: WorkerHeartbeat = { worker: opts.workerId, concurrency: opts.concurrency, running: state === 'serving' ? [...opts.running()] : [], everyMs, state };
    try {
      opts.nc.publish(subject, JSON.stringify(hb));
    } catch {
      // Closed or draining connection: nothing to tell anyone.
    }
  };
  send('serving');
  const timer = setInterval(() => send('serving'), everyMs);
  timer.unref?.();
  return () => {
    clearInterval(timer);
    send('stopped');
  };
}

/** A heartbeat body as the registry keeps it, or undefined when it is not one. Never throws. */
export function parseWorkerHeartbeat(body: unknown): WorkerHeartbeat | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { worker, concurrency, running, everyMs, state } = body as Record<string, unknown>;
  if (typeof worker !== 'string' || worker === '') return undefined;
  if (typeof concurrency !== 'number' || !Number.isInteger(concurrency) || concurrency < 1) return undefined;
  if (!Array.isArray(running) || !running.every((t) => typeof t === 'string')) return undefined;
  if (typeof everyMs !== 'number' || !(everyMs > 0)) return undefined;
  if (state !== 'serving' && state !== 'stopped') return undefined;
  return { worker, concurrency, running: [...(running as string[])], everyMs, state };
}

/**
 * The live workers of a cluster, from their heartbeats ({@link LiveWorkers} for the coordinator):
 * a worker counts from its first heartbeat until it says `stopped` or misses three in a row.
 * Malformed heartbeats are ignored (counted in {@link malformedHeartbeats}).
 */
export class NatsWorkerRegistry implements LiveWorkers {
  private readonly workers = new Map<string, { readonly hb: WorkerHeartbeat; readonly at: number; readonly running: ReadonlySet<string> }>();
  private sub?: Subscription;
  private malformed = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly names: NatsNames,
    private readonly now: () => number = Date.now,
  ) {}

  /** Heartbeats ignored as malformed since the start. */
  get malformedHeartbeats(): number {
    return this.malformed;
  }

  start(): void {
    this.sub = this.nc.subscribe(this.names.wildcards.workerHeartbeat, {
      callback: (err, msg) => {
        if (err) return;
        let hb: WorkerHeartbeat | undefined;
        try {
          hb = parseWorkerHeartbeat(msg.json());
        } catch {
          hb = undefined;
        }
        if (!hb) return void this.malformed++;
        this.note(hb);
      },
    });
  }

  /** Takes one heartbeat into account (what the subscription does with each). */
  note(hb: WorkerHeartbeat): void {
    if (hb.state === 'stopped') return void this.workers.delete(hb.worker);
    if (!this.workers.has(hb.worker) && this.workers.size >= MAX_WORKERS) this.expire();
    if (!this.workers.has(hb.worker) && this.workers.size >= MAX_WORKERS) return;
    this.workers.set(hb.worker, { hb, at: this.now(), running: new Set(hb.running) });
  }

  stop(): void {
    this.sub?.unsubscribe();
  }

  /** The live workers, by id: their slots and the number of tasks they are evaluating. */
  list(): { readonly workerId: string; readonly concurrency: number; readonly running: number; readonly lastHeartbeatAtMs: number }[] {
    this.expire();
    return [...this.workers.values()].map(({ hb, at }) => ({ workerId: hb.worker, concurrency: hb.concurrency, running: hb.running.length, lastHeartbeatAtMs: at })).sort((a, b) => a.workerId.localeCompare(b.workerId));
  }

  slots(): number {
    this.expire();
    let sum = 0;
    for (const { hb } of this.workers.values()) sum += hb.concurrency;
    return sum;
  }

  isRunning(taskId: string): boolean {
    this.expire();
    for (const w of this.workers.values()) if (w.running.has(taskId)) return true;
    return false;
  }

  private expire(): void {
    const now = this.now();
    for (const [id, { hb, at }] of this.workers) if (now - at > MISSED_HEARTBEATS * hb.everyMs) this.workers.delete(id);
  }
}
