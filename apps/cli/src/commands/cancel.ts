import { Search } from '@hwnas/proto';
import { parseCommandArgs } from '../args';
import type { Command } from '../command';
import { connectRemote } from '../remote/client';
import { REMOTE_OPTIONS, REMOTE_USAGE, remoteOptionsFrom } from '../remote/options';
import { renderSearch } from '../remote/render';
import { searchIdArg } from './status';

const USAGE = `hwnas cancel ID [--reason TEXT] [--json] [remote options]

  Cancels search ID: no new evaluations are dispatched, what is in flight drains. Idempotent on a
  cancelled search; fails (exit 1) on one that already succeeded or failed.
${REMOTE_USAGE}`;

/** `hwnas cancel ID`. */
export const cancelCommand: Command = {
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('cancel', argv, { ...REMOTE_OPTIONS, reason: { type: 'string' }, json: { type: 'boolean', default: false } });
    const searchId = searchIdArg('cancel', positionals);
    const remote = connectRemote(remoteOptionsFrom(values));
    try {
      const { search } = await remote.call<object, { search: Search }>('search', 'cancelSearch', { searchId, reason: (values.reason as string | undefined) ?? '' }, { idempotent: true });
      io.out(values.json ? JSON.stringify(Search.toJSON(search)) : renderSearch(search));
      return 0;
    } finally {
      remote.close();
    }
  },
};
