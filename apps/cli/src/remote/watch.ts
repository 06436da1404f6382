import { NasError } from '@hwnas/bench-core';
import { SearchState } from '@hwnas/proto';
import type { Search, Trial, TrialReport, WatchSearchRequest, WatchSearchResponse } from '@hwnas/proto';
import { status } from '@grpc/grpc-js';
import type { ClientReadableStream, ServiceError } from '@grpc/grpc-js';
import type { CommandIO } from '../command';
import { fromServiceError } from './client';
import type { Remote } from './client';
import { plainNumber } from '../format';
import { progressLine } from './render';

/** Options of {@link watchRemoteSearch}. */
export interface WatchOptions {
  /**
   * Where the progress bar goes: `tty` redraws one line on `stream` (default process.stderr) with
   * `\r`; `lines` prints a line through `io.out` at most every `everyMs` (default 1000) and at the
   * end; `none` draws nothing.
   */
  readonly display: 'tty' | 'lines' | 'none';
  readonly stream?: { write(s: string): unknown };
  readonly everyMs?: number;
  /** Called with every trial as it lands. */
  readonly onTrial?: (t: Trial) => void;
}

const TERMINAL = new Set([SearchState.SEARCH_STATE_SUCCEEDED, SearchState.SEARCH_STATE_FAILED, SearchState.SEARCH_STATE_CANCELLED]);

/** `trial 3 epoch 2: train_loss 0.71 valid_accuracy 40.5`: one intermediate report of a trainer search. */
export function reportLine(r: TrialReport): string {
  const metrics = Object.keys(r.metrics)
    .sort()
    .map((k) => `${k} ${plainNumber(r.metrics[k])}`);
  return `trial ${r.trialId} epoch ${r.epoch}: ${metrics.join(' ')}`;
}

/**
 * Follows a search over WatchSearch, drawing done/budget, rate, ETA and the best-so-far, until it
 * is terminal; returns the final record. A stream broken by UNAVAILABLE (coordinator restarting)
 * is resumed from the last trial seen, with a capped backoff.
 */
export async function watchRemoteSearch(remote: Remote, searchId: string, io: CommandIO, opts: WatchOptions): Promise<Search> {
  const get = async () => (await remote.call<{ searchId: string }, { search: Search }>('search', 'getSearch', { searchId }, { idempotent: true, attempts: 8 })).search;
  let record = await get();
  let best: Trial | undefined = record.incumbent?.best;
  let lastTell = -1;
  const startedAt = Date.now();
  const startDone = record.counts?.evaluationsDone ?? 0;
  let lastLineAt = 0;
  const draw = (msg: WatchSearchResponse, final: boolean) => {
    const elapsed = (Date.now() - startedAt) / 1000;
    const done = msg.counts?.evaluationsDone ?? 0;
    const rate = elapsed > 0.05 && done > startDone ? (done - startDone) / elapsed : 0;
    const line = progressLine(record, msg.counts, rate, msg.etaMs, best);
    if (opts.display === 'tty') (opts.stream ?? process.stderr).write(`\r\x1b[K${line}${final ? '\n' : ''}`);
    else if (opts.display === 'lines' && (final || Date.now() - lastLineAt >= (opts.everyMs ?? 1000))) {
      lastLineAt = Date.now();
      io.out(line);
    }
  };
  if (TERMINAL.has(record.state)) {
    draw({ state: record.state, counts: record.counts, trials: [], sentAtMs: Date.now(), stopReason: record.stopReason, finishReason: record.finishReason, reports: [] }, true);
    return record;
  }
  for (let attempt = 0; ; attempt++) {
    const req: WatchSearchRequest = { searchId, ...(lastTell >= 0 ? { historyFrom: lastTell + 1 } : {}) };
    const stream: ClientReadableStream<WatchSearchResponse> = remote.search.watchSearch(req, remote.metadata());
    let terminal = false;
    try {
      await new Promise<void>((resolve, reject) => {
        stream.on('data', (msg: WatchSearchResponse) => {
          attempt = 0;
          for (const t of msg.trials) {
            lastTell = Math.max(lastTell, t.tellIndex);
            opts.onTrial?.(t);
          }
          if (msg.incumbent) best = msg.incumbent.best ?? best;
          // Trainer searches: each intermediate report as a line of its own (not on a redrawn bar).
          if (opts.display === 'lines') for (const r of msg.reports) io.out(reportLine(r));
          terminal = TERMINAL.has(msg.state);
          draw(msg, terminal);
        });
        stream.on('error', reject);
        stream.on('end', resolve);
      });
    } catch (e) {
      const code = (e as ServiceError).code;
      if (code !== status.UNAVAILABLE || attempt >= 10) throw fromServiceError(e, `WatchSearch at ${searchId}`);
      await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
      continue;
    }
    if (!terminal) throw new NasError(`WatchSearch ${searchId}: the stream ended before the search did`, 'unavailable', true);
    record = await get();
    return record;
  }
}
