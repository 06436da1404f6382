import type { SearchEvent, SequencedEvent } from '../events';

/**
 * The append-only event log of every search (Optuna's journal storage idea; maps onto a JetStream
 * stream with one subject per search). Views are folds over it.
 */
export interface TrialJournal {
  /**
   * Appends `events` to the log of `searchId` and returns the sequence number of the last one.
   * With `expectedSeq`, fails (failed_precondition) unless the log currently ends at it.
   */
  append(searchId: string, events: readonly SearchEvent[], expectedSeq?: number): Promise<number>;
  /** The events of `searchId` from sequence `from` (default 1), in order. */
  read(searchId: string, from?: number): AsyncIterable<SequencedEvent>;
  /** Ids of every search that has a log. */
  list(): Promise<string[]>;
}
