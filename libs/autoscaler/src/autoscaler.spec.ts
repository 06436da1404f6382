import { NasError } from '@hwnas/bench-core';
import { startAutoscaler } from './autoscaler';
import type { AutoscalerOptions, AutoscalerTick } from './autoscaler';
import { createKubernetesWorkerScaler } from './kubernetes-worker-scaler';
import { startFakeApiServer } from './testing/fake-api-server';
import type { WorkerScaler } from './worker-scaler';

class MemoryScaler implements WorkerScaler {
  readonly target = 'test/workers';
  sets: number[] = [];
  failWith?: unknown;
  constructor(public replicas: number) {}
  async getReplicas(): Promise<number> {
    if (this.failWith) throw this.failWith;
    return this.replicas;
  }
  async setReplicas(n: number): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.sets.push(n);
    this.replicas = n;
  }
}

/** A loop whose timer never fires during a test: ticks are driven by hand. */
function manual(over: Partial<AutoscalerOptions> & Pick<AutoscalerOptions, 'scaler' | 'backlog'>) {
  let t = 1_000_000;
  const ticks: AutoscalerTick[] = [];
  const errors: NasError[] = [];
  const autoscaler = startAutoscaler({
    min: 1,
    max: 8,
    perWorker: 2,
    intervalMs: 3_600_000,
    cooldownMs: 60_000,
    now: () => t,
    onDecision: (e) => ticks.push(e),
    onError: (e) => errors.push(e),
    ...over,
  });
  return { autoscaler, ticks, errors, advance: (ms: number) => (t += ms) };
}

describe('startAutoscaler', () => {
  test('startAutoscaler - the first tick runs at once and scales up to the backlog', async () => {
    const scaler = new MemoryScaler(1);
    const { autoscaler, ticks } = manual({ scaler, backlog: async () => 7 });
    await autoscaler.tick();
    expect(scaler.sets).toEqual([4]);
    expect(ticks[0]).toEqual({ target: 'test/workers', backlog: 7, current: 1, decision: { type: 'scale_up', replicas: 4, reason: 'demand' }, applied: true });
    await autoscaler.stop();
  });

  test('startAutoscaler - counts its own start as a change: no scale-down before the cooldown', async () => {
    const scaler = new MemoryScaler(6);
    let backlog = 0;
    const { autoscaler, ticks, advance } = manual({ scaler, backlog: async () => backlog });
    await autoscaler.tick();
    expect(ticks.at(-1)?.decision).toEqual({ type: 'hold', replicas: 6, reason: 'cooldown', wanted: 1 });
    advance(59_000);
    await autoscaler.tick();
    expect(scaler.sets).toEqual([]);
    advance(1_000);
    await autoscaler.tick();
    expect(scaler.sets).toEqual([1]);
    // The scale-down restarts the cooldown; demand going up is still served at once.
    backlog = 16;
    advance(1);
    await autoscaler.tick();
    expect(scaler.sets).toEqual([1, 8]);
    await autoscaler.stop();
  });

  test('startAutoscaler - respects a replica count changed by someone else', async () => {
    const scaler = new MemoryScaler(2);
    const { autoscaler, ticks, advance } = manual({ scaler, backlog: async () => 4 });
    await autoscaler.tick();
    scaler.replicas = 3; // e.g. `kubectl scale`
    advance(120_000);
    await autoscaler.tick();
    // 4 tasks at 2 per worker: 2 needed, 3 are within the hysteresis band (4 / (2 * 0.75) = 2.67).
    expect(ticks.at(-1)).toMatchObject({ current: 3, decision: { type: 'hold', reason: 'steady' }, applied: false });
    await autoscaler.stop();
  });

  test('startAutoscaler - reports failures and keeps going', async () => {
    const scaler = new MemoryScaler(1);
    let fail = true;
    const { autoscaler, errors } = manual({
      scaler,
      backlog: async () => {
        if (fail) throw new Error('NATS is down');
        return 10;
      },
    });
    await expect(autoscaler.tick()).resolves.toBeUndefined();
    expect(errors[0]).toMatchObject({ code: 'internal' });
    expect(errors[0].message).toContain('NATS is down');
    scaler.failWith = new NasError('API down', 'unavailable', true);
    fail = false;
    await autoscaler.tick();
    expect(errors[1]).toMatchObject({ code: 'unavailable', retryable: true });
    scaler.failWith = undefined;
    await autoscaler.tick();
    expect(scaler.sets).toEqual([5]);
    await autoscaler.stop();
  });

  test('startAutoscaler - a throwing observer does not break the loop', async () => {
    const scaler = new MemoryScaler(1);
    const autoscaler = startAutoscaler({
      scaler,
      backlog: async () => 3,
      intervalMs: 3_600_000,
      onDecision: () => {
        throw new Error('logger broke');
      },
    });
    await expect(autoscaler.tick()).resolves.toMatchObject({ applied: true });
    await autoscaler.stop();
  });

  test('startAutoscaler - concurrent ticks share one step', async () => {
    const scaler = new MemoryScaler(1);
    let calls = 0;
    const { autoscaler } = manual({
      scaler,
      backlog: async () => {
        calls++;
        return 2;
      },
    });
    await autoscaler.tick();
    calls = 0;
    const [a, b] = [autoscaler.tick(), autoscaler.tick()];
    expect(a).toBe(b);
    await a;
    expect(calls).toBe(1);
    await autoscaler.stop();
  });

  test('startAutoscaler - ticks every intervalMs until stopped', async () => {
    const scaler = new MemoryScaler(1);
    let calls = 0;
    const autoscaler = startAutoscaler({
      scaler,
      backlog: async () => {
        calls++;
        return 0;
      },
      intervalMs: 10,
    });
    await new Promise((r) => setTimeout(r, 200));
    await autoscaler.stop();
    await autoscaler.stop();
    const after = calls;
    expect(after).toBeGreaterThanOrEqual(3);
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toBe(after);
  });

  test('startAutoscaler - rejects inconsistent bounds', () => {
    expect(() => startAutoscaler({ scaler: new MemoryScaler(1), backlog: async () => 0, min: 3, max: 2 })).toThrow(/max/);
  });

  test('startAutoscaler - against the API server stand-in: scales, then reports RBAC denial and an API outage', async () => {
    await using api = await startFakeApiServer({ 'hwnas/hwnas-worker': 1 });
    const scaler = await createKubernetesWorkerScaler({ deployment: 'hwnas-worker', namespace: 'hwnas', apiServer: { server: api.url, token: 't' } });
    if (!scaler) throw new Error('expected a scaler');
    const { autoscaler, errors } = manual({ scaler, backlog: async () => 11 });
    await autoscaler.tick();
    expect(errors).toEqual([]);
    expect(api.deployments.get('hwnas/hwnas-worker')).toBe(6);
    api.mode = 'forbidden';
    await autoscaler.tick();
    expect(errors.at(-1)).toMatchObject({ name: 'ScalingForbiddenError', code: 'failed_precondition' });
    await api.goDown();
    await autoscaler.tick();
    expect(errors.at(-1)).toMatchObject({ name: 'KubernetesUnavailableError', code: 'unavailable', retryable: true });
    await autoscaler.stop();
  });
});
