import { readAgentConfig } from './config';

describe('readAgentConfig', () => {
  it('readAgentConfig - flags win over environment variables, which win over defaults', () => {
    const cfg = readAgentConfig(['--device', 'host-cpu', '--repeats', '10', '--timeout-ms', '500'], {
      HWNAS_DEVICE: 'asic-eyeriss',
      HWNAS_NATS_URL: 'nats://nats:4222',
      HWNAS_REPEATS: '99',
      HWNAS_CACHE_SIZE: '0',
    });
    expect(cfg).toMatchObject({ device: 'host-cpu', natsUrl: 'nats://nats:4222', prefix: 'hwnas', repeats: 10, timeoutMs: 500, cacheSize: 0 });
    expect(cfg.concurrency).toBeUndefined();
    expect(readAgentConfig([], { HWNAS_DEVICE: 'raspi4', HWNAS_DATA: '/data' })).toMatchObject({ device: 'raspi4', natsUrl: 'nats://127.0.0.1:4222', dataDir: '/data' });
  });

  it('readAgentConfig - reads credentials from the environment only', () => {
    expect(readAgentConfig(['--device', 'x'], { HWNAS_NATS_USER: 'u', HWNAS_NATS_PASS: 'p' }).credentials).toEqual({ user: 'u', pass: 'p' });
    expect(readAgentConfig(['--device', 'x'], { HWNAS_NATS_CREDS: '/run/secrets/agent.creds' }).credentials).toEqual({ credsFile: '/run/secrets/agent.creds' });
    expect(readAgentConfig(['--device', 'x'], { HWNAS_NATS_TOKEN: 't' }).credentials).toEqual({ token: 't' });
    expect(() => readAgentConfig(['--device', 'x'], { HWNAS_NATS_USER: 'u' })).toThrow(/HWNAS_NATS_PASS/);
  });

  it('readAgentConfig - --device-id (HWNAS_DEVICE_ID) registers the backend under an id of its own; default: the backend\'s id', () => {
    expect(readAgentConfig(['--device', 'host-cpu', '--device-id', 'edge-arm64'], {})).toMatchObject({ device: 'host-cpu', deviceId: 'edge-arm64' });
    expect(readAgentConfig(['--device', 'host-cpu'], { HWNAS_DEVICE_ID: 'edge-rpi4' }).deviceId).toBe('edge-rpi4');
    expect(readAgentConfig(['--device', 'host-cpu', '--device-id', 'edge-a'], { HWNAS_DEVICE_ID: 'edge-b' }).deviceId).toBe('edge-a');
    // Absent, empty, or the backend's own id: registered as the backend.
    expect(readAgentConfig(['--device', 'host-cpu'], {}).deviceId).toBeUndefined();
    expect(readAgentConfig(['--device', 'host-cpu'], { HWNAS_DEVICE_ID: '' }).deviceId).toBeUndefined();
    expect(readAgentConfig(['--device', 'host-cpu', '--device-id', 'host-cpu'], {}).deviceId).toBeUndefined();
  });

  it.each([
    ['Edge-Pi', /^device-agent: --device-id \(HWNAS_DEVICE_ID\) must be lower-case letters and digits in words joined by single hyphens.*got "Edge-Pi"$/],
    ['edge_pi', /--device-id \(HWNAS_DEVICE_ID\) must be lower-case letters/],
    ['edge.pi', /--device-id \(HWNAS_DEVICE_ID\) must be lower-case letters/],
    ['edge pi', /--device-id \(HWNAS_DEVICE_ID\) must be lower-case letters/],
    ['edge>', /--device-id \(HWNAS_DEVICE_ID\) must be lower-case letters/],
    ['e'.repeat(64), /--device-id \(HWNAS_DEVICE_ID\) must be at most 63 characters, got 64/],
    ['fpga-zc706', /--device-id \(HWNAS_DEVICE_ID\) "fpga-zc706" is the id of the fpga-zc706 backend/],
    ['hostcpu', /--device-id \(HWNAS_DEVICE_ID\) "hostcpu" would report hostcpu_latency/],
  ])('readAgentConfig - rejects --device-id %j, naming the flag', (id, message) => {
    expect(() => readAgentConfig(['--device', 'host-cpu', '--device-id', id], {})).toThrow(message);
    expect(() => readAgentConfig(['--device', 'host-cpu'], { HWNAS_DEVICE_ID: id })).toThrow(/--device-id \(HWNAS_DEVICE_ID\)/);
  });

  it.each([
    [[], /--device \(HWNAS_DEVICE\) is required/],
    [['--device', 'x', '--bogus', '1'], /Unknown option '--bogus'/],
    [['--device', 'x', '--concurrency', '0'], /--concurrency \(HWNAS_CONCURRENCY\) must be an integer >= 1, got "0"/],
    [['--device', 'x', '--heartbeat-ms', '1.5'], /--heartbeat-ms/],
  ])('readAgentConfig - rejects %j', (argv, message) => {
    expect(() => readAgentConfig(argv, {})).toThrow(message);
  });
});
