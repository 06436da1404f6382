import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { connect, usernamePasswordAuthenticator } from '@nats-io/transport-node';
import { startNatsServer } from '@hwnas/testing-nats';
import { REPO } from './support';

const CONF = path.join(__dirname, '../config/nats-local.conf');

describe('local cluster command and NATS roles', () => {
  it('cluster:local - starts nats-server with authorization, coordinator, workers and an agent; a demo search succeeds', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'apps/coordinator/scripts/cluster-local.ts'), '--listen', '127.0.0.1:0', '--workers', '2', '--demo', '--exit-after-demo'], {
      cwd: REPO,
      env: { ...process.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(out).toContain('hwnas local cluster is up');
    expect(out).toMatch(/demo: search \S+ SEARCH_STATE_SUCCEEDED: 200 evaluations/);
    expect(code).toBe(0);
  });

  it('cluster:local --state-dir - a restarted cluster recovers the searches of the one before', async () => {
    const state = mkdtempSync(path.join(tmpdir(), 'hwnas-state-'));
    const run = async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'apps/coordinator/scripts/cluster-local.ts'), '--listen', '127.0.0.1:0', '--workers', '1', '--state-dir', state, '--demo', '--exit-after-demo'], {
        cwd: REPO,
        env: { ...process.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (out += b.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      expect({ code, kept: out.includes('kept across restarts') }).toEqual({ code: 0, kept: true });
    };
    try {
      await run();
      await run();
      const recovered = readFileSync(path.join(state, 'coordinator.log'), 'utf8')
        .split('\n')
        .filter((l) => l.includes('recovered searches from the journal'))
        .map((l) => (JSON.parse(l) as { searches: number }).searches);
      // The first start found nothing; the second found the first run's demo search.
      expect(recovered).toEqual([0, 1]);
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  });

  it('nats-local.conf - a worker cannot publish search events or tasks; an agent cannot publish results', async () => {
    const conf = readFileSync(CONF, 'utf8').replace('$HWNAS_NATS_PASS_COORDINATOR', '"pc"').replace('$HWNAS_NATS_PASS_WORKER', '"pw"').replace('$HWNAS_NATS_PASS_AGENT', '"pa"');
    await using nats = await startNatsServer({ jetstream: true, config: conf });
    const as = async (user: string, pass: string) => {
      const errors: string[] = [];
      const nc = await connect({ servers: nats.url, authenticator: usernamePasswordAuthenticator(user, pass) });
      void (async () => {
        for await (const s of nc.status()) if (s.type === 'error') errors.push(String((s as { error?: unknown }).error ?? ''));
      })();
      return { nc, errors };
    };
    const worker = await as('worker', 'pw');
    worker.nc.publish('hwnas.journal.s1', '{}');
    worker.nc.publish('hwnas.eval.s1', '{}');
    worker.nc.publish('hwnas.results.s1', '{}');
    worker.nc.publish('hwnas.reports.s1', '{}');
    worker.nc.publish('hwnas.stop.s1', '{}');
    // Its heartbeat (slots, running tasks) reaches the coordinator.
    const coordinator = await as('coordinator', 'pc');
    const heard = coordinator.nc.subscribe('hwnas.worker.heartbeat.*', { max: 1 });
    await coordinator.nc.flush();
    worker.nc.publish('hwnas.worker.heartbeat.w1', '{}');
    await worker.nc.flush();
    for await (const m of heard) expect(m.subject).toBe('hwnas.worker.heartbeat.w1');
    const agent = await as('agent', 'pa');
    agent.nc.publish('hwnas.results.s1', '{}');
    agent.nc.publish('hwnas.device.heartbeat.x', '{}');
    await agent.nc.flush();
    await new Promise((r) => setTimeout(r, 300));
    expect(worker.errors.join('\n')).toMatch(/Permissions Violation for Publish to "hwnas.journal.s1"/i);
    expect(worker.errors.join('\n')).toMatch(/Permissions Violation for Publish to "hwnas.eval.s1"/i);
    expect(worker.errors.join('\n')).not.toMatch(/hwnas.results.s1|heartbeat/);
    // Trainer reports are the worker's to publish; stop orders are the coordinator's.
    expect(worker.errors.join('\n')).not.toMatch(/hwnas.reports.s1/);
    expect(worker.errors.join('\n')).toMatch(/Permissions Violation for Publish to "hwnas.stop.s1"/i);
    expect(agent.errors.join('\n')).toMatch(/Permissions Violation for Publish to "hwnas.results.s1"/i);
    expect(agent.errors.join('\n')).not.toMatch(/heartbeat/);
    await expect(connect({ servers: nats.url, authenticator: usernamePasswordAuthenticator('worker', 'wrong') })).rejects.toThrow();
    expect(coordinator.errors).toEqual([]);
    await worker.nc.close();
    await agent.nc.close();
    await coordinator.nc.close();
  });
});
