import { InvalidArgumentError, NasError } from '@hwnas/bench-core';
import { Metadata, status } from '@grpc/grpc-js';
import { bearerTokenGuard } from './auth';
import { toServiceError } from './status';

const quiet = () => {
  const lines: unknown[] = [];
  return { lines, log: { error: (o: unknown) => lines.push(o), warn: (o: unknown) => lines.push(o) } as never };
};

describe('coordinator status middleware', () => {
  it('toServiceError - NasErrors keep their message; anything else is INTERNAL with a trace id only', () => {
    const { lines, log } = quiet();
    expect(toServiceError(new InvalidArgumentError('budget: is required'), log, '/m')).toMatchObject({ code: status.INVALID_ARGUMENT, details: 'budget: is required' });
    expect(toServiceError(new NasError('queue full', 'resource_exhausted'), log, '/m')).toMatchObject({ code: status.RESOURCE_EXHAUSTED });
    const e = toServiceError(new Error('secret internals at /etc/x'), log, '/m');
    expect(e.code).toBe(status.INTERNAL);
    expect(e.details).toMatch(/^internal error \(trace id [0-9a-f-]+\)$/);
    expect(JSON.stringify(lines)).toContain('secret internals');
  });

  it('bearerTokenGuard - refuses a missing or wrong token and never logs it', () => {
    const { lines, log } = quiet();
    const guard = bearerTokenGuard('s3cret', log);
    const md = (v?: string) => {
      const m = new Metadata();
      if (v) m.set('authorization', v);
      return m;
    };
    expect(() => guard(md('Bearer s3cret'), '/m')).not.toThrow();
    expect(() => guard(md(), '/m')).toThrow(expect.objectContaining({ code: status.UNAUTHENTICATED }));
    expect(() => guard(md('Bearer guess'), '/m')).toThrow(expect.objectContaining({ code: status.UNAUTHENTICATED }));
    expect(JSON.stringify(lines)).not.toMatch(/s3cret|guess/);
  });
});
