import { randomBytes } from 'node:crypto';
import type { SearchEvent, TaskResult } from '../events';
import type { EvalTask } from '../ports/task-queue';

/** A search id no other test uses, so suites can share one broker. */
export function uniqueSearchId(label = 's'): string {
  return `${label}-${randomBytes(4).toString('hex')}`;
}

/** An evaluation task of `searchId` (fields a worker needs; no trace context). */
export function sampleTask(searchId: string, trialId: number): EvalTask {
  return {
    taskId: `${searchId}.${trialId}`,
    searchId,
    trialId,
    space: 'nb201',
    dataset: 'cifar10',
    arch: `|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|skip_connect~2|#${trialId}`,
    need: 'full',
    metrics: [],
    accuracySource: 'table',
    devices: ['eyeriss'],
  };
}

/** A successful result of task `trialId` of `searchId`. */
export function sampleResult(searchId: string, trialId: number, attempts = 1): TaskResult {
  return { taskId: `${searchId}.${trialId}`, searchId, trialId, status: 'ok', metrics: { accuracy: 0.9, eyeriss_latency: trialId }, workerId: 'w1', attempts };
}

/** A small journal event, distinguishable by `n`. */
export function sampleEvent(n: number): SearchEvent {
  return { type: 'search_cancelled', reason: `reason ${n}`, at: n };
}

/** Polls `cond` every 5 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function waitUntil(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Resolves after `ms` milliseconds. */
export const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
