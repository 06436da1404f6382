import { NasError } from '@hwnas/bench-core';
import type { SearchEvent, SequencedEvent, TrialJournal } from '@hwnas/runtime';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { headers, nuid } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetStreamErrorCode, toNasError, WRONG_LAST_SEQUENCE } from './nats-errors';
import { publishWithRetry, withRetry } from './retry';
import { createNames } from './subjects';
import type { NatsNames } from './subjects';

/** Header carrying an event's 1-based position in its search's journal. */
export const JOURNAL_SEQ_HEADER = 'Hwnas-Journal-Seq';

/** Options of {@link JetStreamTrialJournal}. */
export interface JetStreamTrialJournalOptions {
  /** The connection to use; the caller owns (and closes) it. */
  readonly nc: NatsConnection;
  /** Stream and subject names (default `createNames()`, prefix `hwnas`). */
  readonly names?: NatsNames;
  /** Wait for one publish acknowledgement or API reply, milliseconds (default 2000). */
  readonly publishTimeoutMs?: number;
  /** Keep retrying appends, reads and lists through a server restart for this long, milliseconds (default 30000). */
  readonly publishRetryMs?: number;
  /** Appends retried when another writer got in first and no `expectedSeq` was given (default 10). */
  readonly maxConflictRetries?: number;
}

/** Where a search's journal ends: stream sequence of its last message, and that event's journal seq. */
interface Tail {
  readonly streamSeq: number;
  readonly seq: number;
}

/**
 * A {@link TrialJournal} on a JetStream stream (`<PREFIX>_JOURNAL`, limits retention without
 * limits, file storage): one subject per search, `<prefix>.journal.<searchId>`, one message per
 * event (JSON of the event).
 *
 * Sequence numbers: a search's journal seq (1, 2, 3 … per search, what {@link SequencedEvent.seq}
 * is) differs from the stream sequence (shared by all searches). Each message carries its journal
 * seq in the `Hwnas-Journal-Seq` header, so the mapping is stored with the data and survives any
 * restart. Every append — with or without `expectedSeq` — publishes with
 * `Nats-Expected-Last-Subject-Sequence` set to the stream sequence of the search's last message,
 * so the server rejects it if anything was appended in between; that keeps the headers gap-free
 * and exact even with concurrent writers.
 *
 * `expectedSeq`: the journal looks up the tail (from a per-instance cache, verified by the server
 * on publish; from a `last_by_subj` lookup otherwise) and throws NasError `failed_precondition`
 * unless its journal seq equals `expectedSeq`; a tail that moved between that check and the
 * publish is caught by the server and reported the same way. Without `expectedSeq`, a lost race is
 * retried on the new tail (up to `maxConflictRetries`).
 *
 * Atomicity: the events of one `append` are published one by one (server 2.9 has no atomic
 * batches), each chained on the previous; a crash in the middle leaves a prefix of them, and a
 * writer racing in the middle makes the append fail with `failed_precondition` after a prefix.
 * hwnas appends one event at a time, so this does not arise in practice. Appends through one
 * instance are serialized per search.
 *
 * `read` replays the subject with an ordered consumer up to the end found when it starts; `list`
 * returns the search ids with at least one event (from stream info with `subjects_filter`).
 */
export class JetStreamTrialJournal implements TrialJournal {
  private readonly names: NatsNames;
  private readonly js: JetStreamClient;
  private jsm?: Promise<JetStreamManager>;
  private readonly tails = new Map<string, Tail>();
  /** The last append of each search in this instance, which the next one waits for. */
  private readonly appending = new Map<string, Promise<unknown>>();

  constructor(private readonly opts: JetStreamTrialJournalOptions) {
    this.names = opts.names ?? createNames();
    this.js = jetstream(opts.nc, { timeout: opts.publishTimeoutMs ?? 2000 });
  }

  /**
   * Appends `events` to the journal of `searchId` and returns the journal seq of the last one
   * (the current end for an empty list). Throws NasError `failed_precondition` when
   * `expectedSeq` is given and the journal does not end there, `unavailable` when the server
   * cannot be reached within `publishRetryMs`. Appends to one search through one instance run
   * one after another, in call order (so they do not race each other for the tail; only other
   * writers can make one retry).
   */
  append(searchId: string, events: readonly SearchEvent[], expectedSeq?: number): Promise<number> {
    const previous = this.appending.get(searchId) ?? Promise.resolve();
    const next = previous.then(
      () => this.appendNow(searchId, events, expectedSeq),
      () => this.appendNow(searchId, events, expectedSeq),
    );
    const settled = next.catch(() => undefined);
    this.appending.set(searchId, settled);
    void settled.then(() => {
      if (this.appending.get(searchId) === settled) this.appending.delete(searchId);
    });
    return next;
  }

  private async appendNow(searchId: string, events: readonly SearchEvent[], expectedSeq?: number): Promise<number> {
    const subject = this.names.journalSubject(searchId);
    const maxConflicts = this.opts.maxConflictRetries ?? 10;
    // One id per call: a publish resent after a timeout is recognised as a duplicate of itself,
    // never confused with another writer's event at the same position.
    const callId = nuid.next();
    try {
      let tail = this.tails.get(searchId) ?? (await this.fetchTail(subject));
      for (let conflicts = 0; ; conflicts++) {
        if (expectedSeq !== undefined && tail.seq !== expectedSeq && this.tails.has(searchId)) {
          // The cache may be behind another writer: decide on the server's view.
          tail = await this.fetchTail(subject);
        }
        if (expectedSeq !== undefined && tail.seq !== expectedSeq) throw mismatch(searchId, tail.seq, expectedSeq);
        let written = 0;
        try {
          for (const event of events) {
            const seq = tail.seq + 1;
            const h = headers();
            h.set(JOURNAL_SEQ_HEADER, String(seq));
            const ack = await publishWithRetry(this.js, subject, JSON.stringify(event), { msgID: `${callId}:${seq}`, headers: h, expect: { lastSubjectSequence: tail.streamSeq } }, this.retry());
            tail = { streamSeq: ack.seq, seq };
            this.tails.set(searchId, tail);
            written++;
          }
          return tail.seq;
        } catch (e) {
          if (jetStreamErrorCode(e) !== WRONG_LAST_SEQUENCE) throw e;
          this.tails.delete(searchId);
          const fresh = await this.fetchTail(subject);
          if (written > 0) {
            throw new NasError(`journal of ${searchId}: another writer appended after ${written} of ${events.length} events (now at ${fresh.seq})`, 'failed_precondition', false, { cause: e });
          }
          if (expectedSeq !== undefined) throw mismatch(searchId, fresh.seq, expectedSeq);
          if (conflicts >= maxConflicts) throw new NasError(`journal of ${searchId}: gave up after ${conflicts} concurrent appends`, 'unavailable', true, { cause: e });
          tail = fresh;
        }
      }
    } catch (e) {
      throw toNasError(e, `appending to the journal of ${searchId}`);
    }
  }

  /**
   * The events of `searchId` with journal seq >= `from` (default 1), in order, up to the end the
   * journal had when reading started (later appends are not waited for). Empty for an unknown
   * search. Throws NasError `unavailable`, or `internal` when stored seq headers have gaps.
   */
  async *read(searchId: string, from = 1): AsyncIterable<SequencedEvent> {
    const subject = this.names.journalSubject(searchId);
    let end: Tail;
    let consumer;
    let messages;
    try {
      end = await this.fetchTail(subject);
      this.tails.set(searchId, end);
      if (end.seq < from) return;
      // Ordered consumer: ephemeral, no acks, recreated by the client after a gap or a restart.
      consumer = await withRetry(
        `reading ${subject}`,
        () => this.js.consumers.get(this.names.streams.journal, { filter_subjects: subject, deliver_policy: DeliverPolicy.All, inactive_threshold: 30_000 }),
        this.retry(),
      );
      messages = await consumer.consume({ max_messages: 512 });
    } catch (e) {
      throw toNasError(e, `reading the journal of ${searchId}`);
    }
    try {
      let expect = 1;
      for await (const m of messages) {
        const seq = Number(m.headers?.get(JOURNAL_SEQ_HEADER));
        if (seq !== expect) throw new NasError(`journal of ${searchId}: stream seq ${m.seq} has journal seq ${m.headers?.get(JOURNAL_SEQ_HEADER) || '(none)'}, expected ${expect}`, 'internal');
        expect++;
        if (seq >= from) yield { seq, event: m.json<SearchEvent>() };
        if (m.seq >= end.streamSeq || m.info.pending === 0) break;
      }
    } catch (e) {
      // Only failures of the read itself land here (JSON, connection closed): a consumer that
      // stops early makes the generator return, it does not throw into it.
      throw toNasError(e, `reading the journal of ${searchId}`);
    } finally {
      messages.stop();
      // The server would drop it after inactive_threshold anyway; this just tidies up now.
      await consumer.delete().catch(() => undefined);
    }
  }

  /** Ids of every search whose journal has at least one event, sorted. Throws NasError `unavailable`. */
  async list(): Promise<string[]> {
    try {
      const jsm = await this.manager();
      const info = await withRetry('listing journals', () => jsm.streams.info(this.names.streams.journal, { subjects_filter: this.names.wildcards.journal }), this.retry());
      const ids: string[] = [];
      for (const subject of Object.keys(info.state.subjects ?? {})) {
        const id = this.names.searchIdOfJournalSubject(subject);
        if (id !== undefined) ids.push(id);
      }
      return ids.sort();
    } catch (e) {
      throw toNasError(e, 'listing journals');
    }
  }

  private async fetchTail(subject: string): Promise<Tail> {
    const jsm = await this.manager();
    const last = await withRetry(`reading the end of ${subject}`, () => jsm.streams.getMessage(this.names.streams.journal, { last_by_subj: subject }), this.retry());
    if (!last) return { streamSeq: 0, seq: 0 };
    const seq = Number(last.header?.get(JOURNAL_SEQ_HEADER));
    if (!Number.isInteger(seq) || seq < 1) throw new NasError(`journal ${subject}: last message (stream seq ${last.seq}) has no ${JOURNAL_SEQ_HEADER} header`, 'internal');
    return { streamSeq: last.seq, seq };
  }

  private manager(): Promise<JetStreamManager> {
    // No account check (one request less per start); API calls time out like publishes.
    this.jsm ??= jetstreamManager(this.opts.nc, { checkAPI: false, timeout: this.opts.publishTimeoutMs ?? 2000 });
    return this.jsm;
  }

  private retry() {
    return { attemptTimeoutMs: this.opts.publishTimeoutMs, totalTimeoutMs: this.opts.publishRetryMs };
  }
}

function mismatch(searchId: string, actual: number, expected: number): NasError {
  return new NasError(`journal of ${searchId} ends at ${actual}, expected ${expected}`, 'failed_precondition');
}
