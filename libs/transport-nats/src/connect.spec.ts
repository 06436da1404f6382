import { natsCredentialsFromEnv } from './connect';

describe('natsCredentialsFromEnv', () => {
  it('a .creds file first, then a token, then user and password; none without variables', () => {
    const all = { HWNAS_NATS_CREDS: '/run/secrets/w.creds', HWNAS_NATS_TOKEN: 't', HWNAS_NATS_USER: 'u', HWNAS_NATS_PASS: 'p' };
    expect(natsCredentialsFromEnv(all, 'worker')).toEqual({ credsFile: '/run/secrets/w.creds' });
    expect(natsCredentialsFromEnv({ ...all, HWNAS_NATS_CREDS: '' }, 'worker')).toEqual({ token: 't' });
    expect(natsCredentialsFromEnv({ HWNAS_NATS_USER: 'u', HWNAS_NATS_PASS: '' }, 'worker')).toEqual({ user: 'u', pass: '' });
    expect(natsCredentialsFromEnv({}, 'worker')).toBeUndefined();
  });

  it('a user without a password is an error that names the app', () => {
    expect(() => natsCredentialsFromEnv({ HWNAS_NATS_USER: 'u' }, 'coordinator')).toThrow('coordinator: HWNAS_NATS_USER is set but HWNAS_NATS_PASS is not');
  });
});
