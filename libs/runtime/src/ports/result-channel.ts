import type { TaskResult } from '../events';
import type { Subscription } from './task-queue';

/**
 * Carries task results from workers to the coordinator, at least once: a result may arrive
 * twice (redelivery), so the coordinator applies results idempotently by task id. A handler that
 * throws gets the result again later.
 */
export interface ResultChannel {
  publish(result: TaskResult): Promise<void>;
  subscribe(handler: (result: TaskResult) => Promise<void>): Promise<Subscription>;
}
