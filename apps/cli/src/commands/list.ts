import { ListSearchesResponse, Search, SearchState } from '@hwnas/proto';
import type { ListSearchesRequest } from '@hwnas/proto';
import { parseCommandArgs } from '../args';
import type { Command } from '../command';
import { fmt, renderTable } from '../format';
import { connectRemote } from '../remote/client';
import { REMOTE_OPTIONS, REMOTE_USAGE, remoteOptionsFrom } from '../remote/options';
import { primaryMetric, stateName } from '../remote/render';

const USAGE = `hwnas list [--json] [remote options]

  Lists the searches on a coordinator, newest first: state, progress, best-so-far.
${REMOTE_USAGE}`;

/** Searches per ListSearches page asked for. */
const PAGE_SIZE = 100;

/** `hwnas list`. */
export const listCommand: Command = {
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommandArgs('list', argv, { ...REMOTE_OPTIONS, json: { type: 'boolean', default: false } });
    const remote = connectRemote(remoteOptionsFrom(values));
    try {
      const searches: Search[] = [];
      let pageToken = '';
      do {
        const page = await remote.call<ListSearchesRequest, ListSearchesResponse>('search', 'listSearches', { pageSize: PAGE_SIZE, pageToken, states: [] }, { idempotent: true });
        searches.push(...page.searches);
        pageToken = page.nextPageToken;
      } while (pageToken);
      io.out(values.json ? JSON.stringify(searches.map((s) => Search.toJSON(s))) : renderSearchList(searches));
      return 0;
    } finally {
      remote.close();
    }
  },
};

/** One line per search: id, state, progress, best (or Pareto size), strategy, created. */
export function renderSearchList(searches: readonly Search[]): string {
  if (searches.length === 0) return 'no searches';
  const rows = searches.map((s) => {
    const budget = s.resolvedRequest?.budget ?? 0;
    const done = s.counts?.evaluationsDone ?? 0;
    const metric = primaryMetric(s);
    const best = s.incumbent?.best;
    const pareto = s.incumbent?.paretoSet.length ?? 0;
    const state = s.state === SearchState.SEARCH_STATE_FAILED && s.failure ? `${stateName(s.state)} (${s.failure.code})` : stateName(s.state);
    return [
      s.searchId,
      state,
      `${done}/${budget}`,
      best ? `${metric} ${fmt(best.metrics[metric])}` : pareto ? `${pareto} on the front` : '-',
      s.resolvedRequest?.strategy ?? '',
      new Date(s.createdAtMs).toISOString(),
    ];
  });
  return renderTable([['search', 'state', 'evaluations', 'best', 'strategy', 'created'], ...rows]);
}
