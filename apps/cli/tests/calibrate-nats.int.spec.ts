import * as path from 'node:path';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Nb201Tables, nb201Space, resolveDataDir } from '@hwnas/bench-core';
import { describeWithData } from '@hwnas/bench-core/testing';
import { FittedCostModel, parseCalibration } from '@hwnas/cost-model';
import { createBackend } from '@hwnas/device-backends';
import { startNatsServer } from '@hwnas/testing-nats';
import type { NatsServer } from '@hwnas/testing-nats';
import { startNode, waitFor } from './support';
import type { NodeProcess } from './support';
import { connectNats, NatsCostModelStore } from '@hwnas/transport-nats';



describeWithData('hwnas calibrate --nats: through a device agent, into a JetStream key-value bucket', (dataDir) => {
  let server: NatsServer;
  let agent: NodeProcess | undefined;
  let replayAgent: NodeProcess | undefined;

  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    for (const a of [agent, replayAgent]) if (a && a.child.exitCode === null) a.child.kill('SIGTERM');
    await agent?.exited;
    await replayAgent?.exited;
    await server.stop();
  });

  it('measures the probe cells on a real asic-eyeriss agent process, stores the model, and reads it back', async () => {
    agent = startNode(['--import', 'tsx', 'apps/device-agent/src/main.ts', '--device', 'asic-eyeriss', '--nats', server.url]);
    await waitFor(() => agent!.output().includes('"msg":"device agent serving"'), 'the device agent to serve');
    const cli = startNode(['apps/cli/bin/hwnas.js', 'calibrate', '--device', 'asic-eyeriss', '--samples', '10', '--nats', server.url, '--bucket', 'test-models', '--data', dataDir, '--json']);
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

  it('hwnas search --cost-model ID --nats: calibrates a replayed raspi4 agent over NATS, then searches with the model read from the bucket, measuring through the agent', async () => {
    replayAgent = startNode(['--import', 'tsx', 'apps/device-agent/src/main.ts', '--device', 'raspi4', '--nats', server.url, '--data', dataDir]);
    await waitFor(() => replayAgent!.output().includes('"msg":"device agent serving"'), 'the raspi4 agent to serve');
    const calibrate = startNode(['apps/cli/bin/hwnas.js', 'calibrate', '--device', 'raspi4', '--samples', '10', '--nats', server.url, '--bucket', 'screen-models', '--data', dataDir, '--json']);
    expect(await calibrate.exited).toBe(0);

    const argv = ['search', '--space', 'nb201', '--dataset', 'cifar10', '--strategy', 'random', '--budget', '30', '--mode', 'cost-first', '--constraint', 'raspi4_latency<=15.72', '--data', dataDir, '--history', '--json'];
    const search = startNode(['apps/cli/bin/hwnas.js', ...argv, '--cost-model', 'raspi4', '--nats', server.url, '--bucket', 'screen-models']);
    expect(await search.exited).toBe(0);
    const out = JSON.parse(search.output().trim().split('\n').pop()!) as {
      costModel: { device: string; calibrationMeasurements: number };
      best: { arch: string; metrics: Record<string, number> };
      costQueries: number;
      deviceMeasurements: number;
      history: { arch: string; metrics: Record<string, number> }[];
    };
    expect(out.costModel).toMatchObject({ device: 'raspi4', calibrationMeasurements: 10 });
    // Every measured cost is the replayed raspi4 value, which came through the agent.
    const tables = Nb201Tables.load(resolveDataDir(dataDir));
    const raspi4 = tables.column('cifar10', 'raspi4_latency');
    const measured = out.history.filter((h) => h.metrics.raspi4_latency_measured === 1);
    expect(measured.length).toBeGreaterThan(0);
    for (const h of measured) expect(h.metrics.raspi4_latency).toBe(raspi4[tables.indexOf(nb201Space.parse(h.arch))]);
    expect(out.best.metrics.raspi4_latency_measured).toBe(1);
    expect(out.best.metrics.raspi4_latency).toBeLessThanOrEqual(15.72);
    expect(out.deviceMeasurements).toBeGreaterThan(0);
    expect(out.deviceMeasurements).toBeLessThan(out.costQueries / 2);

    // The same search with the calibration in a file and the device in-process: the same run.
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'calibration-')), 'raspi4.json');
    const nc = await connectNats({ servers: [server.url], name: 'calibrate-nats-test' });
    try {
      writeFileSync(file, JSON.stringify(await new NatsCostModelStore(nc, 'screen-models').get('raspi4')));
    } finally {
      await nc.close();
    }
    const local = startNode(['apps/cli/bin/hwnas.js', ...argv, '--cost-model', file]);
    expect(await local.exited).toBe(0);
    expect(JSON.parse(local.output().trim().split('\n').pop()!)).toEqual(out);

    await expect(runMissing(server.url, dataDir)).resolves.toMatch(/no cost model for device "pixel3" in bucket screen-models/);
    // Four CLI processes, each loading the references (15,625 cells through both simulators): 40 s on a busy machine.
  }, 180_000);
});

/** A search whose device has no calibration in the bucket: what it prints (it exits 1, not found). */
async function runMissing(url: string, dataDir: string): Promise<string> {
  const run = startNode(['apps/cli/bin/hwnas.js', 'search', '--space', 'nb201', '--dataset', 'cifar10', '--strategy', 'random', '--budget', '5', '--mode', 'cost-first', '--constraint', 'pixel3_latency<=15', '--cost-model', 'pixel3', '--nats', url, '--bucket', 'screen-models', '--data', dataDir]);
  expect(await run.exited).toBe(1);
  return run.output();
}
