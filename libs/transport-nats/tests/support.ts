import { randomBytes } from 'node:crypto';
import type { Subscription } from '@hwnas/runtime';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats, createNames, ensureStreams } from '../src/index';
import type { NatsNames } from '../src/index';

// The test server, re-exported so that every spec imports its helpers from one place.
import { freePort, startNatsServer } from '@hwnas/testing-nats';
import type { NatsServer } from '@hwnas/testing-nats';

export { startNatsServer };
export type { NatsServer };

/** The nats-server a `describe` block shares, from {@link natsServerForSuite}. */
export interface SuiteNats {
  readonly server: NatsServer;
  /** A client connection to `server`, open for the whole block. */
  readonly nc: NatsConnection;
  /** Subscriptions to stop after the current test. */
  readonly subs: Subscription[];
  /** A further connection to `server`, closed after the current test. */
  conn(name?: string): Promise<NatsConnection>;
}

/**
 * Call inside `describe`: starts a nats-server and connects to it before the block's tests, after
 * each test stops the subscriptions in `subs` and closes what `conn()` opened, and at the end
 * closes the connection and stops the server. `server` and `nc` can be read inside tests and hooks.
 */
export function natsServerForSuite(opts: { jetstream: boolean }): SuiteNats {
  let server: NatsServer | undefined;
  let nc: NatsConnection | undefined;
  const subs: Subscription[] = [];
  const extra: NatsConnection[] = [];
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('natsServerForSuite: the server is only there inside tests (did beforeAll fail?)');
    return value;
  };

  beforeAll(async () => {
    server = await startNatsServer({ jetstream: opts.jetstream });
    nc = await connectTo(server.url);
  });
  afterEach(async () => {
    await Promise.all(subs.splice(0).map((s) => s.stop()));
    await Promise.all(extra.splice(0).map((c) => (c.isClosed() ? undefined : c.close())));
  });
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });

  return {
    get server() {
      return started(server);
    },
    get nc() {
      return started(nc);
    },
    subs,
    async conn(name?: string) {
      const c = await connectTo(started(server).url, name);
      extra.push(c);
      return c;
    },
  };
}

/** Real nats-servers on 127.0.0.1 routed to each other as one JetStream cluster. */
export interface NatsCluster {
  readonly servers: readonly NatsServer[];
  /** `server_name` of each server, in the order of `servers`. */
  readonly serverNames: readonly string[];
  /** Client URLs of every server (a client given all of them fails over). */
  readonly urls: readonly string[];
  stop(): Promise<void>;
}

/**
 * Starts `size` servers forming one JetStream cluster (what the prod overlay runs, on one host)
 * and waits until the meta leader sees all the others as current peers, so streams with up to
 * `size` replicas can be placed.
 */
export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const routePorts: number[] = [];
  for (let i = 0; i < size; i++) routePorts.push(await freePort());
  const cluster = uniquePrefix();
  const serverNames = routePorts.map((_, i) => `${cluster}-n${i}`);
  const routes = routePorts.map((p) => `nats-route://127.0.0.1:${p}`).join(', ');
  const started = await Promise.allSettled(
    routePorts.map((p, i) => startNatsServer({ config: `server_name: ${serverNames[i]}\ncluster { name: ${cluster}, listen: 127.0.0.1:${p}, routes: [${routes}] }` })),
  );
  const servers = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const stop = async () => {
    await Promise.all(servers.map((s) => s.stop()));
  };
  try {
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    // Only the meta leader lists its peers (in /jsz).
    await waitFor(
      async () => {
        const jsz = await Promise.all(servers.map(async (s) => ((await (await fetch(`http://127.0.0.1:${s.monitorPort}/jsz`)).json()) as { meta_cluster?: { replicas?: { current: boolean }[] } }).meta_cluster));
        return jsz.some((m) => (m?.replicas ?? []).filter((r) => r.current).length === size - 1);
      },
      `a JetStream meta leader with ${size - 1} current peers`,
      30_000,
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return { servers, serverNames, urls: servers.map((s) => s.url), stop };
}

/** A prefix no other test uses, so tests can share a server. */
export function uniquePrefix(): string {
  return `t${randomBytes(5).toString('hex')}`;
}

/** Fresh names on `nc` with the three streams created. */
export async function freshNames(nc: NatsConnection): Promise<NatsNames> {
  const names = createNames(uniquePrefix());
  await ensureStreams(nc, names);
  return names;
}

/** A client connection that keeps reconnecting, as services use. */
export function connectTo(url: string, name = 'test'): Promise<NatsConnection> {
  return connectNats({ servers: url, name });
}

/** Polls `cond` every 20 ms until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// The task, result and event fixtures are the runtime's (one set for every transport's tests).
export { sampleTask as task, sampleResult as result, sampleEvent as event } from '@hwnas/runtime/testing';
