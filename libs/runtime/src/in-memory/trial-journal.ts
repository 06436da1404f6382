import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { NasError } from '@hwnas/bench-core';
import type { SearchEvent, SequencedEvent } from '../events';
import type { TrialJournal } from '../ports/trial-journal';

/**
 * An in-process {@link TrialJournal}, optionally backed by a JSON Lines file (one
 * `{searchId, seq, event}` per line, appended and flushed per call) so that an embedded run can be
 * resumed after a restart.
 */
export class InMemoryTrialJournal implements TrialJournal {
  private readonly logs = new Map<string, SearchEvent[]>();

  /** With `file`, existing lines are loaded and every append is written through. */
  constructor(private readonly file?: string) {
    if (file && existsSync(file)) {
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, n) => {
        if (!line.trim()) return;
        let rec: { searchId: string; seq: number; event: SearchEvent };
        try {
          rec = JSON.parse(line);
        } catch {
          // A torn last line (crash mid-write) is dropped; anything else is corruption.
          if (n >= lines.length - 2) return;
          throw new NasError(`${file}:${n + 1}: journal line is not valid JSON`, 'failed_precondition');
        }
        const log = this.logs.get(rec.searchId) ?? [];
        if (rec.seq !== log.length + 1) throw new NasError(`${file}:${n + 1}: expected seq ${log.length + 1} for ${rec.searchId}, got ${rec.seq}`, 'failed_precondition');
        log.push(rec.event);
        this.logs.set(rec.searchId, log);
      });
    }
  }

  async append(searchId: string, events: readonly SearchEvent[], expectedSeq?: number): Promise<number> {
    const log = this.logs.get(searchId) ?? [];
    if (expectedSeq !== undefined && log.length !== expectedSeq) {
      throw new NasError(`journal of ${searchId} ends at ${log.length}, expected ${expectedSeq}`, 'failed_precondition');
    }
    if (this.file) {
      appendFileSync(this.file, events.map((event, i) => JSON.stringify({ searchId, seq: log.length + i + 1, event }) + '\n').join(''));
    }
    log.push(...events);
    this.logs.set(searchId, log);
    return log.length;
  }

  async *read(searchId: string, from = 1): AsyncIterable<SequencedEvent> {
    const log = this.logs.get(searchId) ?? [];
    for (let i = Math.max(from, 1) - 1; i < log.length; i++) yield { seq: i + 1, event: log[i] };
  }

  async list(): Promise<string[]> {
    return [...this.logs.keys()];
  }
}
