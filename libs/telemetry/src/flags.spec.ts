import { readServiceFlags } from './flags';

const VARS = { nats: 'HWNAS_NATS_URL', concurrency: 'HWNAS_CONCURRENCY' };

describe('readServiceFlags', () => {
  it('a flag wins over its variable; an empty variable is unset; extra options parse too', () => {
    const f = readServiceFlags('worker', ['--nats', 'nats://a:4222', '--verbose'], { HWNAS_NATS_URL: 'nats://b:4222', HWNAS_CONCURRENCY: '' }, VARS, { verbose: { type: 'boolean' } });
    expect(f.get('nats')).toBe('nats://a:4222');
    expect(f.get('concurrency')).toBeUndefined();
    expect(f.values.verbose).toBe(true);
    expect(readServiceFlags('worker', [], { HWNAS_NATS_URL: 'nats://b:4222' }, VARS).get('nats')).toBe('nats://b:4222');
  });

  it('integers: default when unset, bounds checked, errors name the app and the flag', () => {
    expect(readServiceFlags('worker', [], {}, VARS).int('concurrency', 16, 1)).toBe(16);
    expect(readServiceFlags('worker', [], { HWNAS_CONCURRENCY: '4' }, VARS).int('concurrency', 16, 1)).toBe(4);
    expect(() => readServiceFlags('worker', ['--concurrency', '0'], {}, VARS).int('concurrency', 16, 1)).toThrow('worker: --concurrency must be an integer >= 1, got "0"');
    expect(() => readServiceFlags('worker', ['--concurrency', '9'], {}, VARS).int('concurrency', 1, 1, 5)).toThrow('worker: --concurrency must be an integer from 1 to 5, got "9"');
    expect(() => readServiceFlags('coordinator', ['--nope'], {}, VARS)).toThrow(/^coordinator: Unknown option '--nope'/);
  });
});
