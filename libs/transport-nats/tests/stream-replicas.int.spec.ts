import { isNasError } from '@hwnas/bench-core';
import { rejectionOf } from '@hwnas/bench-core/testing';
import type { SequencedEvent } from '@hwnas/runtime';
import { AckPolicy, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import { connectNats, createNames, ensureStreams, JetStreamTrialJournal, streamConfigs } from '../src/index';
import type { NatsNames } from '../src/index';
import { connectTo, event, startNatsCluster, startNatsServer, uniquePrefix, waitFor } from './support';

const streamsOf = (names: NatsNames) => [names.streams.eval, names.streams.results, names.streams.journal, names.streams.reports];
const each = (names: NatsNames, action: string, replicas: number) => streamsOf(names).map((name) => ({ name, action, replicas }));

/** Servers holding a copy of `stream` (its leader and the others), 0 before a leader is elected. */
async function peers(jsm: JetStreamManager, stream: string): Promise<number> {
  const info = await jsm.streams.info(stream);
  return info.cluster?.leader ? new Set([info.cluster.leader, ...(info.cluster.replicas ?? []).map((r) => r.name)]).size : 0;
}

/** True once `stream` has a leader and `replicas - 1` current followers (one copy per server). */
async function placed(jsm: JetStreamManager, stream: string, replicas: number): Promise<boolean> {
  const info = await jsm.streams.info(stream);
  return info.config.num_replicas === replicas && Boolean(info.cluster?.leader) && (info.cluster?.replicas ?? []).filter((r) => r.current).length === replicas - 1;
}

async function readAll(j: JetStreamTrialJournal, id: string): Promise<SequencedEvent[]> {
  const out: SequencedEvent[] = [];
  for await (const e of j.read(id)) out.push(e);
  return out;
}

describe('stream replicas', () => {
  it('ensureStreams - on one server, more than 1 replica fails naming --stream-replicas, for new streams and for existing ones, which keep 1', async () => {
    const server = await startNatsServer({ jetstream: true });
    const nc = await connectTo(server.url);
    try {
      const names = createNames(uniquePrefix());
      const jsm = await jetstreamManager(nc);
      const notClustered = /^stream \S+_EVAL: 3 replicas asked for by --stream-replicas \(HWNAS_STREAM_REPLICAS\), but the NATS server is not part of a JetStream cluster, so it keeps one copy; use --stream-replicas 1 with a single server/;
      // New streams: created with one replica (as always), then refused at the first stream.
      const fresh = await rejectionOf(ensureStreams(nc, names, { replicas: 3 }));
      expect(isNasError(fresh) && [fresh.code, fresh.retryable]).toEqual(['failed_precondition', false]);
      expect((fresh as Error).message).toMatch(notClustered);
      expect(await ensureStreams(nc, names)).toEqual([{ name: names.streams.eval, action: 'unchanged', replicas: 1 }, ...each(names, 'created', 1).slice(1)]);

      // Existing single-replica streams (what every deployment had before the flag). nats-server
      // 2.9 would accept raising them and still keep one copy; ensureStreams refuses instead.
      const raised = await rejectionOf(ensureStreams(nc, names, { replicas: 3 }));
      expect(isNasError(raised) && raised.code).toBe('failed_precondition');
      expect((raised as Error).message).toMatch(notClustered);
      for (const s of streamsOf(names)) expect((await jsm.streams.info(s)).config.num_replicas).toBe(1);

      // Out of range: refused before the server is asked.
      for (const replicas of [0, 6, 1.5]) {
        const bad = await rejectionOf(ensureStreams(nc, names, { replicas }));
        expect(isNasError(bad) && [bad.code, bad.message]).toEqual(['invalid_argument', `stream replicas must be an integer from 1 to 5, got ${replicas}`]);
      }
      expect(await ensureStreams(nc, names, { replicas: 1 })).toEqual(each(names, 'unchanged', 1));
    } finally {
      await nc.close();
      await server.stop();
    }
  });

  it('ensureStreams - on a three-server cluster: raises existing streams 1 -> 3 in place, never lowers them, and the journal survives losing a server', async () => {
    const cluster = await startNatsCluster(3);
    const nc = await connectNats({ servers: [...cluster.urls], name: 'replicas', reconnectTimeWaitMs: 100 });
    try {
      const jsm = await jetstreamManager(nc);
      const names = createNames(uniquePrefix());
      // As deployed before the flag: one copy each, a search's journal and the workers' consumer.
      expect(await ensureStreams(nc, names)).toEqual(each(names, 'created', 1));
      const journal = new JetStreamTrialJournal({ nc, names });
      await journal.append('s1', [event(1), event(2)]);
      await jsm.consumers.add(names.streams.eval, { durable_name: names.consumers.workers, ack_policy: AckPolicy.Explicit });

      // A coordinator (or worker) with --stream-replicas 3 raises them in place.
      expect(await ensureStreams(nc, names, { replicas: 3 })).toEqual(each(names, 'updated', 3));
      for (const s of streamsOf(names)) await waitFor(() => placed(jsm, s, 3), `${s} on three servers`, 20_000);
      expect(await readAll(journal, 's1')).toEqual([
        { seq: 1, event: event(1) },
        { seq: 2, event: event(2) },
      ]);
      // The consumer (replicas 0: the stream's) follows the stream.
      await waitFor(async () => ((await jsm.consumers.info(names.streams.eval, names.consumers.workers)).cluster?.replicas ?? []).length === 2, 'the consumer on three servers', 20_000);

      // A process left at the default (1) afterwards does not lower them.
      expect(await ensureStreams(nc, names)).toEqual(each(names, 'unchanged', 3));
      expect(await ensureStreams(nc, names, { replicas: 2 })).toEqual(each(names, 'unchanged', 3));
      // Coordinator and worker disagreeing at the same start: the higher count wins either way.
      const both = createNames(uniquePrefix());
      await Promise.all([ensureStreams(nc, both, { replicas: 1 }), ensureStreams(nc, both, { replicas: 3 })]);
      for (const s of streamsOf(both)) await waitFor(() => placed(jsm, s, 3), `${s} on three servers`, 20_000);

      // More replicas than servers: a clear error, and the streams keep what they have.
      const tooMany = await rejectionOf(ensureStreams(nc, names, { replicas: 5 }));
      expect(isNasError(tooMany) && tooMany.code).toBe('failed_precondition');
      expect((tooMany as Error).message).toMatch(/^stream \S+_EVAL: cannot have 5 replicas \(--stream-replicas \(HWNAS_STREAM_REPLICAS\)\): the NATS cluster has fewer JetStream servers up than that/);
      for (const s of streamsOf(names)) expect((await jsm.streams.info(s)).config.num_replicas).toBe(3);

      // Losing the server that leads the journal loses nothing: read it and append to it.
      const leader = (await jsm.streams.info(names.streams.journal)).cluster!.leader!;
      await cluster.servers[cluster.serverNames.indexOf(leader)].stop();
      await waitFor(
        async () => {
          try {
            return (await readAll(journal, 's1')).length === 2;
          } catch {
            return false; // a new leader is being elected
          }
        },
        'the journal after losing its leader',
        30_000,
      );
      expect(await journal.append('s1', [event(3)], 2)).toBe(3);
      expect((await readAll(journal, 's1')).map((e) => e.seq)).toEqual([1, 2, 3]);
      // A coordinator restarting while that server is down: the missing peer still counts as a
      // copy (it catches up when back), so nothing is changed, repaired or refused.
      await waitFor(async () => (await peers(jsm, names.streams.eval).catch(() => 0)) > 0, 'leaders after losing a server', 30_000);
      expect(await ensureStreams(nc, names, { replicas: 3 })).toEqual(each(names, 'unchanged', 3));
    } finally {
      await nc.close();
      await cluster.stop();
    }
  });

  it('ensureStreams - repairs a stream nats-server recorded with 3 replicas but placed on one server (creates racing with 1 and 3)', async () => {
    const cluster = await startNatsCluster(3);
    const nc = await connectNats({ servers: [...cluster.urls], name: 'repair' });
    try {
      const jsm = await jetstreamManager(nc, { timeout: 1000 });
      // What two processes starting with different replicas did when each created the streams
      // with its own count (ensureStreams now creates with 1 and raises): nats-server 2.9 records
      // the losing create's replicas without placing them, nine times in ten here.
      let broken: NatsNames | undefined;
      for (let i = 0; i < 10 && !broken; i++) {
        const names = createNames(uniquePrefix());
        const [evalCfg] = streamConfigs(names);
        await Promise.allSettled([jsm.streams.add(evalCfg), jsm.streams.add({ ...evalCfg, num_replicas: 3 })]);
        await waitFor(async () => (await peers(jsm, names.streams.eval).catch(() => 0)) > 0, 'a leader', 10_000);
        if ((await jsm.streams.info(names.streams.eval)).config.num_replicas === 3 && (await peers(jsm, names.streams.eval)) === 1) broken = names;
      }
      if (!broken) throw new Error('could not reproduce a stream configured for 3 replicas with one copy in 10 tries');

      // Any process (here one left at 1) finds it, lowers the configuration to the one copy it
      // has and raises it back to the 3 it claimed: never lowered, never silently one copy.
      expect(await ensureStreams(nc, broken)).toEqual([{ name: broken.streams.eval, action: 'updated', replicas: 3 }, ...each(broken, 'created', 1).slice(1)]);
      await waitFor(() => placed(jsm, broken!.streams.eval, 3), 'the repaired stream on three servers', 20_000);
    } finally {
      await nc.close();
      await cluster.stop();
    }
  });
});
