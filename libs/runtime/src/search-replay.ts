import type { SearchFactory } from './coordinator-options';
import type { SearchEvent, SequencedEvent } from './events';
import type { TrialJournal } from './ports/trial-journal';
import type { Live } from './search-directory';
import { applyEvent, recordOf } from './search-record';
import { SearchTrace } from './search-trace';
import type { SearchRecord, SetupOf } from './search-record';
import type { ScreenOf } from './search-screening';

/**
 * Recovery: a search's record rebuilt from its log by the same fold live handling uses
 * ({@link applyEvent}). `onSubmitted` is called with the first event and gives the setup function
 * (where the caller attaches its tracing). A log cut anywhere (a torn log: the coordinator died
 * mid-way) gives the state the live coordinator had after its last complete event. Returns
 * undefined for an empty log or a deleted search.
 */
export async function replaySearch(
  events: AsyncIterable<SequencedEvent> | Iterable<SequencedEvent>,
  onSubmitted: (event: Extract<SearchEvent, { type: 'search_submitted' }>) => SetupOf,
  screenOf?: ScreenOf,
): Promise<SearchRecord | undefined> {
  let record: SearchRecord | undefined;
  for await (const { seq, event } of events) {
    if (event.type === 'search_submitted') {
      if (!record) record = recordOf(event, onSubmitted(event), seq, screenOf);
      continue;
    }
    if (!record) return undefined;
    if (event.type === 'search_deleted') return undefined;
    applyEvent(record, event, seq);
  }
  return record;
}

/**
 * Every search of a journal (but those `known` already), replayed, with a fresh trace parented on
 * the search's logged trace context. Strategy calls of the replay are not traced (they were when
 * they first happened).
 */
export async function* replayJournal(journal: TrialJournal, factory: SearchFactory, known: (searchId: string) => boolean, screenOf?: ScreenOf): AsyncIterable<Live> {
  for (const searchId of await journal.list()) {
    if (known(searchId)) continue;
    let trace: SearchTrace | undefined;
    let replaying = true;
    const record = await replaySearch(journal.read(searchId), (event) => {
      const t = (trace = SearchTrace.fromJournal(searchId, event.spec, event.traceparent));
      return (spec) => t.traced(factory.setup(spec), () => replaying);
    }, screenOf);
    replaying = false;
    if (record && trace) yield { record, chain: Promise.resolve(), trace };
  }
}
