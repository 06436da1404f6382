import { describeWithData } from '@hwnas/bench-core/testing';
import { runCli } from '../testing';

describeWithData('hwnas devices', (dataDir) => {
  it('hwnas devices - --json lists every in-process backend with its describe()', async () => {
    const { code, out } = await runCli(['devices', '--data', dataDir, '--json']);
    expect(code).toBe(0);
    const devices = JSON.parse(out) as { id: string; kind: string; metricPrefix: string; searchMetrics: string[]; supports: unknown[]; metrics: { name: string; unit: string }[]; description: string }[];
    expect(devices.map((d) => [d.id, d.kind])).toEqual([
      ['asic-eyeriss', 'simulated'],
      ['fpga-zc706', 'simulated'],
      ['host-cpu', 'measured'],
      ['raspi4', 'replay'],
      ['pixel3', 'replay'],
      ['edgegpu', 'replay'],
    ]);
    const byId = Object.fromEntries(devices.map((d) => [d.id, d]));
    expect(byId['asic-eyeriss'].searchMetrics).toEqual(['eyeriss_latency', 'eyeriss_energy']);
    expect(byId['host-cpu'].searchMetrics).toEqual(['hostcpu_latency']);
    expect(byId.edgegpu.supports).toEqual([{ space: 'fbnet', datasets: ['cifar100', 'ImageNet'] }]);
    expect(byId.raspi4.metrics).toEqual([expect.objectContaining({ name: 'latency_ms', unit: 'ms' })]);
    for (const d of devices) expect(d.description.length).toBeGreaterThan(80);
  });

  it('hwnas devices - prints a table without --json', async () => {
    const { code, out } = await runCli(['devices', '--data', dataDir]);
    expect(code).toBe(0);
    expect(out).toMatch(/^device\s+kind\s+metrics/);
    expect(out).toMatch(/fpga-zc706\s+simulated\s+latency_ms \(ms\), energy_mj \(mJ\)\s+fpga_latency, fpga_energy/);
    expect(out).toMatch(/raspi4\s+replay\s+latency_ms \(ms\)\s+raspi4_latency\s+nb201: cifar10; fbnet: cifar100, ImageNet/);
  });

  it('hwnas devices - without any benchmark data lists the simulators and host-cpu and says why replays are missing', async () => {
    const saved = { data: process.env.HWNAS_DATA, pack: process.env.HWNAS_PACK };
    delete process.env.HWNAS_DATA;
    process.env.HWNAS_PACK = 'off';
    try {
      const { code, out, err } = await runCli(['devices', '--json']);
      expect(code).toBe(0);
      expect(JSON.parse(out).map((d: { id: string }) => d.id)).toEqual(['asic-eyeriss', 'fpga-zc706', 'host-cpu']);
      expect(err).toMatch(/not listed: raspi4: no benchmark data \(--data DIR, \$HWNAS_DATA or the data pack\)/);
    } finally {
      process.env.HWNAS_DATA = saved.data;
      if (saved.pack === undefined) delete process.env.HWNAS_PACK;
      else process.env.HWNAS_PACK = saved.pack;
    }
  });

  it('hwnas devices - without a data directory the data pack serves the replay devices', async () => {
    const saved = process.env.HWNAS_DATA;
    delete process.env.HWNAS_DATA;
    try {
      const { code, out } = await runCli(['devices', '--json']);
      expect(code).toBe(0);
      expect(JSON.parse(out).map((d: { id: string }) => d.id)).toEqual(expect.arrayContaining(['raspi4', 'pixel3', 'edgegpu']));
    } finally {
      process.env.HWNAS_DATA = saved;
    }
  });

  it('hwnas devices - a broken data directory exits 1 naming it', async () => {
    const { code, err } = await runCli(['devices', '--data', '/nonexistent/hwnas-data']);
    expect(code).toBe(1);
    expect(err).toMatch(/\/nonexistent\/hwnas-data: benchmark data directory does not exist/);
  });
});
