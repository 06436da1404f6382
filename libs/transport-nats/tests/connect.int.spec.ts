import { isNasError } from '@hwnas/bench-core';
import { jetstreamManager, RetentionPolicy } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { connectNats, createNames, ensureStreams } from '../src/index';
import { startNatsServer, uniquePrefix } from './support';
import { rejectionOf } from '@hwnas/bench-core/testing';

describe('connect', () => {
  it('ensureStreams - creates the four streams, is idempotent, and updates changed settings', async () => {
    const server = await startNatsServer({ jetstream: true });
    const nc = await connectNats({ servers: server.url, name: 'setup' });
    try {
      const names = createNames(uniquePrefix());
      await ensureStreams(nc, names);
      await Promise.all([ensureStreams(nc, names), ensureStreams(nc, names)]);
      const jsm = await jetstreamManager(nc);
      const evalInfo = await jsm.streams.info(names.streams.eval);
      expect(evalInfo.config.retention).toBe(RetentionPolicy.Workqueue);
      expect(evalInfo.config.subjects).toEqual([`${names.prefix}.eval.>`]);
      expect((await jsm.streams.info(names.streams.journal)).config.max_age).toBe(0);
      // Trainer reports: kept a day, at most 100 000 per search (one subject per search).
      const reports = (await jsm.streams.info(names.streams.reports)).config;
      expect([reports.subjects, reports.retention, reports.max_age, reports.max_msgs_per_subject]).toEqual([[`${names.prefix}.reports.*`], RetentionPolicy.Limits, nanos(24 * 3_600_000), 100_000]);
      await ensureStreams(nc, names, { duplicateWindowMs: 30_000, resultsMaxAgeMs: 3_600_000 });
      expect((await jsm.streams.info(names.streams.eval)).config.duplicate_window).toBe(nanos(30_000));
      expect((await jsm.streams.info(names.streams.results)).config.max_age).toBe(nanos(3_600_000));

      // A stream of the same name with a retention that cannot be changed in place.
      const other = createNames(uniquePrefix());
      await jsm.streams.add({ name: other.streams.eval, subjects: [other.wildcards.eval], retention: RetentionPolicy.Limits });
      const e = await rejectionOf(ensureStreams(nc, other));
      expect(isNasError(e) && e.code).toBe('failed_precondition');
    } finally {
      await nc.close();
      await server.stop();
    }
  });

  it('connectNats - authenticates with user/password and token, and reports a refused connection as a NasError', async () => {
    const userServer = await startNatsServer({ jetstream: false, config: 'authorization { user: hwnas, password: "s3cret" }' });
    const tokenServer = await startNatsServer({ jetstream: false, config: 'authorization { token: "t0ken" }' });
    try {
      const a = await connectNats({ servers: userServer.url, name: 'u', credentials: { user: 'hwnas', pass: 's3cret' } });
      await a.flush();
      await a.close();
      const b = await connectNats({ servers: tokenServer.url, name: 't', credentials: { token: 't0ken' } });
      await b.flush();
      await b.close();
      const bad = await rejectionOf(connectNats({ servers: userServer.url, name: 'u', credentials: { user: 'hwnas', pass: 'wrong' } }));
      expect(isNasError(bad) && [bad.code, bad.retryable]).toEqual(['failed_precondition', false]);
      const down = await rejectionOf(connectNats({ servers: 'nats://127.0.0.1:1', name: 'x', connectTimeoutMs: 500 }));
      expect(isNasError(down) && [down.code, down.retryable]).toEqual(['unavailable', true]);
    } finally {
      await userServer.stop();
      await tokenServer.stop();
    }
  });
});
