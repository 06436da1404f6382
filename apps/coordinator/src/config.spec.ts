import { readCoordinatorConfig } from './config';

const files: Record<string, string> = { '/tok': 'from-file\n', '/c.pem': 'CERT', '/k.pem': 'KEY' };
const readFile = (f: string) => {
  if (!(f in files)) throw new Error('ENOENT');
  return Buffer.from(files[f]);
};

describe('coordinator config', () => {
  it('readCoordinatorConfig - token from file, env or flag; a token is required unless --no-auth', () => {
    expect(readCoordinatorConfig(['--token-file', '/tok'], {}, readFile).token).toBe('from-file');
    expect(readCoordinatorConfig([], { HWNAS_API_TOKEN: 'env' }, readFile).token).toBe('env');
    expect(readCoordinatorConfig(['--token', 't'], {}, readFile)).toMatchObject({ token: 't', tokenOnCommandLine: true });
    expect(() => readCoordinatorConfig([], {}, readFile)).toThrow(/an API token is required/);
    expect(readCoordinatorConfig(['--no-auth'], {}, readFile).token).toBeUndefined();
  });

  it('readCoordinatorConfig - defaults, TLS pairs and bad flags', () => {
    const cfg = readCoordinatorConfig(['--tls-cert', '/c.pem', '--tls-key', '/k.pem'], { HWNAS_API_TOKEN: 'x' }, readFile);
    expect(cfg).toMatchObject({ listen: '0.0.0.0:50051', natsUrl: 'nats://127.0.0.1:4222', prefix: 'hwnas', maxBudget: 100_000 });
    expect(cfg.tls?.cert.toString()).toBe('CERT');
    expect(() => readCoordinatorConfig(['--tls-cert', '/c.pem'], { HWNAS_API_TOKEN: 'x' }, readFile)).toThrow(/both --tls-cert and --tls-key/);
    expect(() => readCoordinatorConfig(['--listen', 'nope'], { HWNAS_API_TOKEN: 'x' }, readFile)).toThrow(/--listen must be HOST:PORT/);
    expect(() => readCoordinatorConfig(['--token-file', '/missing'], {}, readFile)).toThrow(/--token-file \/missing/);
  });

  it('readCoordinatorConfig - task timeout in seconds (default 10 minutes, 0 disables) and running-search slots', () => {
    const env = { HWNAS_API_TOKEN: 'x' };
    expect(readCoordinatorConfig([], env, readFile).taskTimeoutMs).toBe(600_000);
    expect(readCoordinatorConfig(['--task-timeout', '0'], env, readFile).taskTimeoutMs).toBe(0);
    expect(readCoordinatorConfig([], { ...env, HWNAS_TASK_TIMEOUT: '30' }, readFile).taskTimeoutMs).toBe(30_000);
    expect(() => readCoordinatorConfig(['--task-timeout=-1'], env, readFile)).toThrow(/--task-timeout must be an integer >= 0/);
    expect(readCoordinatorConfig([], env, readFile).maxRunningSearches).toBe(16);
    expect(readCoordinatorConfig(['--max-running-searches', '0'], env, readFile).maxRunningSearches).toBe(0);
  });

  it('readCoordinatorConfig - stream replicas: default 1, from HWNAS_STREAM_REPLICAS, the flag wins, 1..5 only', () => {
    const env = { HWNAS_API_TOKEN: 'x' };
    expect(readCoordinatorConfig([], env, readFile).streamReplicas).toBe(1);
    expect(readCoordinatorConfig([], { ...env, HWNAS_STREAM_REPLICAS: '3' }, readFile).streamReplicas).toBe(3);
    expect(readCoordinatorConfig(['--stream-replicas', '5'], { ...env, HWNAS_STREAM_REPLICAS: '3' }, readFile).streamReplicas).toBe(5);
    expect(readCoordinatorConfig(['--stream-replicas=1'], { ...env, HWNAS_STREAM_REPLICAS: '3' }, readFile).streamReplicas).toBe(1);
    for (const bad of ['0', '6', '2.5', 'three', '-1']) {
      expect(() => readCoordinatorConfig([`--stream-replicas=${bad}`], env, readFile)).toThrow(`coordinator: --stream-replicas must be an integer from 1 to 5, got "${bad}"`);
    }
    // A bad value from the environment names the flag too (its variable is in --help).
    expect(() => readCoordinatorConfig([], { ...env, HWNAS_STREAM_REPLICAS: '9' }, readFile)).toThrow(/--stream-replicas must be an integer from 1 to 5, got "9"/);
    // Flags without an upper bound keep their message.
    expect(() => readCoordinatorConfig(['--max-budget', '0'], env, readFile)).toThrow(/--max-budget must be an integer >= 1, got "0"/);
  });
  it('readCoordinatorConfig - the dashboard is off by default; --http HOST:PORT or HWNAS_HTTP turns it on', () => {
    const env = { HWNAS_API_TOKEN: 'x' };
    expect(readCoordinatorConfig([], env, readFile).http).toBeUndefined();
    expect(readCoordinatorConfig(['--http', '0.0.0.0:8080'], env, readFile).http).toBe('0.0.0.0:8080');
    expect(readCoordinatorConfig([], { ...env, HWNAS_HTTP: '127.0.0.1:9000', HWNAS_TRACE_URL: 'https://jaeger.example/trace/{traceId}' }, readFile)).toMatchObject({ http: '127.0.0.1:9000', traceUrl: 'https://jaeger.example/trace/{traceId}' });
    expect(() => readCoordinatorConfig(['--http', '8080'], env, readFile)).toThrow('coordinator: --http must be HOST:PORT (port 0-65535), got "8080"');
    expect(() => readCoordinatorConfig(['--trace-url', 'http://x/'], env, readFile)).toThrow(/--trace-url must contain \{traceId\}/);
  });
});
