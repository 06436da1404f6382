import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { Nb201Tables, resolveDataDir } from '@hwnas/bench-core';
import { describeWithData } from '@hwnas/bench-core/testing';
import { FittedCostModel, parseCalibration } from '@hwnas/cost-model';
import { createBackend } from '@hwnas/device-backends';
import { startNatsServer } from '@hwnas/testing-nats';
import type { NatsServer } from '@hwnas/testing-nats';
import { connectNats, NatsCostModelStore } from '@hwnas/transport-nats';

const REPO = path.resolve(__dirname, '../../..');

/** Runs `node ...args` from the repository root; resolves with its exit code and output. */
function start(args: readonly string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, args, { cwd: REPO, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  return { child, output: () => out, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describeWithData('hwnas calibrate --nats: through a device agent, into a JetStream key-value bucket', (dataDir) => {
  let server: NatsServer;
  let agent: ReturnType<typeof start> | undefined;

  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    if (agent && agent.child.exitCode === null) agent.child.kill('SIGTERM');
    await agent?.exited;
    await server.stop();
  });

  it('measures the probe cells on a real asic-eyeriss agent process, stores the model, and reads it back', async () => {
    agent = start(['--import', 'tsx', 'apps/device-agent/src/main.ts', '--device', 'asic-eyeriss', '--nats', server.url]);
    await waitFor(() => agent!.output().includes('"msg":"device agent serving"'), 'the device agent to serve');
    const cli = start(['apps/cli/bin/hwnas.js', 'calibrate', '--device', 'asic-eyeriss', '--samples', '10', '--nats', server.url, '--bucket', 'test-models', '--data', dataDir, '--json']);
    expect(await cli.exited).toBe(0);
    const printed = JSON.parse(cli.output().trim().split('\n').pop()!) as { stored: { bucket: string; revision: number } };
    expect(printed.stored).toEqual({ bucket: 'test-models', revision: 1 });

    const nc = await connectNats({ servers: [server.url], name: 'calibrate-nats-test' });
    try {
      const calibration = parseCalibration(await new NatsCostModelStore(nc, 'test-models').get('asic-eyeriss'), 'test-models/asic-eyeriss');
      expect(calibration).toMatchObject({ device: 'asic-eyeriss', space: 'nb201', dataset: 'cifar10', metric: 'latency_ms' });
      expect(calibration.measured).toHaveLength(10);
      // What the agent measured is what the simulator gives for those cells.
      const index = Nb201Tables.load(resolveDataDir(dataDir)).index;
      const backend = createBackend('asic-eyeriss', { dataDir });
      for (const m of calibration.measured) {
        const direct = await backend.measure({ space: 'nb201', dataset: 'cifar10', arch: index.archAt(m.row) }, new AbortController().signal);
        expect(m.value).toBeCloseTo(direct.metrics.latency_ms, 9);
      }
      await backend.close();
      // The simulator is one of the references: ten samples are enough for the model to pick it.
      expect(FittedCostModel.fromJSON(calibration.model).weights()['asic-eyeriss']).toBeGreaterThan(0.9);
      await expect(new NatsCostModelStore(nc, 'test-models').get('raspi4')).rejects.toThrow(/no cost model for device "raspi4" in bucket test-models/);
    } finally {
      await nc.close();
    }
  });
});
