import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidArgumentError, isNasError } from '@hwnas/bench-core';
import { loadAsset } from './assets';
import { presentedToken, tokenCookie, tokenMatches } from './auth';
import { errorHtml, pageHtml, unauthorizedHtml } from './pages';
import type { DashboardSource } from './source';

/** Default of {@link DashboardServerOptions.traceUrlTemplate}: Jaeger's UI on this machine. */
export const DEFAULT_TRACE_URL_TEMPLATE = 'http://127.0.0.1:16686/trace/{traceId}';

/** Options of {@link startDashboardServer}. */
export interface DashboardServerOptions {
  readonly source: DashboardSource;
  /** `HOST:PORT` to listen on (port 0: any free port). */
  readonly listen: string;
  /**
   * Bearer token every page and API call must carry (header, `?token=` once, then a cookie).
   * Undefined: no authentication (local use only).
   */
  readonly token?: string;
  /** Link to a search's trace, with `{traceId}` (default {@link DEFAULT_TRACE_URL_TEMPLATE}). */
  readonly traceUrlTemplate?: string;
  /** Least time between two live updates sent to one page, milliseconds (default 250). */
  readonly updateIntervalMs?: number;
}

/** A running dashboard server. */
export interface DashboardServer {
  /** `http://HOST:PORT` it serves on. */
  readonly url: string;
  readonly port: number;
  /** Stops listening and ends every live connection. Idempotent. */
  close(): Promise<void>;
}

/** `HOST:PORT` -> parts; throws InvalidArgumentError saying what is wrong. */
export function parseListen(listen: string, what = 'dashboard address'): { host: string; port: number } {
  const m = /^(.*):(\d{1,5})$/.exec(listen.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || !m[1] || port > 65535) throw new InvalidArgumentError(`${what} must be HOST:PORT (port 0-65535), got "${listen}"`);
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port };
}

/** One open Server-Sent Events stream: the whole list, or one search. */
interface Stream {
  readonly res: ServerResponse;
  readonly searchId?: string;
  /** Trials already sent (the next update starts there). */
  sent: number;
  timer?: NodeJS.Timeout;
  lastAt: number;
  busy: boolean;
  /** A change arrived while an update was being read: send another after it. */
  again: boolean;
}

/**
 * Serves the dashboard over node:http: the pages (`/`, `/searches/ID`), their assets, a JSON API
 * (`/api/searches`, `/api/searches/ID?from=N`, `/api/devices`) and live updates as Server-Sent
 * Events (`/api/events` for the list, `/api/searches/ID/events` for one search: each event holds
 * the search with the trials not sent before). Assets are public; everything else needs the token
 * when one is set (a 401 page says why and asks for it).
 */
export async function startDashboardServer(opts: DashboardServerOptions): Promise<DashboardServer> {
  const { host, port } = parseListen(opts.listen);
  const streams = new Set<Stream>();
  const interval = opts.updateIntervalMs ?? 250;
  const traceUrlTemplate = opts.traceUrlTemplate ?? DEFAULT_TRACE_URL_TEMPLATE;

  // eslint-disable-next-line prefer-const -- push and schedule call each other
  let schedule: (s: Stream) => void;
  const push = async (s: Stream) => {
    if (s.res.destroyed || s.res.writableEnded) return;
    if (s.busy) {
      s.again = true;
      return;
    }
    s.busy = true;
    s.lastAt = Date.now();
    try {
      if (s.searchId === undefined) {
        s.res.write(`event: searches\ndata: ${JSON.stringify(await opts.source.listSearches())}\n\n`);
      } else {
        const detail = await opts.source.getSearch(s.searchId, s.sent);
        s.sent = detail.trialCount;
        s.res.write(`event: search\ndata: ${JSON.stringify(detail)}\n\n`);
      }
    } catch (e) {
      s.res.write(`event: problem\ndata: ${JSON.stringify({ message: isNasError(e) ? e.message : 'the dashboard could not read the search' })}\n\n`);
    } finally {
      s.busy = false;
      if (s.again) {
        s.again = false;
        schedule(s);
      }
    }
  };
  /** Sends now, or once `interval` has passed since the last send (updates in between coalesce). */
  schedule = (s: Stream) => {
    if (s.timer) return;
    const wait = Math.max(0, s.lastAt + interval - Date.now());
    s.timer = setTimeout(() => {
      s.timer = undefined;
      void push(s);
    }, wait);
  };
  const unsubscribe = opts.source.subscribe((searchId) => {
    for (const s of streams) if (s.searchId === undefined || s.searchId === searchId) schedule(s);
  });

  const openStream = (req: IncomingMessage, res: ServerResponse, searchId?: string) => {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    const s: Stream = { res, sent: 0, lastAt: 0, busy: false, again: false, ...(searchId !== undefined ? { searchId } : {}) };
    streams.add(s);
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.on('close', () => {
      clearInterval(keepAlive);
      if (s.timer) clearTimeout(s.timer);
      streams.delete(s);
    });
    void push(s);
  };

  const send = (res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers });
    res.end(body);
  };
  const json = (res: ServerResponse, status: number, body: unknown) => send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
  const html = (res: ServerResponse, status: number, body: string, headers?: Record<string, string>) => send(res, status, 'text/html; charset=utf-8', body, headers);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    const path = url.pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') return html(res, 405, errorHtml(405, `${req.method} is not allowed here: the dashboard only reads`), { allow: 'GET, HEAD' });
    if (path.startsWith('/assets/')) {
      const asset = await loadAsset(path.slice('/assets/'.length));
      if (!asset) return html(res, 404, errorHtml(404, `no asset ${path}`));
      return send(res, 200, asset.type, asset.body, { 'cache-control': 'no-cache' });
    }
    if (opts.token !== undefined) {
      const presented = presentedToken(req, url);
      const api = path.startsWith('/api/');
      if (presented.via === 'none' || !tokenMatches(opts.token, presented.token)) {
        const reason = presented.via === 'none' ? 'missing' : 'bad';
        const headers = { 'www-authenticate': `Bearer realm="hwnas"${reason === 'bad' ? ', error="invalid_token"' : ''}` };
        // A bad cookie is dropped so that the 401 page's form can set a new one.
        if (presented.via === 'cookie') Object.assign(headers, { 'set-cookie': `${tokenCookie('', false)}; Max-Age=0` });
        if (api) return send(res, 401, 'application/json; charset=utf-8', JSON.stringify({ error: reason === 'missing' ? 'an API token is required' : 'the API token is not valid' }), headers);
        return html(res, 401, unauthorizedHtml(reason, path), headers);
      }
      if (presented.via === 'query') {
        // Keep the token in an HttpOnly cookie and drop it from the address bar (and from history).
        url.searchParams.delete('token');
        const secure = (req.headers['x-forwarded-proto'] ?? '') === 'https';
        // One leading slash: `//host/...` would send the browser to another site.
        const location = `/${url.pathname.replace(/^\/+/, '')}${url.search}`;
        res.writeHead(303, { location, 'set-cookie': tokenCookie(presented.token, secure), 'cache-control': 'no-store' });
        return res.end();
      }
    }
    if (path === '/' || path === '/searches' || path === '/searches/') return html(res, 200, pageHtml({ page: 'list', traceUrlTemplate }));
    const page = /^\/searches\/([^/]+)$/.exec(path);
    if (page) {
      const searchId = decodeURIComponent(page[1]);
      try {
        await opts.source.getSearch(searchId, Number.MAX_SAFE_INTEGER);
      } catch (e) {
        if (isNasError(e) && e.code === 'not_found') return html(res, 404, errorHtml(404, `There is no search "${searchId}" on this server.`));
        throw e;
      }
      return html(res, 200, pageHtml({ page: 'search', searchId, traceUrlTemplate }));
    }
    if (path === '/api/searches') return json(res, 200, await opts.source.listSearches());
    if (path === '/api/devices') return json(res, 200, await opts.source.devices());
    if (path === '/api/events') return openStream(req, res);
    const api = /^\/api\/searches\/([^/]+)(\/events)?$/.exec(path);
    if (api) {
      const searchId = decodeURIComponent(api[1]);
      const fromText = url.searchParams.get('from') ?? '0';
      if (!/^\d+$/.test(fromText)) return json(res, 400, { error: `from must be a trial index (0 or more), got "${fromText}"` });
      try {
        const detail = await opts.source.getSearch(searchId, Number(fromText));
        if (!api[2]) return json(res, 200, detail);
      } catch (e) {
        if (isNasError(e) && e.code === 'not_found') return json(res, 404, { error: e.message });
        throw e;
      }
      return openStream(req, res, searchId);
    }
    return html(res, 404, errorHtml(404, `Nothing is served at ${path}.`));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (res.headersSent) return res.destroy();
      const message = isNasError(e) ? e.message : 'internal error';
      html(res, isNasError(e) && e.code === 'invalid_argument' ? 400 : 500, errorHtml(500, message));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}`,
    port: actual,
    close() {
      closed ??= new Promise<void>((resolve) => {
        unsubscribe();
        for (const s of streams) {
          if (s.timer) clearTimeout(s.timer);
          s.res.end();
        }
        streams.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
