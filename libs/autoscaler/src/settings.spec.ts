import { isNasError } from '@hwnas/bench-core';
import { AUTOSCALER_ENV, autoscalerSettingsFromEnv } from './settings';

describe('autoscalerSettingsFromEnv', () => {
  test('autoscalerSettingsFromEnv - off without a deployment name', () => {
    expect(autoscalerSettingsFromEnv({})).toBeUndefined();
    expect(autoscalerSettingsFromEnv({ HWNAS_AUTOSCALE_DEPLOYMENT: ' ', HWNAS_AUTOSCALE_MAX: '4' })).toBeUndefined();
  });

  test('autoscalerSettingsFromEnv - defaults', () => {
    expect(autoscalerSettingsFromEnv({ HWNAS_AUTOSCALE_DEPLOYMENT: 'hwnas-worker' })).toEqual({
      deployment: 'hwnas-worker',
      namespace: undefined,
      min: 1,
      max: 10,
      perWorker: 1,
      intervalMs: undefined,
      cooldownMs: undefined,
    });
  });

  test('autoscalerSettingsFromEnv - reads every variable', () => {
    const env = {
      [AUTOSCALER_ENV.deployment]: 'w',
      [AUTOSCALER_ENV.namespace]: 'ns',
      [AUTOSCALER_ENV.min]: '0',
      [AUTOSCALER_ENV.max]: '20',
      [AUTOSCALER_ENV.perWorker]: '4',
      [AUTOSCALER_ENV.intervalMs]: '5000',
      [AUTOSCALER_ENV.cooldownMs]: '0',
    };
    expect(autoscalerSettingsFromEnv(env)).toEqual({ deployment: 'w', namespace: 'ns', min: 0, max: 20, perWorker: 4, intervalMs: 5000, cooldownMs: 0 });
  });

  test.each([
    [{ HWNAS_AUTOSCALE_MAX: 'ten' }, 'HWNAS_AUTOSCALE_MAX'],
    [{ HWNAS_AUTOSCALE_MIN: '-1' }, 'HWNAS_AUTOSCALE_MIN'],
    [{ HWNAS_AUTOSCALE_PER_WORKER: '0' }, 'HWNAS_AUTOSCALE_PER_WORKER'],
    [{ HWNAS_AUTOSCALE_MIN: '5', HWNAS_AUTOSCALE_MAX: '2' }, 'HWNAS_AUTOSCALE_MAX'],
  ])('autoscalerSettingsFromEnv - rejects %j naming the variable', (over, name) => {
    let caught: unknown;
    try {
      autoscalerSettingsFromEnv({ HWNAS_AUTOSCALE_DEPLOYMENT: 'w', ...over });
    } catch (e) {
      caught = e;
    }
    expect(isNasError(caught) && caught.code).toBe('invalid_argument');
    expect((caught as Error).message).toContain(name);
  });
});
