import { cliTraceparent } from './client';

describe('cliTraceparent', () => {
  it('cliTraceparent - the caller’s valid TRACEPARENT is kept; otherwise a new sampled context per run', () => {
    const caller = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    expect(cliTraceparent({ TRACEPARENT: caller })).toBe(caller);
    const fresh = cliTraceparent({ TRACEPARENT: 'not-a-traceparent' });
    expect(fresh).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(cliTraceparent({})).not.toBe(fresh);
  });
});
