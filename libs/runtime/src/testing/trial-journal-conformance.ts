import { isNasError } from '@hwnas/bench-core';
import type { SequencedEvent } from '../events';
import type { TrialJournal } from '../ports/trial-journal';
import { sampleEvent, uniqueSearchId } from './transport-fixtures';

/** What the journal suite needs from one implementation. */
export interface TrialJournalHarness {
  /** A handle on the shared journal, as another process would open it (same journal within a test). */
  journal(): TrialJournal | Promise<TrialJournal>;
  /** Releases what `journal()` opened (called after each test). */
  close?(): Promise<void>;
}

async function readAll(j: TrialJournal, id: string, from?: number): Promise<SequencedEvent[]> {
  const out: SequencedEvent[] = [];
  for await (const e of j.read(id, from)) out.push(e);
  return out;
}

async function failureOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

/**
 * The contract every {@link TrialJournal} meets, as Jest tests: per-search sequence numbers from
 * 1, reads from any position up to the end found when the read started, `expectedSeq` checked
 * with `failed_precondition`, concurrent appends neither lost nor numbered twice, `list`, and
 * ids that are not plain words.
 */
export function describeTrialJournalConformance(name: string, makeHarness: () => Promise<TrialJournalHarness>): void {
  describe(`${name} (TrialJournal conformance)`, () => {
    let h: TrialJournalHarness;
    beforeEach(async () => {
      h = await makeHarness();
    });
    afterEach(async () => {
      await h.close?.();
    });

    it(`${name} - numbers each search's events from 1 and reads them back in order from any seq`, async () => {
      const j = await h.journal();
      const a = uniqueSearchId('a');
      const b = uniqueSearchId('b');
      expect(await j.append(a, [sampleEvent(1), sampleEvent(2)])).toBe(2);
      expect(await j.append(b, [sampleEvent(10)])).toBe(1);
      expect(await j.append(a, [sampleEvent(3)])).toBe(3);
      expect(await j.append(a, [])).toBe(3);
      expect(await readAll(j, a)).toEqual([1, 2, 3].map((n) => ({ seq: n, event: sampleEvent(n) })));
      expect(await readAll(j, a, 2)).toEqual([2, 3].map((n) => ({ seq: n, event: sampleEvent(n) })));
      expect(await readAll(j, a, 4)).toEqual([]);
      expect(await readAll(j, b)).toEqual([{ seq: 1, event: sampleEvent(10) }]);
      expect(await readAll(j, uniqueSearchId('nobody'))).toEqual([]);
    });

    it(`${name} - another handle sees the same log`, async () => {
      const a = uniqueSearchId();
      await (await h.journal()).append(a, [sampleEvent(1)]);
      const other = await h.journal();
      expect(await other.append(a, [sampleEvent(2)], 1)).toBe(2);
      expect((await readAll(await h.journal(), a)).map((e) => e.seq)).toEqual([1, 2]);
    });

    it(`${name} - a read ends where the log ended when it started`, async () => {
      const j = await h.journal();
      const a = uniqueSearchId();
      await j.append(a, [1, 2, 3].map(sampleEvent));
      const seen: number[] = [];
      for await (const e of j.read(a)) {
        seen.push(e.seq);
        if (e.seq === 1) await j.append(a, [sampleEvent(4)]);
      }
      expect(seen).toEqual([1, 2, 3]);
      expect((await readAll(j, a, 4)).map((e) => e.seq)).toEqual([4]);
    });

    it(`${name} - expectedSeq: appends only at that end, otherwise failed_precondition and nothing written`, async () => {
      const j = await h.journal();
      const a = uniqueSearchId();
      expect(await j.append(a, [sampleEvent(1)], 0)).toBe(1);
      for (const wrong of [0, 2]) {
        const e = await failureOf(j.append(a, [sampleEvent(99)], wrong));
        expect(isNasError(e) && e.code).toBe('failed_precondition');
      }
      expect(await j.append(a, [sampleEvent(2)], 1)).toBe(2);
      expect((await readAll(j, a)).map((e) => e.event)).toEqual([sampleEvent(1), sampleEvent(2)]);
    });

    it(`${name} - concurrent appends without expectedSeq all land, each with its own seq`, async () => {
      const handles = await Promise.all([h.journal(), h.journal(), h.journal()]);
      const a = uniqueSearchId();
      const seqs = await Promise.all(Array.from({ length: 15 }, (_, i) => handles[i % 3].append(a, [sampleEvent(i)])));
      expect([...seqs].sort((x, y) => x - y)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
      const log = await readAll(handles[0], a);
      expect(log.map((e) => e.seq)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
      expect(log.map((e) => (e.event as { at: number }).at).sort((x, y) => x - y)).toEqual([...Array(15).keys()]);
    });

    it(`${name} - list names every search with events, whatever characters its id has`, async () => {
      const j = await h.journal();
      const odd = `${uniqueSearchId()} ü.*>/x`;
      const plain = uniqueSearchId();
      await j.append(odd, [sampleEvent(1)]);
      await j.append(plain, [sampleEvent(2)]);
      await j.append(uniqueSearchId('empty'), []);
      const listed = await j.list();
      expect(listed).toEqual(expect.arrayContaining([odd, plain]));
      expect(listed.filter((id) => id.startsWith('empty'))).toEqual([]);
      expect(await readAll(j, odd)).toEqual([{ seq: 1, event: sampleEvent(1) }]);
    });
  });
}
