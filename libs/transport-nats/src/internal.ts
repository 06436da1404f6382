/** Internals for sibling libs and tests: building blocks of the adapters, not a stable API. */
export { publishWithRetry, withRetry } from './retry';
export type { RetryOptions } from './retry';
export { startPullLoop } from './pull-loop';
export type { PullLoop, PullLoopOptions } from './pull-loop';
export { ensureDurableConsumer } from './durable-consumer';
export type { DurableSettings } from './durable-consumer';
export { isTransientNatsError, toNasError } from './nats-errors';
