import { NasError } from '@hwnas/bench-core';
import type { SearchEvent, SequencedEvent } from '../events';
import type { TrialJournal } from '../ports/trial-journal';

/**
 * An in-process {@link TrialJournal}: one array of events per search, no I/O (the journal of the
 * embedded mode and of tests). Lost with the process; {@link FileTrialJournal} keeps one on disk.
 */
export class InMemoryTrialJournal implements TrialJournal {
  private readonly logs = new Map<string, SearchEvent[]>();

  /**
   * Appends `events` and returns the seq of the last one (the current end for an empty list).
   * Throws NasError `failed_precondition` when `expectedSeq` is given and the log does not end there.
   */
  async append(searchId: string, events: readonly SearchEvent[], expectedSeq?: number): Promise<number> {
    const log = this.logs.get(searchId) ?? [];
    if (expectedSeq !== undefined && log.length !== expectedSeq) {
      throw new NasError(`journal of ${searchId} ends at ${log.length}, expected ${expectedSeq}`, 'failed_precondition');
    }
    if (events.length === 0) return log.length;
    log.push(...events);
    this.logs.set(searchId, log);
    return log.length;
  }

  /** The events from seq `from` (default 1) up to the end the log had when the read started. */
  async *read(searchId: string, from = 1): AsyncIterable<SequencedEvent> {
    const log = this.logs.get(searchId) ?? [];
    const end = log.length;
    for (let i = Math.max(from, 1) - 1; i < end; i++) yield { seq: i + 1, event: log[i] };
  }

  /** Adds one event at the end of a log without checks or promises (loading a stored journal). */
  appendLoaded(searchId: string, event: SearchEvent): void {
    const log = this.logs.get(searchId);
    if (log) log.push(event);
    else this.logs.set(searchId, [event]);
  }

  /** Ids of every search with at least one event, in order of their first append. */
  async list(): Promise<string[]> {
    return [...this.logs.keys()];
  }
}
