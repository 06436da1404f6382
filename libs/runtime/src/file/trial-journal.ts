import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { NasError } from '@hwnas/bench-core';
import type { SearchEvent, SequencedEvent } from '../events';
import { InMemoryTrialJournal } from '../in-memory/trial-journal';
import type { TrialJournal } from '../ports/trial-journal';

/**
 * A {@link TrialJournal} kept in one JSON Lines file (one `{searchId, seq, event}` per line), so
 * that an embedded run can be resumed after a restart. Every `append` is written through with one
 * synchronous write before it resolves; reads are served from memory. One process per file: two
 * writers would interleave their lines.
 */
export class FileTrialJournal implements TrialJournal {
  private readonly memory = new InMemoryTrialJournal();
  /** Length of each search's log, to number the lines written. */
  private readonly ends = new Map<string, number>();

  /**
   * Opens `file`, loading the events it holds synchronously (a missing file is an empty journal).
   * A torn last line (a crash in the middle of a write) is dropped; any other bad line throws
   * NasError `failed_precondition` naming the file and line.
   */
  constructor(private readonly file: string) {
    if (!existsSync(file)) return;
    const lines = readFileSync(file, 'utf8').split('\n');
    for (let n = 0; n < lines.length; n++) {
      const line = lines[n];
      if (!line.trim()) continue;
      let rec: { searchId: string; seq: number; event: SearchEvent };
      try {
        rec = JSON.parse(line);
      } catch {
        if (n >= lines.length - 2) break;
        throw new NasError(`${file}:${n + 1}: journal line is not valid JSON`, 'failed_precondition');
      }
      const end = this.ends.get(rec.searchId) ?? 0;
      if (rec.seq !== end + 1) throw new NasError(`${file}:${n + 1}: expected seq ${end + 1} for ${rec.searchId}, got ${rec.seq}`, 'failed_precondition');
      this.memory.appendLoaded(rec.searchId, rec.event);
      this.ends.set(rec.searchId, end + 1);
    }
  }

  /** As {@link InMemoryTrialJournal.append}, written to the file before it resolves. */
  async append(searchId: string, events: readonly SearchEvent[], expectedSeq?: number): Promise<number> {
    const end = this.ends.get(searchId) ?? 0;
    if (expectedSeq !== undefined && end !== expectedSeq) {
      throw new NasError(`journal of ${searchId} ends at ${end}, expected ${expectedSeq}`, 'failed_precondition');
    }
    if (events.length === 0) return end;
    appendFileSync(this.file, events.map((event, i) => JSON.stringify({ searchId, seq: end + i + 1, event }) + '\n').join(''));
    // No await between the check and the update: concurrent appends must not share a seq.
    for (const event of events) this.memory.appendLoaded(searchId, event);
    this.ends.set(searchId, end + events.length);
    return end + events.length;
  }

  read(searchId: string, from?: number): AsyncIterable<SequencedEvent> {
    return this.memory.read(searchId, from);
  }

  list(): Promise<string[]> {
    return this.memory.list();
  }
}
