import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Name of the HttpOnly cookie that carries the token after it was given once. */
export const TOKEN_COOKIE = 'hwnas_token';

/** How a request presented the token. */
export type Presented = { readonly via: 'header' | 'cookie' | 'query'; readonly token: string } | { readonly via: 'none' };

/** The token a request carries: `Authorization: Bearer`, then `?token=`, then the cookie. */
export function presentedToken(req: IncomingMessage, url: URL): Presented {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    return { via: 'header', token: m ? m[1].trim() : '' };
  }
  const q = url.searchParams.get('token');
  if (q !== null) return { via: 'query', token: q.trim() };
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === TOKEN_COOKIE) return { via: 'cookie', token: decodeURIComponent(v.join('=')) };
  }
  return { via: 'none' };
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time comparison of a presented token with the expected one. */
export function tokenMatches(expected: string, presented: string): boolean {
  return timingSafeEqual(digest(expected), digest(presented));
}

/** The Set-Cookie value that keeps `token` for this browser session (HttpOnly, same site only). */
export function tokenCookie(token: string, secure: boolean): string {
  return `${TOKEN_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}
