import * as fs from 'node:fs';
import * as path from 'node:path';
import { credentials, loadPackageDefinition, Metadata, Server, ServerCredentials, status } from '@grpc/grpc-js';
import type { Client, ServiceError, ServerUnaryCall, ServerWritableStream, sendUnaryData } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import {
  AccuracySource,
  BENCHMARK_SERVICE_NAME,
  BenchmarkServiceClient,
  BenchmarkServiceService,
  Direction,
  loadHwnasPackageDefinition,
  PROTO_DIR,
  PROTO_FILES,
  QueryResponse,
  Search,
  SEARCH_SERVICE_NAME,
  SearchMode,
  SearchServiceClient,
  SearchServiceService,
  SearchState,
  SubmitSearchRequest,
  TrialNeed,
  TrialStatus,
  WatchSearchResponse,
} from './index';
import type {
  BenchmarkServiceServer,
  GetSearchRequest,
  GetSearchResponse,
  QueryRequest,
  SearchServiceServer,
  SubmitSearchResponse,
  WatchSearchRequest,
} from './index';

/** Promise of one unary call made through a generated client's callback API. */
function unary<R>(invoke: (cb: (err: ServiceError | null, res: R) => void) => unknown): Promise<R> {
  return new Promise((resolve, reject) => {
    invoke((err, res) => (err ? reject(err) : resolve(res)));
  });
}

/** The rejection of `p` as a gRPC ServiceError (fails the test when `p` resolves). */
async function serviceError(p: Promise<unknown>): Promise<ServiceError> {
  try {
    await p;
  } catch (e) {
    return e as ServiceError;
  }
  throw new Error('expected the call to fail');
}

function unimplemented(_call: unknown, callback: sendUnaryData<never>): void {
  callback({ code: status.UNIMPLEMENTED, details: 'not in this test' });
}

const KNOWN_ID = 'search-1';

/** A complete, valid request (what a well-behaved client sends). */
function validRequest(): SubmitSearchRequest {
  return SubmitSearchRequest.fromPartial({
    space: 'nb201',
    dataset: 'cifar10',
    strategy: 'rea',
    strategyOptions: { population: '20' },
    objectives: [{ metric: 'accuracy', direction: Direction.DIRECTION_MAXIMIZE }],
    constraints: [{ metric: 'raspi4_latency', upperBound: 15.72 }],
    budget: 100,
    maxInFlight: 4,
    seed: 0,
    accuracySource: AccuracySource.ACCURACY_SOURCE_TABLE,
    mode: SearchMode.SEARCH_MODE_JOINT,
  });
}

describe('@hwnas/proto over loopback', () => {
  let server: Server;
  let address: string;
  let searchClient: SearchServiceClient;
  let benchmarkClient: BenchmarkServiceClient;
  /** Requests as the server decoded them. */
  const received: SubmitSearchRequest[] = [];

  beforeAll(async () => {
    const search: SearchServiceServer = {
      submitSearch(call: ServerUnaryCall<SubmitSearchRequest, SubmitSearchResponse>, callback: sendUnaryData<SubmitSearchResponse>) {
        received.push(call.request);
        // What the real server must do: reject a missing required field, naming it.
        if (call.request.budget === undefined) {
          callback({ code: status.INVALID_ARGUMENT, details: 'budget is required' });
          return;
        }
        callback(null, { searchId: KNOWN_ID });
      },
      getSearch(call: ServerUnaryCall<GetSearchRequest, GetSearchResponse>, callback: sendUnaryData<GetSearchResponse>) {
        if (call.request.searchId !== KNOWN_ID) {
          callback({ code: status.NOT_FOUND, details: `search "${call.request.searchId}" not found` });
          return;
        }
        callback(null, {
          search: Search.fromPartial({
            searchId: KNOWN_ID,
            state: SearchState.SEARCH_STATE_RUNNING,
            request: validRequest(),
            createdAtMs: 1_700_000_000_000,
            startedAtMs: 0, // present and zero
            // finishedAtMs left absent
            etaMs: 1234,
          }),
        });
      },
      watchSearch(call: ServerWritableStream<WatchSearchRequest, WatchSearchResponse>) {
        for (let i = 0; i < 3; i++) {
          call.write(
            WatchSearchResponse.fromPartial({
              state: i < 2 ? SearchState.SEARCH_STATE_RUNNING : SearchState.SEARCH_STATE_SUCCEEDED,
              counts: { evaluationsDone: i + 1 },
              trials: [
                {
                  trialId: `t${i}`,
                  askIndex: i,
                  tellIndex: i,
                  need: TrialNeed.TRIAL_NEED_FULL,
                  arch: { arch: `arch-${i}`, nb201Index: i },
                  status: TrialStatus.TRIAL_STATUS_OK,
                  metrics: { accuracy: 90 + i, raspi4_latency: 10.5 },
                },
              ],
              ...(i === 0 ? { incumbent: { paretoSet: [] } } : {}),
              sentAtMs: 1_700_000_000_000 + i,
            }),
          );
        }
        call.end();
      },
      listSearches: unimplemented,
      cancelSearch: unimplemented,
      deleteSearch: unimplemented,
      getResults: unimplemented,
    };
    const benchmark: BenchmarkServiceServer = {
      query(call: ServerUnaryCall<QueryRequest, QueryResponse>, callback: sendUnaryData<QueryResponse>) {
        const a = call.request.architecture;
        if (a === undefined) {
          callback({ code: status.INVALID_ARGUMENT, details: 'architecture: set arch or nb201_index' });
          return;
        }
        callback(
          null,
          QueryResponse.fromPartial({
            space: call.request.space,
            dataset: call.request.dataset,
            arch: a.$case === 'nb201Index' ? { arch: '|none~0|+|none~0|none~1|+|none~0|none~1|none~2|', nb201Index: a.value } : { arch: a.value },
            accuracyPercent: { test: 93.5 },
            costs: { raspi4_latency: 15.72 },
            flopsMillions: 7.78304,
            paramsMillions: 0.073306,
          }),
        );
      },
      listSpaces: unimplemented,
      listDevices: unimplemented,
    };
    server = new Server();
    server.addService(SearchServiceService, search);
    server.addService(BenchmarkServiceService, benchmark);
    new ReflectionService(loadHwnasPackageDefinition()).addToServer(server);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    address = `127.0.0.1:${port}`;
    searchClient = new SearchServiceClient(address, credentials.createInsecure());
    benchmarkClient = new BenchmarkServiceClient(address, credentials.createInsecure());
  });

  afterAll(() => {
    searchClient?.close();
    benchmarkClient?.close();
    server?.forceShutdown();
  });

  test('SubmitSearch - unary call returns the search id', async () => {
    const res = await unary<SubmitSearchResponse>((cb) => searchClient.submitSearch(validRequest(), cb));
    expect(res).toEqual({ searchId: KNOWN_ID });
  });

  test('SubmitSearch - optional scalars arrive as zero when set to zero and absent when unset', async () => {
    received.length = 0;
    await unary<SubmitSearchResponse>((cb) => searchClient.submitSearch(validRequest(), cb));
    const got = received[0];
    expect(got.seed).toBe(0);
    expect(got.budget).toBe(100);
    expect(got.maxCostQueries).toBeUndefined();
    expect(got.constraints[0].upperBound).toBe(15.72);
    expect(got.reward).toBeUndefined();
    expect(got.strategyOptions).toEqual({ population: '20' });
    expect(got.objectives).toEqual([{ metric: 'accuracy', direction: Direction.DIRECTION_MAXIMIZE }]);

    received.length = 0;
    const bare = { ...validRequest(), seed: undefined, constraints: [{ metric: 'raspi4_latency' }] };
    await unary<SubmitSearchResponse>((cb) => searchClient.submitSearch(SubmitSearchRequest.fromPartial(bare), cb));
    expect(received[0].seed).toBeUndefined();
    expect(received[0].constraints[0].upperBound).toBeUndefined();
  });

  test('SubmitSearch - a missing required field fails with INVALID_ARGUMENT naming it', async () => {
    const req = SubmitSearchRequest.fromPartial({ ...validRequest(), budget: undefined });
    const err = await serviceError(unary<SubmitSearchResponse>((cb) => searchClient.submitSearch(req, cb)));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toBe('budget is required');
  });

  test('GetSearch - optional timestamps round-trip as present-zero, present and absent', async () => {
    const res = await unary<GetSearchResponse>((cb) => searchClient.getSearch({ searchId: KNOWN_ID }, cb));
    const s = res.search!;
    expect(s.state).toBe(SearchState.SEARCH_STATE_RUNNING);
    expect(s.startedAtMs).toBe(0);
    expect(s.finishedAtMs).toBeUndefined();
    expect(s.etaMs).toBe(1234);
    expect(s.createdAtMs).toBe(1_700_000_000_000);
    expect(s.request?.seed).toBe(0);
    expect(s.resolvedRequest).toBeUndefined();
    expect(s.failure).toBeUndefined();
  });

  test('GetSearch - an unknown id fails with NOT_FOUND', async () => {
    const err = await serviceError(unary<GetSearchResponse>((cb) => searchClient.getSearch({ searchId: 'nope' }, cb)));
    expect(err.code).toBe(status.NOT_FOUND);
    expect(err.details).toContain('nope');
  });

  test('WatchSearch - server stream delivers 3 messages in order, then ends', async () => {
    const stream = searchClient.watchSearch({ searchId: KNOWN_ID, historyFrom: 0 });
    const got: WatchSearchResponse[] = [];
    for await (const msg of stream) got.push(msg as WatchSearchResponse);
    expect(got).toHaveLength(3);
    expect(got.map((m) => m.counts?.evaluationsDone)).toEqual([1, 2, 3]);
    expect(got.map((m) => m.trials[0].trialId)).toEqual(['t0', 't1', 't2']);
    expect(got[0].trials[0].arch).toEqual({ arch: 'arch-0', nb201Index: 0 });
    expect(got[1].trials[0].metrics).toEqual({ accuracy: 91, raspi4_latency: 10.5 });
    expect(got[0].incumbent).toEqual({ paretoSet: [] });
    expect(got[1].incumbent).toBeUndefined();
    expect(got[0].etaMs).toBeUndefined();
    expect(got[2].state).toBe(SearchState.SEARCH_STATE_SUCCEEDED);
  });

  test('CancelSearch - an RPC without a handler fails with UNIMPLEMENTED', async () => {
    const err = await serviceError(unary((cb) => searchClient.cancelSearch({ searchId: KNOWN_ID, reason: '' }, cb)));
    expect(err.code).toBe(status.UNIMPLEMENTED);
  });

  test('Query - the oneof carries index 0 (present) and a missing architecture is detected', async () => {
    const byIndex = await unary<QueryResponse>((cb) =>
      benchmarkClient.query({ space: 'nb201', dataset: 'cifar10', architecture: { $case: 'nb201Index', value: 0 } }, cb),
    );
    expect(byIndex.arch?.nb201Index).toBe(0);
    expect(byIndex.accuracyPercent).toEqual({ test: 93.5 });
    expect(byIndex.trainTimeS).toBeUndefined();

    const byString = await unary<QueryResponse>((cb) =>
      benchmarkClient.query({ space: 'nb201', dataset: 'cifar10', architecture: { $case: 'arch', value: '|x~0|' } }, cb),
    );
    expect(byString.arch).toEqual({ arch: '|x~0|' });

    const err = await serviceError(unary((cb) => benchmarkClient.query({ space: 'nb201', dataset: 'cifar10' }, cb)));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toContain('nb201_index');
  });

  test('server reflection - lists both services and serves their file descriptors', async () => {
    const reflectionProto = path.join(
      path.dirname(require.resolve('@grpc/reflection/package.json')),
      'build/proto/grpc/reflection/v1/reflection.proto',
    );
    const def = loadSync(reflectionProto, { keepCase: true, arrays: true, oneofs: true });
    // The dynamic client has no static type; it is only used to speak the reflection protocol.
    const pkg = loadPackageDefinition(def) as unknown as {
      grpc: { reflection: { v1: { ServerReflection: new (addr: string, creds: ReturnType<typeof credentials.createInsecure>) => Client } } };
    };
    const client = new pkg.grpc.reflection.v1.ServerReflection(address, credentials.createInsecure()) as Client & {
      ServerReflectionInfo(md: Metadata): NodeJS.ReadWriteStream & { end(): void; write(m: object): boolean };
    };
    try {
      const call = client.ServerReflectionInfo(new Metadata());
      const responses: Array<Record<string, unknown>> = [];
      const done = new Promise<void>((resolve, reject) => {
        call.on('data', (m: Record<string, unknown>) => responses.push(m));
        call.on('error', reject);
        call.on('end', () => resolve());
      });
      call.write({ list_services: '*' });
      call.write({ file_containing_symbol: `${SEARCH_SERVICE_NAME}` });
      call.end();
      await done;
      const list = responses[0].list_services_response as { service: { name: string }[] };
      const names = list.service.map((s) => s.name);
      expect(names).toEqual(expect.arrayContaining([SEARCH_SERVICE_NAME, BENCHMARK_SERVICE_NAME]));
      const files = responses[1].file_descriptor_response as { file_descriptor_proto: Buffer[] };
      expect(files.file_descriptor_proto.length).toBeGreaterThan(0);
      expect(Buffer.concat(files.file_descriptor_proto).toString('latin1')).toContain('SubmitSearch');
    } finally {
      client.close();
    }
  });
});

describe('@hwnas/proto definitions', () => {
  test('service names - match the generated gRPC paths', () => {
    expect(SearchServiceService.submitSearch.path).toBe(`/${SEARCH_SERVICE_NAME}/SubmitSearch`);
    expect(SearchServiceService.watchSearch.responseStream).toBe(true);
    expect(BenchmarkServiceService.query.path).toBe(`/${BENCHMARK_SERVICE_NAME}/Query`);
  });

  test('PROTO_FILES - lists every .proto file under PROTO_DIR', () => {
    const found: string[] = [];
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(path.join(PROTO_DIR, dir), { withFileTypes: true })) {
        const rel = path.posix.join(dir, e.name);
        if (e.isDirectory()) walk(rel);
        else if (e.name.endsWith('.proto')) found.push(rel);
      }
    };
    walk('hwnas');
    expect([...PROTO_FILES]).toEqual(found.sort());
  });

  test('loadHwnasPackageDefinition - holds both services for reflection', () => {
    const def = loadHwnasPackageDefinition();
    expect(Object.keys(def)).toEqual(expect.arrayContaining([SEARCH_SERVICE_NAME, BENCHMARK_SERVICE_NAME, 'hwnas.v1.Search']));
    expect(() => new ReflectionService(def)).not.toThrow();
  });

  test('binary codec - optional fields keep absent vs zero without a network', () => {
    const zero = SubmitSearchRequest.decode(SubmitSearchRequest.encode({ ...validRequest(), seed: 0 }).finish());
    const unset = SubmitSearchRequest.decode(SubmitSearchRequest.encode({ ...validRequest(), seed: undefined }).finish());
    expect(zero.seed).toBe(0);
    expect(unset.seed).toBeUndefined();
    expect(zero.accuracySource).toBe(AccuracySource.ACCURACY_SOURCE_TABLE);
  });
});
