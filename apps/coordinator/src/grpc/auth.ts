import { createHash, timingSafeEqual } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import type { Metadata } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { StatusError } from './status';
import type { CallGuard } from './status';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * A {@link CallGuard} that requires `authorization: Bearer <token>` on every call. Compares
 * SHA-256 digests in constant time (so neither the token's content nor its length leaks
 * through timing). A missing or wrong token is refused with UNAUTHENTICATED and logged with
 * the method and the peer-visible reason only: the presented token is never logged or echoed.
 * Without a token (`undefined`) every call is let through.
 */
export function bearerTokenGuard(token: string | undefined, log: Pick<Logger, 'warn'>): CallGuard {
  if (token === undefined) return () => undefined;
  const expected = digest(token);
  return (metadata: Metadata, method: string) => {
    const values = metadata.get('authorization');
    const header = values.length === 1 && typeof values[0] === 'string' ? values[0] : undefined;
    const m = header ? /^Bearer (.+)$/i.exec(header) : null;
    if (!m) {
      log.warn({ method, reason: 'missing bearer token' }, 'unauthenticated call');
      throw new StatusError(status.UNAUTHENTICATED, 'missing bearer token (metadata "authorization: Bearer <token>")');
    }
    if (!timingSafeEqual(digest(m[1]), expected)) {
      log.warn({ method, reason: 'wrong bearer token' }, 'unauthenticated call');
      throw new StatusError(status.UNAUTHENTICATED, 'invalid bearer token');
    }
  };
}
