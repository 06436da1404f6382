import { writeFileSync } from 'node:fs';
import { InvalidArgumentError } from '@hwnas/bench-core';
import type { GetResultsRequest, GetResultsResponse, Search, Trial } from '@hwnas/proto';
import { parseCommandArgs } from '../args';
import type { Command } from '../command';
import { connectRemote } from '../remote/client';
import { REMOTE_OPTIONS, REMOTE_USAGE, remoteOptionsFrom } from '../remote/options';
import type { Remote } from '../remote/client';
import { bestSoFarSvg, primaryMetric, renderTrials, scatterSvg } from '../remote/render';
import { plainNumber } from '../format';
import { searchIdArg } from './status';

const USAGE = `hwnas results ID [--format table|json|csv] [--cost-queries] [--plot FILE.svg [--x METRIC] [--y METRIC]]
             [--plot-progress FILE.svg] [--curves] [remote options]

  Prints the full history of search ID (tell order) with the best or Pareto set marked.
  --format F       table (default), json (one object) or csv (header + one row per trial)
  --cost-queries   also list the cost-only queries of a cost-first search (need, cached, screened)
  --plot FILE  also writes an SVG scatter of accuracy (--y, default the first objective) against
               cost (--x, default the second objective, else the first constraint's metric): units
               on the axes, the constraint line and feasible region, the Pareto front, the best
               marked, outliers drawn on the edge (the dashboard's chart)
  --plot-progress FILE  also writes the best-so-far curve of the first objective as SVG
  --curves     print the learning curves of a trainer search instead of the trials: one row per
               intermediate report (trial, epoch, its metrics); json: {"curves":{TRIAL:[{epoch,...}]}}
${REMOTE_USAGE}`;

/** Every trial of a search, paging through GetResults. */
export async function fetchResults(remote: Remote, searchId: string, includeCostQueries = false): Promise<{ search: Search; history: Trial[] }> {
  const history: Trial[] = [];
  let pageToken = '';
  let search: Search | undefined;
  do {
    const res = await remote.call<GetResultsRequest, GetResultsResponse>('search', 'getResults', { searchId, pageSize: 0, pageToken, includeCostQueries }, { idempotent: true });
    search = res.search;
    history.push(...res.history);
    pageToken = res.nextPageToken;
  } while (pageToken);
  return { search: search!, history };
}

/** The learning curves of a search's trials (their intermediate reports), in trial order. */
export function renderCurves(history: readonly Trial[], format: 'table' | 'json' | 'csv'): string {
  const trials = [...history].filter((t) => t.curve.length > 0).sort((a, b) => Number(a.trialId) - Number(b.trialId));
  if (format === 'json') return JSON.stringify({ curves: Object.fromEntries(trials.map((t) => [t.trialId, t.curve.map((r) => ({ epoch: r.epoch, ...r.metrics }))])) });
  const metrics = [...new Set(trials.flatMap((t) => t.curve.flatMap((r) => Object.keys(r.metrics))))].sort();
  const rows = trials.flatMap((t) => t.curve.map((r) => [t.trialId, String(r.epoch), ...metrics.map((m) => (r.metrics[m] === undefined ? '' : plainNumber(r.metrics[m])))]));
  const header = ['trial', 'epoch', ...metrics];
  if (format === 'csv') return [header, ...rows].map((r) => r.join(',')).join('\n');
  if (!rows.length) return 'no learning curves (not a trainer search, or no reports received)';
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [header, ...rows].map((r) => r.map((c, i) => c.padStart(widths[i])).join('  ')).join('\n');
}

/** The cost axis of a plot: the second objective, else the first constraint's metric. */
export function defaultCostMetric(search: Search): string | undefined {
  const r = search.resolvedRequest;
  return r?.objectives[1]?.metric ?? r?.constraints[0]?.metric ?? r?.reward?.costMetric;
}

/** `hwnas results ID`. */
export const resultsCommand: Command = {
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('results', argv, {
      ...REMOTE_OPTIONS,
      format: { type: 'string', default: 'table' },
      'cost-queries': { type: 'boolean', default: false },
      plot: { type: 'string' },
      x: { type: 'string' },
      y: { type: 'string' },
      'plot-progress': { type: 'string' },
      curves: { type: 'boolean', default: false },
    });
    const searchId = searchIdArg('results', positionals);
    const format = values.format as string;
    if (format !== 'table' && format !== 'json' && format !== 'csv') throw new InvalidArgumentError(`hwnas results: --format must be table, json or csv, got "${format}"`);
    const remote = connectRemote(remoteOptionsFrom(values));
    try {
      const { search, history } = await fetchResults(remote, searchId, values['cost-queries'] === true);
      io.out(values.curves ? renderCurves(history, format) : renderTrials(search, history, format));
      if (values.plot) {
        const y = (values.y as string | undefined) ?? primaryMetric(search);
        const x = (values.x as string | undefined) ?? defaultCostMetric(search);
        if (!x) throw new InvalidArgumentError('hwnas results: --plot needs a cost metric: give --x METRIC (the search has no second objective or constraint)');
        writeFileSync(values.plot as string, scatterSvg(search, history, x, y, `search ${searchId.slice(0, 8)}: ${y} vs ${x}`));
        io.err(`wrote ${values.plot}`);
      }
      if (values['plot-progress']) {
        writeFileSync(values['plot-progress'] as string, bestSoFarSvg(search, history, `search ${searchId.slice(0, 8)}: best ${primaryMetric(search)} so far`));
        io.err(`wrote ${values['plot-progress']}`);
      }
      return 0;
    } finally {
      remote.close();
    }
  },
};
