import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Benchmark } from '@hwnas/bench-core';
import { describeWithData } from '@hwnas/bench-core/testing';
import { createReplayBackend, REPLAY_DEVICE_IDS } from './replay';
import type { ReplayDeviceId } from './replay';

interface Reference {
  nasbench201: { indices: number[]; values: Record<string, Record<string, number>[]> };
  fbnet: ({ arch: number[] } & Record<string, Record<string, number>>)[];
}

describeWithData('replay backends', (dataDir) => {
  const benchmark = Benchmark.open({ dataDir });
  const reference = JSON.parse(readFileSync(path.join(dataDir, 'hw-nas-bench', 'reference-values.json'), 'utf8')) as Reference;

  it('replay - describe() lists exactly what this data copy holds for each device', () => {
    const infos = Object.fromEntries(REPLAY_DEVICE_IDS.map((d) => [d, createReplayBackend(benchmark, d).describe()]));
    const fbnet = { space: 'fbnet', datasets: ['cifar100', 'ImageNet'] };
    expect(infos.raspi4.supports).toEqual([{ space: 'nb201', datasets: ['cifar10'] }, fbnet]);
    expect(infos.pixel3.supports).toEqual([{ space: 'nb201', datasets: ['cifar10'] }, fbnet]);
    // No NB201 edgegpu column in this copy of the data: FBNet only.
    expect(infos.edgegpu.supports).toEqual([fbnet]);
    expect(infos.raspi4.metrics.map((m) => m.name)).toEqual(['latency_ms']);
    expect(infos.edgegpu.metrics.map((m) => [m.name, m.unit])).toEqual([
      ['latency_ms', 'ms'],
      ['energy_mj', 'mJ'],
    ]);
    for (const d of REPLAY_DEVICE_IDS) expect(infos[d]).toMatchObject({ id: d, kind: 'replay', metricPrefix: d });
  });

  it.each(['raspi4', 'pixel3'] as const)('replay %s - reproduces reference-values.json for NB201 cifar10 exactly', async (device) => {
    const backend = createReplayBackend(benchmark, device);
    for (const [k, index] of reference.nasbench201.indices.entries()) {
      const arch = benchmark.nb201.index.archAt(index);
      const m = await backend.measure({ space: 'nb201', dataset: 'cifar10', arch });
      expect(m.metrics).toEqual({ latency_ms: reference.nasbench201.values.cifar10[k][`${device}_latency`] });
      expect(m.method).toMatchObject({ kind: 'replay', repeats: 1, spread: 0 });
    }
  });

  it.each(REPLAY_DEVICE_IDS.map((d) => [d]))('replay %s - reproduces reference-values.json for every FBNet arch and dataset exactly', async (device: ReplayDeviceId) => {
    const backend = createReplayBackend(benchmark, device);
    let checked = 0;
    for (const ref of reference.fbnet) {
      for (const dataset of ['cifar100', 'ImageNet']) {
        const m = await backend.measure({ space: 'fbnet', dataset, arch: ref.arch });
        const want: Record<string, number> = { latency_ms: ref[dataset][`${device}_latency`] };
        if (ref[dataset][`${device}_energy`] !== undefined) want.energy_mj = ref[dataset][`${device}_energy`];
        expect(m.metrics).toEqual(want);
        checked++;
      }
    }
    expect(checked).toBe(6);
  });

  it('replay - rejects NB201 datasets the data has no column for, with the supported list', async () => {
    const edgegpu = createReplayBackend(benchmark, 'edgegpu');
    await expect(edgegpu.measure({ space: 'nb201', dataset: 'cifar10', arch: [3, 3, 3, 3, 3, 3] })).rejects.toMatchObject({
      code: 'invalid_argument',
      message: 'device edgegpu has no nb201 data; it serves fbnet (cifar100, ImageNet)',
    });
    const raspi4 = createReplayBackend(benchmark, 'raspi4');
    await expect(raspi4.measure({ space: 'nb201', dataset: 'cifar100', arch: [3, 3, 3, 3, 3, 3] })).rejects.toThrow(/unknown dataset "cifar100" for search space nb201; known datasets: cifar10$/);
  });

  describe('with a user table', () => {
    let dir: string;
    beforeAll(() => {
      // A data directory whose NB201 cifar100 table adds edgegpu values for two architectures.
      dir = mkdtempSync(path.join(tmpdir(), 'hwnas-replay-'));
      mkdirSync(path.join(dir, 'hw-nas-bench'));
      for (const f of ['nb201-archs.json', 'fbnet-lut.json']) copyFileSync(path.join(dataDir, 'hw-nas-bench', f), path.join(dir, 'hw-nas-bench', f));
      const records = [0, 1].map((i) => ({ index: i, arch: benchmark.nb201.archString(i), ...reference.nasbench201.values.cifar100[i] }));
      writeFileSync(path.join(dir, 'hw-nas-bench', 'nb201-cifar100.json'), JSON.stringify({ records }));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('replay - serves an NB201 column a user table adds, and says which value is missing', async () => {
      const backend = createReplayBackend(Benchmark.open({ dataDir: dir }), 'edgegpu');
      expect(backend.describe().supports).toEqual([
        { space: 'nb201', datasets: ['cifar100'] },
        { space: 'fbnet', datasets: ['cifar100', 'ImageNet'] },
      ]);
      const m = await backend.measure({ space: 'nb201', dataset: 'cifar100', arch: benchmark.nb201.index.archAt(1) });
      expect(m.metrics).toEqual({ latency_ms: reference.nasbench201.values.cifar100[1].edgegpu_latency, energy_mj: reference.nasbench201.values.cifar100[1].edgegpu_energy });
      await expect(backend.measure({ space: 'nb201', dataset: 'cifar100', arch: benchmark.nb201.index.archAt(2) })).rejects.toMatchObject({ code: 'not_found', name: 'ReplayValueMissingError' });
    });

    it('replay - a data directory with nothing for the device is an error at creation', () => {
      const empty = mkdtempSync(path.join(tmpdir(), 'hwnas-replay-empty-'));
      // The directory alone: the data pack behind it would otherwise serve raspi4.
      const savedPack = process.env.HWNAS_PACK;
      process.env.HWNAS_PACK = 'off';
      try {
        expect(() => createReplayBackend(Benchmark.open({ dataDir: empty }), 'raspi4')).toThrow(/holds no raspi4_latency values/);
      } finally {
        if (savedPack === undefined) delete process.env.HWNAS_PACK;
        else process.env.HWNAS_PACK = savedPack;
        rmSync(empty, { recursive: true, force: true });
      }
    });
  });
});
