import { describeWithData } from '@hwnas/bench-core/testing';
import { loadEvalSpace, median, parseCalibration } from '@hwnas/cost-model';
import type { CalibrationFile } from '@hwnas/cost-model';
import { startNatsServer } from '@hwnas/testing-nats';
import type { NatsServer } from '@hwnas/testing-nats';
import { startNode, waitFor } from './support';
import type { NodeProcess } from './support';
import { connectNats, COST_MODEL_BUCKET, createNames, NatsCostModelStore } from '@hwnas/transport-nats';

// A cluster prefix of its own: the agent's subjects and the cost-model bucket both follow it.
const PREFIX = 'hostcpu_cal';
const BUCKET = `${PREFIX}-cost-models`;


/** The last line a CLI process printed, parsed (its --json result). */
function lastJson<T>(p: { output: () => string }): T {
  return JSON.parse(p.output().trim().split('\n').pop()!) as T;
}

interface SearchOutput {
  costModel: { device: string; metric: string; calibrationMeasurements: number };
  best: { arch: string; metrics: Record<string, number> } | null;
  costQueries: number;
  deviceMeasurements: number;
  history: { need: string; arch: string; metrics: Record<string, number> }[];
}

describeWithData('hwnas calibrate and search --cost-model on a real host-cpu device agent (ONNX Runtime on this machine)', (dataDir) => {
  let server: NatsServer;
  let agent: NodeProcess | undefined;

  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    if (agent && agent.child.exitCode === null) agent.child.kill('SIGTERM');
    await agent?.exited;
    await server.stop();
  });

  it('calibrates from ten real measurements under a cluster prefix, then screens a search that measures through the agent; the same seed gives the same search while the agent keeps its measurements', async () => {
    // Fewer timed runs than the default 30: the test checks the plumbing, not the timings.
    agent = startNode(['--import', 'tsx', 'apps/device-agent/src/main.ts', '--device', 'host-cpu', '--nats', server.url, '--prefix', PREFIX, '--repeats', '10', '--warmup', '2']);
    await waitFor(() => agent!.output().includes('"msg":"device agent serving"'), 'the host-cpu agent to serve');
    const nc = await connectNats({ servers: [server.url], name: 'calibrate-host-cpu-test' });
    const statsSubject = createNames(PREFIX).deviceMeasureSubject('host-cpu').replace(/\.measure$/, '.stats');
    const stats = async () => (await nc.request(statsSubject, '', { timeout: 10_000 })).json<{ received: number; cacheHits: number }>();
    try {
      const calibrate = startNode(['apps/cli/bin/hwnas.js', 'calibrate', '--device', 'host-cpu', '--samples', '10', '--nats', server.url, '--prefix', PREFIX, '--data', dataDir, '--json']);
      expect(await calibrate.exited).toBe(0);
      const printed = lastJson<CalibrationFile & { stored: { bucket: string; revision: number } }>(calibrate);
      // No --bucket: the prefix's bucket, not the default prefix's.
      expect(printed.stored).toEqual({ bucket: BUCKET, revision: 1 });
      expect((await stats()).received).toBe(10);

      const stored = parseCalibration(await new NatsCostModelStore(nc, BUCKET).get('host-cpu'), `${BUCKET}/host-cpu`);
      expect(stored).toMatchObject({ device: 'host-cpu', space: 'nb201', dataset: 'cifar10', metric: 'latency_ms' });
      expect(stored.model).toEqual(printed.model);
      expect(stored.measured.map((m) => m.row)).toEqual(loadEvalSpace(dataDir, 'nb201').table.probeIndex);
      for (const m of stored.measured) expect(m.value).toBeGreaterThan(0);
      await expect(new NatsCostModelStore(nc, COST_MODEL_BUCKET).get('host-cpu')).rejects.toThrow(/no cost model for device "host-cpu" in bucket hwnas-cost-models/);

      // A bound inside the measured range, whatever this machine's speed: the median probe cell.
      const bound = median(stored.measured.map((m) => m.value));
      const metric = 'hostcpu_latency';
      const argv = ['apps/cli/bin/hwnas.js', 'search', '--space', 'nb201', '--dataset', 'cifar10', '--strategy', 'random', '--budget', '20', '--mode', 'cost-first', '--constraint', `${metric}<=${bound}`];
      const search = startNode([...argv, '--cost-model', 'host-cpu', '--nats', server.url, '--prefix', PREFIX, '--data', dataDir, '--history', '--json']);
      expect(await search.exited).toBe(0);
      const out = lastJson<SearchOutput>(search);
      expect(out.costModel).toMatchObject({ device: 'host-cpu', metric, calibrationMeasurements: 10 });
      // Every cost says where it came from; a predicted one is the model's prediction.
      for (const h of out.history) {
        expect([0, 1]).toContain(h.metrics[`${metric}_measured`]);
        if (h.metrics[`${metric}_measured`] === 0) expect(h.metrics[metric]).toBe(h.metrics[`${metric}_pred`]);
      }
      expect(out.history.some((h) => h.metrics[`${metric}_measured`] === 0)).toBe(true);
      expect(out.deviceMeasurements).toBeGreaterThan(0);
      expect(out.deviceMeasurements).toBeLessThan(out.costQueries);
      // What the search measured went through the agent, once per architecture.
      const afterFirst = await stats();
      expect(afterFirst.received - 10).toBe(out.deviceMeasurements);
      expect(out.best?.metrics[`${metric}_measured`]).toBe(1);
      expect(out.best?.metrics[metric]).toBeLessThanOrEqual(bound);

      // The same seed again: the random strategy proposes the same architectures and the screen
      // takes the same decisions, because the agent answers an architecture it measured from its
      // cache. Measured again on the CPU (a fresh agent, --cache-size 0), a latency would differ
      // by the noise (a few per cent, docs/benchmarks/cost-models.md) and a cell near the bound
      // could land on the other side: only the proposals up to that point would then agree.
      const again = startNode([...argv, '--cost-model', 'host-cpu', '--nats', server.url, '--prefix', PREFIX, '--data', dataDir, '--history', '--json']);
      expect(await again.exited).toBe(0);
      expect(lastJson<SearchOutput>(again)).toEqual(out);
      const afterSecond = await stats();
      expect(afterSecond.received - afterFirst.received).toBe(out.deviceMeasurements);
      expect(afterSecond.cacheHits - afterFirst.cacheHits).toBe(out.deviceMeasurements);
    } finally {
      await nc.close();
    }
    // Three CLI processes, each loading the references (15,625 cells through both simulators), and ~40 real measurements.
  }, 120_000);
});
