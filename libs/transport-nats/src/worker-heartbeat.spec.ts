import type { NatsConnection } from '@nats-io/transport-node';
import { createNames } from './subjects';
import { NatsWorkerRegistry, parseWorkerHeartbeat } from './worker-heartbeat';
import type { WorkerHeartbeat } from './worker-heartbeat';

const hb = (worker: string, concurrency: number, running: string[] = [], state: WorkerHeartbeat['state'] = 'serving'): WorkerHeartbeat => ({ worker, concurrency, running, everyMs: 1000, state });

describe('worker heartbeats', () => {
  it('NatsWorkerRegistry - sums the slots of live workers, forgets a stopped one at once and a silent one after three periods', () => {
    let now = 0;
    // note() is what the subscription calls per heartbeat; no connection is used here.
    const registry = new NatsWorkerRegistry(undefined as unknown as NatsConnection, createNames('t'), () => now);
    registry.note(hb('a', 3, ['s.0', 's.1']));
    registry.note(hb('b', 3));
    expect(registry.slots()).toBe(6);
    expect([registry.isRunning('s.1'), registry.isRunning('s.2')]).toEqual([true, false]);
    registry.note(hb('b', 3, [], 'stopped'));
    expect(registry.slots()).toBe(3);
    now = 3000;
    expect(registry.list()).toEqual([{ workerId: 'a', concurrency: 3, running: 2, lastHeartbeatAtMs: 0 }]);
    now = 3001;
    expect([registry.slots(), registry.isRunning('s.1')]).toEqual([0, false]);
  });

  it('parseWorkerHeartbeat - accepts what startWorkerHeartbeat sends and nothing malformed', () => {
    expect(parseWorkerHeartbeat(JSON.parse(JSON.stringify(hb('w', 2, ['x']))))).toEqual(hb('w', 2, ['x']));
    for (const bad of [null, [], { ...hb('w', 2), concurrency: 0 }, { ...hb('w', 2), worker: '' }, { ...hb('w', 2), running: [1] }, { ...hb('w', 2), everyMs: -1 }, { ...hb('w', 2), state: 'gone' }]) {
      expect(parseWorkerHeartbeat(bad)).toBeUndefined();
    }
  });
});
