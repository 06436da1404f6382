import type { DeleteSearchRequest, DeleteSearchResponse } from '@hwnas/proto';
import { parseCommandArgs } from '../args';
import type { Command } from '../command';
import { connectRemote } from '../remote/client';
import { REMOTE_OPTIONS, REMOTE_USAGE, remoteOptionsFrom } from '../remote/options';
import { searchIdArg } from './status';

const USAGE = `hwnas delete ID [remote options]

  Deletes search ID from a coordinator, for good (also across its restarts). Only a search that
  has ended can be deleted: cancel a running one first (exit 1 otherwise).
${REMOTE_USAGE}`;

/** `hwnas delete ID`. */
export const deleteCommand: Command = {
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('delete', argv, REMOTE_OPTIONS);
    const searchId = searchIdArg('delete', positionals);
    const remote = connectRemote(remoteOptionsFrom(values));
    try {
      await remote.call<DeleteSearchRequest, DeleteSearchResponse>('search', 'deleteSearch', { searchId });
      io.out(`deleted ${searchId}`);
      return 0;
    } finally {
      remote.close();
    }
  },
};
