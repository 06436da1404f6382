import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Server, ServerCredentials, status } from '@grpc/grpc-js';
import type { sendUnaryData, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import { Direction, FinishReason, SearchMode, SearchServiceService, SearchState, StopReason, TrialNeed, TrialStatus } from '@hwnas/proto';
import type { Search, SearchServiceServer, SubmitSearchRequest, Trial, WatchSearchResponse } from '@hwnas/proto';
import { runCli } from '../testing';
import { submitRemoteSearch, toSubmitRequest } from './submit';
import { reportLine } from './watch';
import { plainNumber } from '../format';

const trial = (i: number, acc: number, lat: number): Trial => ({
  trialId: String(i),
  askIndex: i,
  tellIndex: i,
  need: 1,
  arch: { arch: `arch-${i}` },
  status: TrialStatus.TRIAL_STATUS_OK,
  metrics: { accuracy: acc, raspi4_latency: lat },
  feasible: true,
  screened: false,
  cached: false,
  deviceId: '',
  askedAtMs: 0,
  toldAtMs: 0,
  curve: i === 0 ? [{ trialId: '0', epoch: 1, metrics: { valid_accuracy: 40.5 } }, { trialId: '0', epoch: 2, metrics: { valid_accuracy: 52.25 } }] : [],
});

const HISTORY = [trial(0, 90, 10), trial(1, 92, 12), trial(2, 91, 15), trial(3, 80, 5)];

const SEARCH: Search = {
  searchId: 's-1',
  state: SearchState.SEARCH_STATE_SUCCEEDED,
  resolvedRequest: {
    space: 'nb201',
    dataset: 'cifar10',
    strategy: 'rea',
    strategyOptions: {},
    objectives: [{ metric: 'accuracy', direction: Direction.DIRECTION_MAXIMIZE }],
    constraints: [{ metric: 'raspi4_latency', upperBound: 20 }],
    budget: 4,
    maxInFlight: 2,
    seed: 1,
    accuracySource: 1,
    deviceIds: [],
    mode: 1,
    asynchronous: false,
    requestId: '',
    labels: {},
  },
  counts: { evaluationsDone: 4, evaluationsFailed: 0, evaluationsInFlight: 0, costQueries: 0 },
  incumbent: { best: HISTORY[1], paretoSet: [] },
  createdAtMs: 1_700_000_000_000,
  finishedAtMs: 1_700_000_001_000,
  stopReason: StopReason.STOP_REASON_BUDGET,
  cancelReason: '',
  finishReason: FinishReason.FINISH_REASON_COMPLETED,
};

/** A fake coordinator: one finished search, token "tok". */
async function fakeServer(): Promise<{ addr: string; submitted: SubmitSearchRequest[]; stop(): void }> {
  const submitted: SubmitSearchRequest[] = [];
  const authed = (call: { metadata: { get(k: string): unknown[] } }) => call.metadata.get('authorization')[0] === 'Bearer tok';
  const unauth = { code: status.UNAUTHENTICATED, details: 'invalid bearer token' };
  const notFound = { code: status.NOT_FOUND, details: 'search "x" not found' };
  const impl: SearchServiceServer = {
    submitSearch(call: ServerUnaryCall<SubmitSearchRequest, unknown>, cb: sendUnaryData<{ searchId: string }>) {
      if (!authed(call)) return cb(unauth);
      submitted.push(call.request);
      cb(null, { searchId: 's-1' });
    },
    getSearch(call: ServerUnaryCall<{ searchId: string }, unknown>, cb: sendUnaryData<{ search: Search }>) {
      if (!authed(call)) return cb(unauth);
      if (call.request.searchId !== 's-1') return cb(notFound);
      cb(null, { search: SEARCH });
    },
    listSearches: (_c: unknown, cb: sendUnaryData<unknown>) => cb(null, { searches: [SEARCH], nextPageToken: '' }),
    watchSearch(call: ServerWritableStream<{ searchId: string }, WatchSearchResponse>) {
      call.write({ state: SearchState.SEARCH_STATE_SUCCEEDED, counts: SEARCH.counts, trials: HISTORY, incumbent: SEARCH.incumbent, sentAtMs: 0, stopReason: 1, finishReason: FinishReason.FINISH_REASON_COMPLETED, reports: [] });
      call.end();
    },
    deleteSearch(call: ServerUnaryCall<{ searchId: string }, unknown>, cb: sendUnaryData<unknown>) {
      if (call.request.searchId === 'gone') return cb(null, {});
      if (call.request.searchId === 's-1') return cb({ code: status.FAILED_PRECONDITION, details: 'search "s-1" is running: cancel it, and delete it once it has finished' });
      cb(notFound);
    },
    cancelSearch(call: ServerUnaryCall<unknown, unknown>, cb: sendUnaryData<unknown>) {
      cb({ code: status.FAILED_PRECONDITION, details: 'search s-1 already succeeded; only a running search can be cancelled' });
    },
    getResults(call: ServerUnaryCall<{ searchId: string; pageToken: string; includeCostQueries: boolean }, unknown>, cb: sendUnaryData<unknown>) {
      if (!authed(call)) return cb(unauth);
      if (call.request.includeCostQueries) {
        const query: Trial = { ...trial(4, 0, 30), tellIndex: 4, need: TrialNeed.TRIAL_NEED_COSTS, metrics: { raspi4_latency: 30 }, feasible: false, screened: true };
        return cb(null, { search: SEARCH, history: [...HISTORY, query], nextPageToken: '' });
      }
      // Two pages, to exercise paging.
      if (!call.request.pageToken) cb(null, { search: SEARCH, history: HISTORY.slice(0, 2), nextPageToken: 'p2' });
      else cb(null, { search: SEARCH, history: HISTORY.slice(2), nextPageToken: '' });
    },
  } as unknown as SearchServiceServer;
  const server = new Server();
  server.addService(SearchServiceService, impl);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return { addr: `127.0.0.1:${port}`, submitted, stop: () => server.forceShutdown() };
}

describe('cli remote commands', () => {
  let srv: Awaited<ReturnType<typeof fakeServer>>;
  let dir: string;
  beforeAll(async () => {
    srv = await fakeServer();
    dir = mkdtempSync(path.join(tmpdir(), 'hwnas-cli-'));
    process.env.HWNAS_API_TOKEN = 'tok';
  });
  afterAll(() => {
    srv.stop();
    rmSync(dir, { recursive: true, force: true });
    delete process.env.HWNAS_API_TOKEN;
  });

  it('status - prints the record; an unknown id exits 1 with the server message', async () => {
    const ok = await runCli(['status', 's-1', '--coordinator', srv.addr]);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/state\s+\|?\s*succeeded/);
    expect(ok.out).toContain('arch-1');
    const missing = await runCli(['status', 'x', '--coordinator', srv.addr]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('search "x" not found');
  });

  it('results --curves - the learning curves of the trials that have them, as a table, csv or json', async () => {
    const table = await runCli(['results', 's-1', '--coordinator', srv.addr, '--curves']);
    expect(table.code).toBe(0);
    expect(table.out.trim().split('\n').map((l) => l.trim().split(/\s+/))).toEqual([['trial', 'epoch', 'valid_accuracy'], ['0', '1', '40.5'], ['0', '2', '52.25']]);
    const csv = await runCli(['results', 's-1', '--coordinator', srv.addr, '--curves', '--format', 'csv']);
    expect(csv.out.trim()).toBe('trial,epoch,valid_accuracy\n0,1,40.5\n0,2,52.25');
    const json = JSON.parse((await runCli(['results', 's-1', '--coordinator', srv.addr, '--curves', '--format', 'json'])).out);
    expect(json).toEqual({ curves: { '0': [{ epoch: 1, valid_accuracy: 40.5 }, { epoch: 2, valid_accuracy: 52.25 }] } });
  });

  it('results - csv over several pages, json, and SVG plots (the dashboard charts) with the Pareto front', async () => {
    const csv = await runCli(['results', 's-1', '--coordinator', srv.addr, '--format', 'csv']);
    expect(csv.code).toBe(0);
    const lines = csv.out.trim().split('\n');
    expect(lines[0]).toBe('tell,trial,status,feasible,incumbent,accuracy,raspi4_latency,arch');
    expect(lines).toHaveLength(5);
    expect(lines[2]).toBe('1,1,ok,yes,best,92,12,arch-1');
    const json = JSON.parse((await runCli(['results', 's-1', '--coordinator', srv.addr, '--format', 'json'])).out);
    expect(json.trials).toHaveLength(4);
    const file = path.join(dir, 'plot.svg');
    const progress = path.join(dir, 'progress.svg');
    const plotted = await runCli(['results', 's-1', '--coordinator', srv.addr, '--plot', file, '--plot-progress', progress]);
    expect(plotted.code).toBe(0);
    const svg = readFileSync(file, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    // Front (max accuracy, min latency): arch-3 (80, 5), arch-0 (90, 10), arch-1 (92, 12).
    expect(svg.match(/class="pt on-front/g)).toHaveLength(3);
    expect(svg.match(/class="pt[ "]/g)).toHaveLength(4);
    expect(svg).toContain('Pareto front (3)');
    expect(svg).toContain('raspi4_latency (ms)');
    expect(svg).toContain('accuracy (%)');
    expect(svg).toContain('class="best-marker"');
    const curve = readFileSync(progress, 'utf8');
    expect(curve).toContain('class="best-line"');
    expect(curve.match(/class="pt[ "]/g)).toHaveLength(4);
  });

  it('results --cost-queries - asks for cost queries too and shows what each trial was', async () => {
    const csv = await runCli(['results', 's-1', '--coordinator', srv.addr, '--format', 'csv', '--cost-queries']);
    expect(csv.code).toBe(0);
    const lines = csv.out.trim().split('\n');
    expect(lines[0]).toBe('tell,trial,need,status,feasible,incumbent,accuracy,raspi4_latency,arch');
    expect(lines[1]).toBe('0,0,full,ok,yes,,90,10,arch-0');
    expect(lines[5]).toBe('4,4,costs (screened),ok,no,,,30,arch-4');
    const json = JSON.parse((await runCli(['results', 's-1', '--coordinator', srv.addr, '--format', 'json', '--cost-queries'])).out);
    expect(json.trials[4]).toMatchObject({ tell: 4, need: 'costs', screened: true });
  });

  it('cancel - a finished search is a failed precondition (exit 1); a wrong token says how to authenticate', async () => {
    const r = await runCli(['cancel', 's-1', '--coordinator', srv.addr]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('already succeeded');
    process.env.HWNAS_API_TOKEN = 'bad';
    try {
      const w = await runCli(['status', 's-1', '--coordinator', srv.addr]);
      expect(w.code).toBe(1);
      expect(w.err).toMatch(/not authenticated .*HWNAS_API_TOKEN/);
    } finally {
      process.env.HWNAS_API_TOKEN = 'tok';
    }
  });

  it('submitRemoteSearch - sends every required field with a request id, watches, prints the record', async () => {
    let out = '';
    const io = { out: (t: string) => (out += t + '\n'), err: () => undefined };
    const input = { space: 'nb201', dataset: 'cifar10', strategy: 'rea', objectives: ['accuracy'], constraints: ['raspi4_latency<=20'], budget: 4, maxInFlight: 2, seed: 0, accuracySource: 'table', mode: 'joint' } as const;
    const res = await submitRemoteSearch({ coordinator: srv.addr }, input, io, { watch: true, display: 'lines' });
    expect(res.searchId).toBe('s-1');
    expect(res.search?.state).toBe(SearchState.SEARCH_STATE_SUCCEEDED);
    expect(out).toContain('4/4 100%');
    // The search is already over, so no stream is opened; a report would print as:
    expect(reportLine({ trialId: '3', epoch: 2, metrics: { valid_accuracy: 40.5, train_loss: 0.71 } })).toBe('trial 3 epoch 2: train_loss 0.71 valid_accuracy 40.5');
    const sent = srv.submitted[srv.submitted.length - 1];
    expect(sent).toMatchObject({ budget: 4, maxInFlight: 2, seed: 0, constraints: [{ metric: 'raspi4_latency', upperBound: 20 }] });
    expect(sent.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(toSubmitRequest(input).objectives).toEqual([{ metric: 'accuracy', direction: Direction.DIRECTION_UNSPECIFIED }]);
    expect(toSubmitRequest(input).maxFailedEvaluations).toBeUndefined();
    expect(toSubmitRequest({ ...input, maxFailed: 3 }).maxFailedEvaluations).toBe(3);
  });

  it('hwnas search --coordinator --epochs - submits the training settings; --trainer is the workers\' and is refused with where it goes', async () => {
    const base = ['search', '--coordinator', srv.addr, '--space', 'nb201', '--dataset', 'cifar10', '--strategy', 'random', '--budget', '4'];
    const r = await runCli([...base, '--epochs', '3', '--scheduler', 'asha', '--min-epochs', '1']);
    expect(r.code).toBe(0);
    expect(srv.submitted[srv.submitted.length - 1].training).toEqual({ epochs: 3, scheduler: 'asha', minEpochs: 1, eta: 3 });
    const plain = await runCli(base);
    expect(plain.code).toBe(0);
    expect(srv.submitted[srv.submitted.length - 1].training).toBeUndefined();
    const refused = await runCli([...base, '--trainer', 'python3 train.py', '--epochs', '3']);
    expect(refused.code).not.toBe(0);
    expect(refused.err).toContain('with --coordinator the trainer command lives on the workers (hwnas-worker --trainer CMD)');
  });

  it('hwnas search --coordinator --cost-model ID - submits cost_model (the device joins device_ids); it needs cost-first', async () => {
    const base = ['search', '--coordinator', srv.addr, '--space', 'nb201', '--dataset', 'cifar10', '--strategy', 'random', '--budget', '4', '--constraint', 'raspi4_latency<=15.72'];
    const r = await runCli([...base, '--mode', 'cost-first', '--cost-model', 'raspi4', '--bucket', 'models', '--screen-conformal', '0.9']);
    expect(r.code).toBe(0);
    const sent = srv.submitted[srv.submitted.length - 1];
    expect(sent.costModel).toEqual({ device: 'raspi4', bucket: 'models', z: 2, conformal: 0.9 });
    expect(sent.deviceIds).toEqual(['raspi4']);
    expect(sent.mode).toBe(SearchMode.SEARCH_MODE_COST_FIRST);
    const joint = await runCli([...base, '--cost-model', 'raspi4']);
    expect(joint.code).not.toBe(0);
    expect(joint.err).toContain('--cost-model ID with --coordinator needs --mode cost-first');
  });

  it('list - one line per search with state, progress and best', async () => {
    const r = await runCli(['list', '--coordinator', srv.addr]);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toMatch(/^search\s+state\s+evaluations\s+best\s+strategy\s+created$/);
    expect(lines[2]).toMatch(/^s-1\s+succeeded\s+\d+\/\d+\s+accuracy \d+/);
    const json = JSON.parse((await runCli(['list', '--coordinator', srv.addr, '--json'])).out);
    expect(json.map((s: { searchId: string }) => s.searchId)).toEqual(['s-1']);
  });

  it('delete - deletes an ended search; a running one is a failed precondition (exit 1); errors carry one prefix', async () => {
    expect(await runCli(['delete', 'gone', '--coordinator', srv.addr])).toMatchObject({ code: 0, out: 'deleted gone\n' });
    const running = await runCli(['delete', 's-1', '--coordinator', srv.addr]);
    expect(running.code).toBe(1);
    expect(running.err).toContain('is running: cancel it');
    const noId = await runCli(['delete', '--coordinator', srv.addr]);
    expect(noId.code).toBe(2);
    expect(noId.err.trim()).toBe('hwnas delete: error: give exactly one search ID');
  });

  it('plainNumber - CSV numbers carry no binary noise', () => {
    expect(plainNumber(0.1 + 0.2)).toBe('0.3');
    expect(plainNumber(15.7228)).toBe('15.7228');
    expect(plainNumber(1 / 3)).toBe('0.333333333333333');
    expect(plainNumber(12)).toBe('12');
  });
});
