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

  it('readWorkerConfig - stream replicas: default 1, from HWNAS_STREAM_REPLICAS, the flag wins, 1..5 only', () => {
    expect(readWorkerConfig([], {}).streamReplicas).toBe(1);
    expect(readWorkerConfig([], { HWNAS_STREAM_REPLICAS: '3' }).streamReplicas).toBe(3);
    expect(readWorkerConfig(['--stream-replicas', '5'], { HWNAS_STREAM_REPLICAS: '3' }).streamReplicas).toBe(5);
    expect(readWorkerConfig(['--stream-replicas=1'], { HWNAS_STREAM_REPLICAS: '3' }).streamReplicas).toBe(1);
    for (const bad of ['0', '6', '2.5', 'three', '-1']) {
      expect(() => readWorkerConfig([`--stream-replicas=${bad}`], {})).toThrow(`worker: --stream-replicas must be an integer from 1 to 5, got "${bad}"`);
    }
    expect(() => readWorkerConfig([], { HWNAS_STREAM_REPLICAS: '9' })).toThrow(/--stream-replicas must be an integer from 1 to 5, got "9"/);
    expect(() => readWorkerConfig(['--max-deliveries', '0'], {})).toThrow(/--max-deliveries must be an integer >= 1, got "0"/);
  });

  it('readWorkerConfig - a 2 s lease renewed every 500 ms by default; a heartbeat over half the lease is refused', () => {
    expect(readWorkerConfig([], {})).toMatchObject({ ackWaitMs: 2000, heartbeatMs: 500 });
    expect(readWorkerConfig(['--ack-wait-ms', '600', '--heartbeat-ms', '200'], {})).toMatchObject({ ackWaitMs: 600, heartbeatMs: 200 });
    expect(readWorkerConfig(['--ack-wait-ms', '800'], {})).toMatchObject({ ackWaitMs: 800, heartbeatMs: 200 });
    expect(() => readWorkerConfig(['--ack-wait-ms', '1000', '--heartbeat-ms', '800'], {})).toThrow('worker: --heartbeat-ms (800) must be at most half of --ack-wait-ms (1000)');
  });

  it('readWorkerConfig - --trainer: slots, epochs and work root with defaults; absent without --trainer', () => {
    expect(readWorkerConfig([], {}).trainer).toBeUndefined();
    expect(readWorkerConfig(['--trainer', 'python3 train.py'], {}).trainer).toEqual({ command: 'python3 train.py', slots: 1, epochs: 200, workRoot: '/tmp/hwnas-work' });
    const cfg = readWorkerConfig(['--trainer-slots', '4', '--work-root', '/work', '--trainer-timeout-s', '3600'], { HWNAS_TRAINER: 'python3 t.py --data /d', HWNAS_TRAINER_EPOCHS: '12' });
    expect(cfg.trainer).toEqual({ command: 'python3 t.py --data /d', slots: 4, epochs: 12, workRoot: '/work', timeoutS: 3600 });
    expect(() => readWorkerConfig(['--trainer', 'x', '--trainer-slots', '0'], {})).toThrow(/--trainer-slots must be an integer >= 1/);
    expect(readWorkerConfig(['--trainer', 'x', '--oneshot-trainer', 'python3 search.py'], {}).trainer?.oneShotCommand).toBe('python3 search.py');
    expect(readWorkerConfig(['--trainer', 'x'], { HWNAS_ONESHOT_TRAINER: 'y' }).trainer?.oneShotCommand).toBe('y');
    expect(() => readWorkerConfig(['--oneshot-trainer', 'y'], {})).toThrow('worker: --oneshot-trainer needs --trainer');
  });
});
