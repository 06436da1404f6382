import { InvalidArgumentError } from '@hwnas/bench-core';
import { Search } from '@hwnas/proto';
import { parseCommandArgs } from '../args';
import type { Command } from '../command';
import { connectRemote } from '../remote/client';
import { REMOTE_OPTIONS, REMOTE_USAGE, remoteOptionsFrom } from '../remote/options';
import { renderSearch } from '../remote/render';

const USAGE = `hwnas status ID [--json] [remote options]

  Prints the record of search ID on a coordinator: state, counts, best-so-far.
${REMOTE_USAGE}`;

/** The single positional search id of a remote command. */
export function searchIdArg(command: string, positionals: readonly string[]): string {
  if (positionals.length !== 1 || !positionals[0]) throw new InvalidArgumentError(`hwnas ${command}: give exactly one search ID`);
  return positionals[0];
}

/** `hwnas status ID`. */
export const statusCommand: Command = {
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('status', argv, { ...REMOTE_OPTIONS, json: { type: 'boolean', default: false } });
    const searchId = searchIdArg('status', positionals);
    const remote = connectRemote(remoteOptionsFrom(values));
    try {
      const { search } = await remote.call<{ searchId: string }, { search: Search }>('search', 'getSearch', { searchId }, { idempotent: true });
      io.out(values.json ? JSON.stringify(Search.toJSON(search)) : renderSearch(search));
      return 0;
    } finally {
      remote.close();
    }
  },
};
