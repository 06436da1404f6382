/**
 * A FIFO of async jobs with at most `concurrency` running at once: what keeps a real device to one
 * measurement at a time while simulators run several. Jobs start in submission order. Not
 * thread-safe (single event loop).
 */
export class WorkQueue {
  private readonly waiting: (() => void)[] = [];
  private running = 0;
  private peak = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(readonly concurrency: number) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`WorkQueue concurrency must be a positive integer, got ${concurrency}`);
  }

  /** Jobs submitted but not started yet. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Jobs running now. */
  get inFlight(): number {
    return this.running;
  }

  /** Most jobs that ever ran at once. */
  get peakInFlight(): number {
    return this.peak;
  }

  /**
   * Runs `job` once a slot is free, after every job submitted before it has started; settles like
   * the job. `job` receives nothing: anything it needs (a deadline signal) it closes over.
   */
  run<T>(job: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.running++;
        this.peak = Math.max(this.peak, this.running);
        job()
          .then(resolve, reject)
          .finally(() => {
            this.running--;
            this.waiting.shift()?.();
            if (this.running === 0 && this.waiting.length === 0) this.idleWaiters.splice(0).forEach((w) => w());
          });
      };
      if (this.running < this.concurrency) start();
      else this.waiting.push(start);
    });
  }

  /** Resolves once no job is running or waiting (immediately if idle). */
  onIdle(): Promise<void> {
    if (this.running === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }
}
