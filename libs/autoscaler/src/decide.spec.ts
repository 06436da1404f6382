import { isNasError } from '@hwnas/bench-core';
import { decideReplicas } from './decide';
import type { ScaleInput } from './decide';

const base: ScaleInput = { backlog: 0, current: 1, min: 1, max: 10, perWorker: 4, now: 1_000_000, cooldownMs: 60_000 };
const long = base.now - 10 * 60_000;
const decide = (over: Partial<ScaleInput>) => decideReplicas({ ...base, lastScaleAt: long, ...over });

describe('decideReplicas', () => {
  test('decideReplicas - scales up to ceil(demand / perWorker) at once', () => {
    expect(decide({ backlog: 9, current: 1 })).toEqual({ type: 'scale_up', replicas: 3, reason: 'demand' });
    expect(decide({ backlog: 8, current: 1 })).toEqual({ type: 'scale_up', replicas: 2, reason: 'demand' });
  });

  test('decideReplicas - counts in-flight tasks as demand', () => {
    expect(decide({ backlog: 4, inFlight: 5, current: 1 })).toEqual({ type: 'scale_up', replicas: 3, reason: 'demand' });
  });

  test('decideReplicas - a scale-up ignores the scale-down cooldown', () => {
    expect(decide({ backlog: 40, current: 2, lastScaleAt: base.now - 1 })).toEqual({ type: 'scale_up', replicas: 10, reason: 'demand' });
  });

  test('decideReplicas - a scale-up waits for upCooldownMs when set', () => {
    expect(decide({ backlog: 40, current: 2, lastScaleAt: base.now - 1_000, upCooldownMs: 5_000 })).toEqual({ type: 'hold', replicas: 2, reason: 'cooldown', wanted: 10 });
    expect(decide({ backlog: 40, current: 2, lastScaleAt: base.now - 5_000, upCooldownMs: 5_000 })).toEqual({ type: 'scale_up', replicas: 10, reason: 'demand' });
  });

  test('decideReplicas - never goes above max or below min', () => {
    expect(decide({ backlog: 10_000, current: 3 })).toEqual({ type: 'scale_up', replicas: 10, reason: 'demand' });
    expect(decide({ backlog: 0, current: 5, min: 2 })).toEqual({ type: 'scale_down', replicas: 2, reason: 'demand' });
    expect(decide({ backlog: 10_000, current: 10 })).toEqual({ type: 'hold', replicas: 10, reason: 'steady' });
    expect(decide({ backlog: 0, current: 1 })).toEqual({ type: 'hold', replicas: 1, reason: 'steady' });
  });

  test('decideReplicas - brings a count outside [min, max] back at once, cooldown or not', () => {
    expect(decide({ current: 0, min: 2, lastScaleAt: base.now })).toEqual({ type: 'scale_up', replicas: 2, reason: 'bounds' });
    expect(decide({ backlog: 1000, current: 25, lastScaleAt: base.now })).toEqual({ type: 'scale_down', replicas: 10, reason: 'bounds' });
  });

  test('decideReplicas - scale down waits for the cooldown and reports what it wants', () => {
    expect(decide({ backlog: 0, current: 6, lastScaleAt: base.now - 59_999 })).toEqual({ type: 'hold', replicas: 6, reason: 'cooldown', wanted: 1 });
    expect(decide({ backlog: 0, current: 6, lastScaleAt: base.now - 60_000 })).toEqual({ type: 'scale_down', replicas: 1, reason: 'demand' });
  });

  test('decideReplicas - with no previous change there is no cooldown', () => {
    expect(decideReplicas({ ...base, backlog: 0, current: 6 })).toEqual({ type: 'scale_down', replicas: 1, reason: 'demand' });
  });

  test('decideReplicas - hysteresis: scales down only to a size at most 75% busy', () => {
    // 8 tasks at 4 per worker need 2 replicas; 3 keep the workers at most 67% busy (<= 75%).
    expect(decide({ backlog: 8, current: 4 })).toEqual({ type: 'scale_down', replicas: 3, reason: 'demand' });
    expect(decide({ backlog: 8, current: 3 })).toEqual({ type: 'hold', replicas: 3, reason: 'steady' });
    // 9 tasks on 3 replicas (75%): no change in either direction.
    expect(decide({ backlog: 9, current: 3 })).toEqual({ type: 'hold', replicas: 3, reason: 'steady' });
  });

  test('decideReplicas - a wobbling backlog inside the band does not flap', () => {
    let current = 4;
    let lastScaleAt: number | undefined = undefined;
    const changes: number[] = [];
    // Demand wobbles between 12 and 16 tasks (3..4 replicas' worth).
    for (let i = 0; i < 50; i++) {
      const now = base.now + i * 15_000;
      const d = decideReplicas({ ...base, backlog: i % 2 === 0 ? 16 : 12, current, now, lastScaleAt });
      if (d.type !== 'hold') {
        changes.push(d.replicas);
        current = d.replicas;
        lastScaleAt = now;
      }
    }
    expect(changes).toEqual([]);
    expect(current).toBe(4);
  });

  test('decideReplicas - utilization 1 removes the band', () => {
    expect(decide({ backlog: 8, current: 3, scaleDownUtilization: 1 })).toEqual({ type: 'scale_down', replicas: 2, reason: 'demand' });
  });

  test('decideReplicas - exact quotients do not round up through float noise', () => {
    // 9 / (3 * 0.3) is 10.000000000000002 in binary floating point; the band edge is 10 replicas.
    expect(decide({ backlog: 9, current: 11, max: 20, perWorker: 3, scaleDownUtilization: 0.3 })).toEqual({ type: 'scale_down', replicas: 10, reason: 'demand' });
  });

  test('decideReplicas - scales to zero with min 0, and back up from zero', () => {
    expect(decide({ backlog: 0, current: 2, min: 0 })).toEqual({ type: 'scale_down', replicas: 0, reason: 'demand' });
    expect(decide({ backlog: 0, current: 0, min: 0 })).toEqual({ type: 'hold', replicas: 0, reason: 'steady' });
    expect(decide({ backlog: 1, current: 0, min: 0, lastScaleAt: base.now })).toEqual({ type: 'scale_up', replicas: 1, reason: 'demand' });
  });

  test('decideReplicas - is deterministic and does not mutate its input', () => {
    const input = Object.freeze({ ...base, backlog: 17, current: 2, lastScaleAt: long });
    expect(decideReplicas(input)).toEqual(decideReplicas(input));
  });

  test.each([
    ['negative backlog', { backlog: -1 }, /backlog/],
    ['fractional backlog', { backlog: 1.5 }, /backlog/],
    ['NaN inFlight', { inFlight: NaN }, /inFlight/],
    ['negative current', { current: -1 }, /current/],
    ['negative min', { min: -1 }, /min/],
    ['max below min', { min: 5, max: 4 }, /max/],
    ['max 0', { min: 0, max: 0 }, /max/],
    ['perWorker 0', { perWorker: 0 }, /perWorker/],
    ['utilization 0', { scaleDownUtilization: 0 }, /scaleDownUtilization/],
    ['utilization above 1', { scaleDownUtilization: 1.5 }, /scaleDownUtilization/],
    ['infinite now', { now: Infinity }, /now/],
    ['negative cooldown', { cooldownMs: -1 }, /cooldownMs/],
  ] as const)('decideReplicas - rejects %s', (_label, over, message) => {
    let caught: unknown;
    try {
      decideReplicas({ ...base, ...over });
    } catch (e) {
      caught = e;
    }
    expect(isNasError(caught) && caught.code).toBe('invalid_argument');
    expect((caught as Error).message).toMatch(message);
  });
});
