import { Search, SearchState } from '@hwnas/proto';
import { parseCommandArgs } from '../args';
import type { Command } from '../command';
import { connectRemote } from '../remote/client';
import { REMOTE_OPTIONS, REMOTE_USAGE, remoteOptionsFrom } from '../remote/options';
import { renderSearch } from '../remote/render';
import { watchRemoteSearch } from '../remote/watch';
import { searchIdArg } from './status';

const USAGE = `hwnas watch ID [--plain] [--json] [remote options]

  Follows search ID live: a progress bar with evaluations done/budget, rate, ETA and the
  best-so-far, until the search ends; then prints its record. Exit code 0 when it succeeded,
  1 when it failed or was cancelled.
  --plain   one progress line per second instead of a redrawn bar (the default when stderr is not a terminal)
  --json    print the final record as JSON
${REMOTE_USAGE}`;

/** `hwnas watch ID`. */
export const watchCommand: Command = {
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('watch', argv, { ...REMOTE_OPTIONS, plain: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } });
    const searchId = searchIdArg('watch', positionals);
    const remote = connectRemote(remoteOptionsFrom(values));
    try {
      const display = values.plain || !process.stderr.isTTY ? 'lines' : 'tty';
      const search = await watchRemoteSearch(remote, searchId, io, { display });
      io.out(values.json ? JSON.stringify(Search.toJSON(search)) : renderSearch(search));
      return search.state === SearchState.SEARCH_STATE_SUCCEEDED ? 0 : 1;
    } finally {
      remote.close();
    }
  },
};
