import { readWorkerConfig } from './config';

describe('worker config', () => {
  it('readWorkerConfig - flags win over environment, defaults are spelled out', () => {
    const cfg = readWorkerConfig(['--concurrency', '4'], { HWNAS_CONCURRENCY: '8', HWNAS_NATS_URL: 'nats://n:4222', HWNAS_NATS_USER: 'worker', HWNAS_NATS_PASS: 'p' });
    expect(cfg).toMatchObject({ natsUrl: 'nats://n:4222', prefix: 'hwnas', concurrency: 4, maxDeliveries: 5, credentials: { user: 'worker', pass: 'p' } });
  });

  it('readWorkerConfig - a bad number names the flag', () => {
    expect(() => readWorkerConfig(['--concurrency', '0'], {})).toThrow(/--concurrency must be an integer >= 1/);
    expect(() => readWorkerConfig(['--bogus'], {})).toThrow(/worker: Unknown option '--bogus'/);
  });
});
