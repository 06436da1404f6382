import * as path from 'node:path';
import { credentials, loadPackageDefinition } from '@grpc/grpc-js';
import type { ClientDuplexStream, ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { FinishReason, SearchState } from '@hwnas/proto';
import type { GetSearchResponse, SubmitSearchResponse } from '@hwnas/proto';
import { startNatsServer } from '@hwnas/testing-nats';
import { rpc, runCliProcess, searchRequest, startCoordinator, startWorkerProc, uniquePrefix, waitForSearch } from './support';
import type { AppProcess, CoordinatorHandle } from './support';
import { REPO } from './support';

/** The services a server lists through gRPC reflection (v1). */
async function reflectedServices(port: number): Promise<string[]> {
  const def = loadSync(path.join(REPO, 'node_modules/@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto'), { keepCase: true });
  const pkg = loadPackageDefinition(def) as unknown as { grpc: { reflection: { v1: { ServerReflection: ServiceClientConstructor } } } };
  const client = new pkg.grpc.reflection.v1.ServerReflection(`127.0.0.1:${port}`, credentials.createInsecure());
  try {
    const call = (client as unknown as { ServerReflectionInfo(): ClientDuplexStream<object, { list_services_response?: { service: { name: string }[] } }> }).ServerReflectionInfo();
    const reply = new Promise<string[]>((resolve, reject) => {
      call.once('data', (d) => resolve((d.list_services_response?.service ?? []).map((s: { name: string }) => s.name)));
      call.once('error', reject);
    });
    call.write({ list_services: '' });
    const names = await reply;
    call.end();
    return names;
  } finally {
    client.close();
  }
}

describe('operations against a cluster (real nats-server, coordinator and worker processes)', () => {
  it('list, delete, impossible and unreachable bounds: through the CLI as a process, and across a coordinator restart', async () => {
    await using nats = await startNatsServer({ jetstream: true });
    const prefix = uniquePrefix();
    const procs: AppProcess[] = [];
    let coord: CoordinatorHandle | undefined;
    try {
      coord = await startCoordinator(nats.url, prefix);
      const c = coord;
      // Health is listed by reflection, next to the API's services.
      expect(await reflectedServices(c.port)).toEqual(expect.arrayContaining(['grpc.health.v1.Health', 'hwnas.v1.SearchService', 'hwnas.v1.BenchmarkService']));
      const cli = (...args: string[]) => runCliProcess([...args, '--coordinator', `127.0.0.1:${c.port}`]);

      // A bound below the least latency of the space is refused at submit: exit 2, one clear line.
      const impossible = await cli('search', '--space', 'nb201', '--dataset', 'cifar10', '--strategy', 'random', '--budget', '5', '--constraint', 'raspi4_latency<=-1');
      expect(impossible.code).toBe(2);
      expect(impossible.err.trim()).toMatch(/^hwnas search: error: submitSearch at 127\.0\.0\.1:\d+: constraints: raspi4_latency<=-1 can never be met: no architecture of the nb201 space on cifar10 has raspi4_latency below [0-9.]+ ms$/);

      // No worker yet: a search that stays running.
      const { searchId: running } = await rpc<ReturnType<typeof searchRequest>, SubmitSearchResponse>(c.search, 'submitSearch', searchRequest({ budget: 10, maxInFlight: 2, seed: 1 }));
      procs.push(startWorkerProc(nats.url, prefix));
      const deleting = await cli('delete', running);
      // Either still running (refused) or, on a fast machine, already done (deleted).
      if (deleting.code === 1) expect(deleting.err).toContain('is running: cancel it');
      else expect(deleting).toMatchObject({ code: 0, out: `deleted ${running}\n` });

      // A bound some architecture meets but this small random search does not: it ends as "no
      // feasible architecture" with a non-zero exit, never as a silent success.
      // (An explicit window: this test is about outcomes; windows that follow the worker slots are
      // worker-slots.int.spec.ts's.)
      const unreachable = await cli('search', '--space', 'nb201', '--dataset', 'cifar10', '--strategy', 'random', '--budget', '10', '--seed', '0', '--constraint', 'raspi4_latency<=3.2', '--parallelism', '2', '--watch');
      expect(unreachable.code).toBe(1);
      expect(unreachable.err).toContain('hwnas search: the search failed: no feasible architecture: none of the 10 evaluated architectures meets raspi4_latency<=3.2');
      const failedId = /submitted search (\S+)/.exec(unreachable.err)![1];
      const failed = (await rpc<object, GetSearchResponse>(c.search, 'getSearch', { searchId: failedId })).search!;
      expect(failed).toMatchObject({ state: SearchState.SEARCH_STATE_FAILED, finishReason: FinishReason.FINISH_REASON_NO_FEASIBLE_ARCHITECTURE, failure: { code: 'no_feasible_architecture' } });

      const kept = await rpc<ReturnType<typeof searchRequest>, SubmitSearchResponse>(c.search, 'submitSearch', searchRequest({ budget: 20, maxInFlight: 4, seed: 2 }));
      const keptDone = await waitForSearch(() => c.search, kept.searchId);
      expect(keptDone.finishReason).toBe(FinishReason.FINISH_REASON_COMPLETED);
      if (deleting.code === 1) await waitForSearch(() => c.search, running);

      const listed = await cli('list');
      expect(listed.code).toBe(0);
      const rows = listed.out.trim().split('\n').slice(2);
      expect(rows.find((r) => r.startsWith(kept.searchId))).toMatch(/succeeded\s+20\/20\s+accuracy \d/);
      expect(rows.find((r) => r.startsWith(failedId))).toMatch(/failed \(no_feasible_architecture\)\s+10\/10\s+-/);

      expect((await cli('delete', failedId)).code).toBe(0);
      if (deleting.code === 1) expect((await cli('delete', running)).code).toBe(0);
      expect((await cli('delete', failedId)).err).toContain('not found');
      const after = (await cli('list')).out;
      expect(after).toContain(kept.searchId);
      expect(after).not.toContain(failedId);
      expect(after).not.toContain(running);

      // A restarted coordinator recovers the kept search and not the deleted ones.
      await coord.close();
      coord = await startCoordinator(nats.url, prefix);
      const again = await runCliProcess(['list', '--coordinator', `127.0.0.1:${coord.port}`]);
      expect(again.code).toBe(0);
      expect(again.out).toContain(kept.searchId);
      expect(again.out).not.toContain(failedId);
      expect(again.out).not.toContain(running);
    } finally {
      await coord?.close();
      await Promise.all(procs.map((p) => p.kill('SIGTERM')));
    }
  });
});
