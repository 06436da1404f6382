import { InvalidArgumentError, NasError } from '@hwnas/bench-core';
import type { Coordinator, EvaluatedArch, SearchView } from '@hwnas/runtime';
import { SearchState } from '@hwnas/proto';
import type {
  CancelSearchRequest,
  CancelSearchResponse,
  DeleteSearchRequest,
  DeleteSearchResponse,
  GetResultsRequest,
  GetResultsResponse,
  GetSearchRequest,
  GetSearchResponse,
  ListSearchesRequest,
  ListSearchesResponse,
  SubmitSearchRequest,
  SubmitSearchResponse,
  TrialReport as ProtoTrialReport,
  WatchSearchRequest,
  WatchSearchResponse,
} from '@hwnas/proto';
import type { ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import { trace } from '@opentelemetry/api';
import { fromSubmitRequest, toIncumbent, toSearch, toTrialReport, toTrials, DEFAULT_REQUEST_LIMITS } from './mappers';
import { fromState, toCounts, toFailure, toFinishReason, toState, toStopReason } from './state-mappers';
import type { RequestLimits } from './mappers';
import { callerTraceparent } from './tracing';

type Unary<Req, Res> = (call: ServerUnaryCall<Req, Res>) => Promise<Res>;
type Stream<Req, Res> = (call: ServerWritableStream<Req, Res>) => Promise<void>;

/** Handlers of hwnas.v1.SearchService; wrap them with `withStatus` (they throw NasErrors). */
export interface SearchHandlers {
  submitSearch: Unary<SubmitSearchRequest, SubmitSearchResponse>;
  getSearch: Unary<GetSearchRequest, GetSearchResponse>;
  listSearches: Unary<ListSearchesRequest, ListSearchesResponse>;
  watchSearch: Stream<WatchSearchRequest, WatchSearchResponse>;
  cancelSearch: Unary<CancelSearchRequest, CancelSearchResponse>;
  deleteSearch: Unary<DeleteSearchRequest, DeleteSearchResponse>;
  getResults: Unary<GetResultsRequest, GetResultsResponse>;
}

/** Options of {@link createSearchHandlers}. */
export interface SearchServiceOptions {
  readonly coordinator: Coordinator;
  readonly limits?: RequestLimits;
  /** Longest pause before a watcher gets the evaluations that landed, milliseconds (default 100). */
  readonly watchBatchMs?: number;
}

const DEFAULT_RESULTS_PAGE = 1000;
const DEFAULT_SEARCHES_PAGE = 100;
/** Trials per WatchSearch message, so that replaying a long history stays under the size limit. */
const TRIALS_PER_MESSAGE = 2000;

function requireId(id: string): string {
  if (!id) throw new InvalidArgumentError('search_id: is required');
  return id;
}

function pageToken(offset: number): string {
  return Buffer.from(`o:${offset}`).toString('base64url');
}

function parsePageToken(token: string): number {
  if (!token) return 0;
  const m = /^o:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!m) throw new InvalidArgumentError('page_token: not a token this server issued');
  return Number(m[1]);
}

function pageSize(size: number, def: number, max: number): number {
  if (size > max) throw new InvalidArgumentError(`page_size: must be at most ${max}, got ${size}`);
  return size || def;
}

const isTerminal = (v: SearchView) => v.finishedAt !== undefined;

/**
 * hwnas.v1.SearchService over a runtime {@link Coordinator}: converts with the mappers, throws
 * NasErrors (mapped to statuses by the middleware), holds no search state of its own.
 */
export function createSearchHandlers(opts: SearchServiceOptions): SearchHandlers {
  const { coordinator } = opts;
  const limits = opts.limits ?? DEFAULT_REQUEST_LIMITS;
  const record = (id: string) => toSearch(coordinator.get(id), coordinator.history(id));
  return {
    async submitSearch(call) {
      const input = fromSubmitRequest(call.request, limits);
      // The caller's trace context (if any) becomes the parent of the search span.
      const traceparent = callerTraceparent(call.metadata);
      const searchId = await coordinator.submit(input.spec, {
        ...(input.requestId ? { requestId: input.requestId } : {}),
        attachment: input.attachment,
        ...(traceparent ? { traceparent } : {}),
      });
      trace.getActiveSpan()?.setAttribute('hwnas.search.id', searchId);
      return { searchId };
    },
    async getSearch(call) {
      return { search: record(requireId(call.request.searchId)) };
    },
    async listSearches(call) {
      const size = pageSize(call.request.pageSize, DEFAULT_SEARCHES_PAGE, limits.maxSearchesPage);
      const from = parsePageToken(call.request.pageToken);
      const states = new Set(
        call.request.states.map((s, i) => {
          const st = fromState(s);
          if (!st) throw new InvalidArgumentError(`states[${i}]: ${SearchState[s] ?? s} is not a state a search can be in here`);
          return st;
        }),
      );
      const all = coordinator.list().filter((v) => states.size === 0 || states.has(v.state));
      const page = all.slice(from, from + size);
      return { searches: page.map((v) => toSearch(v, coordinator.history(v.searchId))), nextPageToken: from + size < all.length ? pageToken(from + size) : '' };
    },
    async cancelSearch(call) {
      const id = requireId(call.request.searchId);
      const v = coordinator.get(id);
      if (v.state === 'succeeded' || v.state === 'failed') throw new NasError(`search ${id} already ${v.state}; only a running search can be cancelled`, 'failed_precondition');
      await coordinator.cancel(id, call.request.reason || 'cancelled by request');
      return { search: record(id) };
    },
    async deleteSearch(call) {
      await coordinator.delete(requireId(call.request.searchId));
      return {};
    },
    async getResults(call) {
      const id = requireId(call.request.searchId);
      const size = pageSize(call.request.pageSize, DEFAULT_RESULTS_PAGE, limits.maxResultsPage);
      const from = parsePageToken(call.request.pageToken);
      const view = coordinator.get(id);
      const history = coordinator.history(id);
      // With cost queries: every told trial; pages are positions in the list returned.
      const listed = call.request.includeCostQueries ? coordinator.trials(id) : history;
      return {
        search: toSearch(view, history),
        history: toTrials(view, listed, from, from + size, coordinator.curves(id)),
        nextPageToken: from + size < listed.length ? pageToken(from + size) : '',
      };
    },
    watchSearch(call) {
      const id = requireId(call.request.searchId);
      coordinator.get(id); // NOT_FOUND before the stream starts
      const start = coordinator.history(id);
      // `history_from` is a tell index; full evaluations skip the tell indices of cost queries.
      let sent = call.request.historyFrom === undefined ? start.length : firstAtOrAfter(start, call.request.historyFrom);
      let lastIncumbent: string | undefined;
      const batchMs = opts.watchBatchMs ?? 100;
      return new Promise<void>((resolve) => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        let done = false;
        /** Intermediate reports (trainer searches) not sent yet. */
        const received: ProtoTrialReport[] = [];
        const finish = () => {
          done = true;
          if (timer) clearTimeout(timer);
          // Only ever called asynchronously, after `unwatch` is assigned.
          unwatch();
          resolve();
        };
        const flush = () => {
          timer = undefined;
          if (done) return;
          const view = coordinator.get(id);
          const history = coordinator.history(id);
          const trials = toTrials(view, history, Math.min(sent, history.length), history.length, coordinator.curves(id));
          const reports = received.splice(0);
          sent = history.length;
          const incumbent = toIncumbent(view, history);
          const key = JSON.stringify([incumbent.best?.trialId, incumbent.paretoSet.map((t) => t.trialId)]);
          const changed = key !== lastIncumbent;
          lastIncumbent = key;
          const terminal = isTerminal(view);
          for (let i = 0; i === 0 || i < trials.length; i += TRIALS_PER_MESSAGE) {
            const last = i + TRIALS_PER_MESSAGE >= trials.length;
            const msg: WatchSearchResponse = {
              state: toState(view),
              counts: toCounts(view),
              trials: trials.slice(i, i + TRIALS_PER_MESSAGE),
              ...(changed && last ? { incumbent } : {}),
              ...(view.etaMs !== undefined && !terminal ? { etaMs: Math.round(view.etaMs) } : {}),
              sentAtMs: Date.now(),
              stopReason: last ? toStopReason(view) : 0,
              ...(terminal && last && view.state === 'failed' ? { failure: toFailure(view) } : {}),
              finishReason: terminal && last ? toFinishReason(view) : 0,
              reports: i === 0 ? reports : [],
            };
            call.write(msg);
          }
          if (terminal) finish();
        };
        call.on('cancelled', finish);
        call.on('error', finish);
        const unwatch = coordinator.watch(id, (u) => {
          if (done) return;
          if (u.type === 'report') received.push(toTrialReport(u.report.trialId, u.report));
          if (u.type === 'state' && isTerminal(u.view)) {
            // Deferred so that `unwatch` is assigned when the first update is already terminal.
            if (timer) clearTimeout(timer);
            timer = setTimeout(flush, 0);
          } else if (!timer) {
            timer = setTimeout(flush, lastIncumbent === undefined ? 0 : batchMs);
          }
        });
        if (done) unwatch();
      });
    },
  };
}

/** Position of the first trial of `history` (tell order) whose tell index is at least `tellIndex`. */
function firstAtOrAfter(history: readonly EvaluatedArch[], tellIndex: number): number {
  let lo = 0;
  let hi = history.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((history[mid].tellIndex ?? mid) < tellIndex) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
