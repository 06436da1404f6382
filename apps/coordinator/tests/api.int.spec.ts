import { credentials, makeGenericClientConstructor, Metadata, status } from '@grpc/grpc-js';
import type { Client, ServiceError } from '@grpc/grpc-js';
import { SearchState } from '@hwnas/proto';
import type { QueryResponse, Search, SubmitSearchRequest } from '@hwnas/proto';
import { startNatsServer } from '@hwnas/testing-nats';
import { service as healthService } from 'grpc-health-check';
import { auth, rpc, searchRequest, startCoordinator, TOKEN, uniquePrefix } from './support';

const codeOf = async (p: Promise<unknown>): Promise<{ code: number; details: string }> => {
  try {
    await p;
  } catch (e) {
    return { code: (e as ServiceError).code, details: (e as ServiceError).details };
  }
  throw new Error('expected the call to fail');
};

describe('coordinator gRPC API (separate process, real nats-server)', () => {
  it('api - bad requests get the right status codes, the token is never logged, and the server keeps serving', async () => {
    await using nats = await startNatsServer({ jetstream: true });
    const coord = await startCoordinator(nats.url, uniquePrefix(), ['--max-message-bytes', '65536', '--max-budget', '5000', '--max-running-searches', '1']);
    try {
      const submit = (req: SubmitSearchRequest, md?: Metadata) => rpc(coord.search, 'submitSearch', req, md);

      // Authentication: missing and wrong tokens.
      expect(await codeOf(submit(searchRequest(), new Metadata()))).toMatchObject({ code: status.UNAUTHENTICATED });
      expect(await codeOf(submit(searchRequest(), auth('wrong-token-value')))).toMatchObject({ code: status.UNAUTHENTICATED });
      expect(await codeOf(rpc(coord.bench, 'listSpaces', {}, auth('wrong-token-value')))).toMatchObject({ code: status.UNAUTHENTICATED });

      // Malformed and missing fields name the field.
      expect(await codeOf(submit(searchRequest({ budget: 0 })))).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/^budget: must be at least 1/) });
      expect(await codeOf(submit(searchRequest({ budget: undefined })))).toMatchObject({ code: status.INVALID_ARGUMENT, details: 'budget: is required' });
      expect(await codeOf(submit(searchRequest({ budget: 5001 })))).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/budget: must be at most 5000/) });
      // (An absent max_in_flight is no error: the search uses every live worker slot.)
      expect(await codeOf(submit(searchRequest({ seed: undefined })))).toMatchObject({ code: status.INVALID_ARGUMENT, details: 'seed: is required' });
      expect(await codeOf(submit(searchRequest({ mode: 0 })))).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/^mode: is required/) });
      expect(await codeOf(submit(searchRequest({ accuracySource: 0 })))).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/^accuracy_source: is required/) });
      expect(await codeOf(submit(searchRequest({ strategy: 'hill-climbing' })))).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/^strategy: unknown strategy "hill-climbing"/) });
      expect(await codeOf(submit(searchRequest({ objectives: [] })))).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/^objectives:/) });
      expect(await codeOf(submit(searchRequest({ objectives: [{ metric: 'accuracy', direction: 0 }, { metric: '', direction: 0 }] })))).toMatchObject({
        code: status.INVALID_ARGUMENT,
        details: 'objectives[1].metric: is required',
      });
      expect(await codeOf(submit(searchRequest({ constraints: [{ metric: 'no_such_metric', upperBound: 1 }] })))).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/^constraints:/) });
      expect(await codeOf(submit(searchRequest({ deviceIds: ['no-such-device'] })))).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/^devices: device "no-such-device" has no live agent/) });
      const query = (req: object) => rpc<object, QueryResponse>(coord.bench, 'query', req);
      expect(await codeOf(query({ space: 'nb201', dataset: 'cifar10', architecture: { $case: 'arch', value: '|bogus~0|' } }))).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/^arch: /) });
      expect(await codeOf(query({ space: 'nb999', dataset: 'cifar10', architecture: { $case: 'nb201Index', value: 1 } }))).toMatchObject({ code: status.INVALID_ARGUMENT });
      expect(await codeOf(query({ space: 'nb201', dataset: 'cifar10' }))).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/^architecture: /) });

      // Unknown ids, and oversized messages.
      expect(await codeOf(rpc(coord.search, 'getSearch', { searchId: 'nope' }))).toMatchObject({ code: status.NOT_FOUND });
      expect(await codeOf(rpc(coord.search, 'getSearch', { searchId: '' }))).toMatchObject({ code: status.INVALID_ARGUMENT, details: 'search_id: is required' });
      expect(await codeOf(submit(searchRequest({ labels: { big: 'x'.repeat(100_000) } })))).toMatchObject({ code: status.RESOURCE_EXHAUSTED });

      // Idempotent submission by request id.
      const a = await rpc<SubmitSearchRequest, { searchId: string }>(coord.search, 'submitSearch', searchRequest({ requestId: 'r-1', budget: 5 }));
      const b = await rpc<SubmitSearchRequest, { searchId: string }>(coord.search, 'submitSearch', searchRequest({ requestId: 'r-1', budget: 5 }));
      expect(b.searchId).toBe(a.searchId);
      expect(await codeOf(submit(searchRequest({ requestId: 'r-1', budget: 6 })))).toMatchObject({ code: status.ALREADY_EXISTS });

      // Cancel: no worker runs here, so the search is still running; cancelling is idempotent.
      const c1 = await rpc<object, { search: Search }>(coord.search, 'cancelSearch', { searchId: a.searchId, reason: 'test' });
      expect(c1.search).toMatchObject({ state: SearchState.SEARCH_STATE_CANCELLED, cancelReason: 'test' });
      const c2 = await rpc<object, { search: Search }>(coord.search, 'cancelSearch', { searchId: a.searchId, reason: 'again' });
      expect(c2.search.state).toBe(SearchState.SEARCH_STATE_CANCELLED);
      expect(await codeOf(rpc(coord.search, 'cancelSearch', { searchId: 'nope', reason: '' }))).toMatchObject({ code: status.NOT_FOUND });
      const listed = await rpc<object, { searches: Search[] }>(coord.search, 'listSearches', { pageSize: 0, pageToken: '', states: [SearchState.SEARCH_STATE_CANCELLED] });
      expect(listed.searches.map((x) => x.searchId)).toEqual([a.searchId]);
      expect(await codeOf(rpc(coord.search, 'listSearches', { pageSize: 100_000, pageToken: '', states: [] }))).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringMatching(/^page_size: must be at most/) });

      // One running slot: the cancelled search still holds it while its evaluation drains (no
      // worker here), so the next search waits as PENDING, with no start time, until cancelled.
      const p = await rpc<SubmitSearchRequest, { searchId: string }>(coord.search, 'submitSearch', searchRequest({ budget: 5 }));
      const pending = await rpc<object, { search: Search }>(coord.search, 'getSearch', { searchId: p.searchId });
      expect(pending.search.state).toBe(SearchState.SEARCH_STATE_PENDING);
      expect(pending.search.startedAtMs).toBeUndefined();
      const waiting = await rpc<object, { searches: Search[] }>(coord.search, 'listSearches', { pageSize: 0, pageToken: '', states: [SearchState.SEARCH_STATE_PENDING] });
      expect(waiting.searches.map((x) => x.searchId)).toEqual([p.searchId]);
      const c3 = await rpc<object, { search: Search }>(coord.search, 'cancelSearch', { searchId: p.searchId, reason: 'no slot' });
      expect(c3.search).toMatchObject({ state: SearchState.SEARCH_STATE_CANCELLED, cancelReason: 'no slot' });

      // Still serving: valid calls work, health says SERVING.
      const ok = await query({ space: 'nb201', dataset: 'cifar10', architecture: { $case: 'nb201Index', value: 42 } });
      expect(ok.arch?.nb201Index).toBe(42);
      const Health = makeGenericClientConstructor(healthService, 'Health');
      const health = new Health(`127.0.0.1:${coord.port}`, credentials.createInsecure()) as Client & Record<string, (r: object, cb: (e: Error | null, r: { status: string }) => void) => void>;
      for (const name of ['', 'hwnas.v1.SearchService', 'hwnas.v1.BenchmarkService']) {
        const res = await new Promise<{ status: string }>((resolve, reject) => health.check({ service: name }, (e, r) => (e ? reject(e) : resolve(r))));
        expect(res.status).toBe('SERVING');
      }
      health.close();
      expect(coord.proc.output()).not.toContain(TOKEN);
      expect(coord.proc.output()).not.toContain('wrong-token-value');
      expect(coord.proc.output()).toContain('unauthenticated call');
    } finally {
      await coord.close();
    }
  });
});
