import { describeWithData } from '@hwnas/bench-core/testing';
import { request } from 'node:http';
import { parseListen } from './server';
import { startSlowSearch } from './testing/slow-search';

/** A GET with optional headers; resolves with status, headers and body (SSE: the first `bytes`). */
function get(url: string, headers: Record<string, string> = {}, bytes = Infinity): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString('utf8');
        if (body.length >= bytes) {
          req.destroy();
          resolve({ status: res.statusCode!, headers: res.headers, body });
        }
      });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('parseListen', () => {
  test('parseListen - HOST:PORT, with a clear error otherwise', () => {
    expect(parseListen('127.0.0.1:8080')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(() => parseListen('8080', '--http')).toThrow('--http must be HOST:PORT (port 0-65535), got "8080"');
    expect(() => parseListen('host:99999')).toThrow(/HOST:PORT/);
  });
});

describeWithData('dashboard server', (dataDir) => {
  test('server - pages and API need the token; ?token= sets an HttpOnly cookie; a bad one gets the 401 page', async () => {
    await using s = await startSlowSearch({ dataDir, delayMs: 0, budget: 20, token: 's3cret' });
    await s.embedded.coordinator.waitFor(s.searchId);
    const base = s.server.url;
    const missing = await get(`${base}/`);
    expect(missing.status).toBe(401);
    expect(missing.headers['content-type']).toMatch(/text\/html/);
    expect(missing.body).toContain('none was given');
    const bad = await get(`${base}/searches/${s.searchId}`, { authorization: 'Bearer nope' });
    expect(bad.status).toBe(401);
    expect(bad.body).toContain('not the API token');
    expect((await get(`${base}/api/searches`)).status).toBe(401);
    expect((await get(`${base}/api/searches`, { cookie: 'hwnas_token=wrong' })).status).toBe(401);

    const viaQuery = await get(`${base}/searches/${s.searchId}?token=s3cret`);
    expect(viaQuery.status).toBe(303);
    expect(viaQuery.headers.location).toBe(`/searches/${s.searchId}`);
    // A path that resolves to `//host` must not redirect to another site.
    for (const trick of ['/x/..//evil.example/y', '/.//evil.example/y', '//evil.example/y']) expect((await get(`${base}${trick}?token=s3cret`)).headers.location).toMatch(/^\/(?![/\\])/);
    const cookie = String(viaQuery.headers['set-cookie']);
    expect(cookie).toMatch(/^hwnas_token=s3cret; Path=\/; HttpOnly; SameSite=Strict/);
    const page = await get(`${base}/searches/${s.searchId}`, { cookie: cookie.split(';')[0] });
    expect(page.status).toBe(200);
    expect(page.body).toContain('/assets/app.js');

    const list = JSON.parse((await get(`${base}/api/searches`, { authorization: 'Bearer s3cret' })).body);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ searchId: s.searchId, state: 'succeeded', evaluationsDone: 20, budget: 20, objective: { metric: 'accuracy', unit: '%' } });
    // Assets are public: the 401 page uses the stylesheet.
    expect((await get(`${base}/assets/app.css`)).status).toBe(200);
  });

  test('server - the search API pages trials from an index and reports an unknown search as 404', async () => {
    await using s = await startSlowSearch({ dataDir, delayMs: 0, budget: 12 });
    await s.embedded.coordinator.waitFor(s.searchId);
    const all = JSON.parse((await get(`${s.server.url}/api/searches/${s.searchId}`)).body);
    expect(all.trials).toHaveLength(12);
    expect(all.trialCount).toBe(12);
    expect(all.constraints).toEqual([{ metric: 'raspi4_latency', bound: 15.72, unit: 'ms' }]);
    expect(all.units.flops).toBe('M');
    expect(all.higherIsBetter.sort()).toEqual(['accuracy', 'accuracy_12ep', 'valid_accuracy_12ep']);
    for (const t of all.trials) expect(t.feasible).toBe(t.metrics.raspi4_latency <= 15.72);
    const tail = JSON.parse((await get(`${s.server.url}/api/searches/${s.searchId}?from=10`)).body);
    expect(tail.trialsFrom).toBe(10);
    expect(tail.trials.map((t: { trialId: number }) => t.trialId)).toEqual(all.trials.slice(10).map((t: { trialId: number }) => t.trialId));
    expect((await get(`${s.server.url}/api/searches/${s.searchId}?from=-1`)).status).toBe(400);
    expect((await get(`${s.server.url}/api/searches/nope`)).status).toBe(404);
    const page = await get(`${s.server.url}/searches/nope`);
    expect(page.status).toBe(404);
    expect(page.body).toContain('There is no search &quot;nope&quot;');
  });

  test('server - the event stream starts with the whole search', async () => {
    await using s = await startSlowSearch({ dataDir, delayMs: 0, budget: 5 });
    await s.embedded.coordinator.waitFor(s.searchId);
    const res = await get(`${s.server.url}/api/searches/${s.searchId}/events`, {}, 400);
    expect(res.headers['content-type']).toMatch(/text\/event-stream/);
    expect(res.body).toMatch(/event: search\ndata: \{"summary":\{"searchId":"[^"]+","state":"succeeded"/);
  });
});
