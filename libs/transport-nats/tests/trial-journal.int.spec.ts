import { rmSync } from 'node:fs';
import { isNasError } from '@hwnas/bench-core';
import type { SequencedEvent, TrialJournal } from '@hwnas/runtime';
import { createNames, ensureStreams, JetStreamTrialJournal } from '../src/index';
import { connectTo, event, freshNames, natsServerForSuite, uniquePrefix, startNatsServer } from './support';
import type { NatsServer } from './support';
import { rejectionOf } from '@hwnas/bench-core/testing';

async function readAll(j: TrialJournal, id: string, from?: number): Promise<SequencedEvent[]> {
  const out: SequencedEvent[] = [];
  for await (const e of j.read(id, from)) out.push(e);
  return out;
}

describe('JetStreamTrialJournal', () => {
  const nats = natsServerForSuite({ jetstream: true });

  it('JetStreamTrialJournal - appends and reads events in order with per-search seq numbers', async () => {
    const names = await freshNames(nats.nc);
    const j = new JetStreamTrialJournal({ nc: nats.nc, names });
    expect(await j.append('a', [event(1), event(2)])).toBe(2);
    expect(await j.append('b', [event(10)])).toBe(1); // another search interleaves in the stream
    expect(await j.append('a', [event(3)])).toBe(3);
    expect(await j.append('a', [])).toBe(3);
    expect(await readAll(j, 'a')).toEqual([
      { seq: 1, event: event(1) },
      { seq: 2, event: event(2) },
      { seq: 3, event: event(3) },
    ]);
    expect(await readAll(j, 'a', 2)).toEqual([
      { seq: 2, event: event(2) },
      { seq: 3, event: event(3) },
    ]);
    expect(await readAll(j, 'a', 4)).toEqual([]);
    expect(await readAll(j, 'b')).toEqual([{ seq: 1, event: event(10) }]);
    expect(await readAll(j, 'nobody')).toEqual([]);
  });

  it('JetStreamTrialJournal - a read stops at the end it found and can be abandoned early', async () => {
    const names = await freshNames(nats.nc);
    const j = new JetStreamTrialJournal({ nc: nats.nc, names });
    await j.append('a', Array.from({ length: 600 }, (_, i) => event(i + 1)));
    const seen: number[] = [];
    for await (const e of j.read('a')) {
      seen.push(e.seq);
      if (e.seq === 1) await j.append('a', [event(601)]); // after the read started: not included
    }
    expect(seen).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
    for await (const e of j.read('a', 300)) {
      expect(e.seq).toBe(300);
      break;
    }
    expect((await readAll(j, 'a', 601)).map((e) => e.seq)).toEqual([601]);
  });

  it('JetStreamTrialJournal - expectedSeq is honoured, a mismatch is failed_precondition', async () => {
    const names = await freshNames(nats.nc);
    const j = new JetStreamTrialJournal({ nc: nats.nc, names });
    expect(await j.append('s', [event(1)], 0)).toBe(1);
    const e1 = await rejectionOf(j.append('s', [event(2)], 0));
    expect(isNasError(e1) && e1.code).toBe('failed_precondition');
    expect(await j.append('s', [event(2)], 1)).toBe(2);
    const e2 = await rejectionOf(j.append('s', [event(3)], 5));
    expect(isNasError(e2) && e2.code).toBe('failed_precondition');
    expect((await readAll(j, 's')).map((e) => e.seq)).toEqual([1, 2]);
  });

  it('JetStreamTrialJournal - two writers: a stale expectedSeq fails, an unconditional append lands after the other', async () => {
    const names = await freshNames(nats.nc);
    const j1 = new JetStreamTrialJournal({ nc: nats.nc, names });
    const j2 = new JetStreamTrialJournal({ nc: await nats.conn(), names });
    expect(await j1.append('s', [event(1)], 0)).toBe(1); // j1 caches the tail at 1
    expect(await j2.append('s', [event(2)], 1)).toBe(2);
    // j1's cache says 1: the server's view (2) decides.
    const e = await rejectionOf(j1.append('s', [event(3)], 1));
    expect(isNasError(e) && e.code).toBe('failed_precondition');
    expect(await j2.append('s', [event(3)])).toBe(3);
    expect(await j1.append('s', [event(4)])).toBe(4); // stale cache, no expectedSeq: retried on the new tail
    const both = await Promise.all([j1.append('s', [event(5)]), j2.append('s', [event(6)])]);
    expect(both.sort()).toEqual([5, 6]);
    expect((await readAll(j2, 's')).map((x) => x.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('JetStreamTrialJournal - list() returns every search with a log, including ids that need escaping', async () => {
    const names = await freshNames(nats.nc);
    const j = new JetStreamTrialJournal({ nc: nats.nc, names });
    expect(await j.list()).toEqual([]);
    const ids = ['3f0c2a9e-8d1b-4c5e-9a7f-0b1c2d3e4f50', 'a.b c', 'ünï>*'];
    for (const id of ids) await j.append(id, [event(1)]);
    await j.append(ids[0], [event(2)]);
    expect(await j.list()).toEqual([...ids].sort());
    expect((await readAll(j, 'a.b c')).map((e) => e.event)).toEqual([event(1)]);
  });

  it('JetStreamTrialJournal - everything survives a nats-server restart', async () => {
    const own = await startNatsServer({ jetstream: true });
    let restarted: NatsServer | undefined;
    const c = await connectTo(own.url);
    try {
      const names = createNames(uniquePrefix());
      await ensureStreams(c, names);
      const before = new JetStreamTrialJournal({ nc: c, names });
      for (let i = 1; i <= 5; i++) await before.append('s1', [event(i)], i - 1);
      await before.append('s2', [event(100), event(101)]);
      await own.stop({ keepStore: true });
      restarted = await startNatsServer({ jetstream: true, port: own.port, storeDir: own.storeDir });
      // Same client connection: it reconnects by itself. A fresh journal has no cached state.
      const after = new JetStreamTrialJournal({ nc: c, names });
      expect(await after.append('s1', [event(6)], 5)).toBe(6);
      expect(await after.list()).toEqual(['s1', 's2']);
      expect((await readAll(after, 's1')).map((e) => [e.seq, e.event.at])).toEqual([1, 2, 3, 4, 5, 6].map((n) => [n, n]));
      expect(await readAll(after, 's2')).toEqual([
        { seq: 1, event: event(100) },
        { seq: 2, event: event(101) },
      ]);
    } finally {
      // Servers first: the store must go even if closing the client were to hang.
      await restarted?.stop();
      await own.stop();
      rmSync(own.storeDir, { recursive: true, force: true });
      await c.close();
    }
  });
});
