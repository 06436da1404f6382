import { archKey, Benchmark, fbnetSpace, isNasError, Nb201Tables, nb201Space, NasError, Rng, sampleArch } from '@hwnas/bench-core';
import { describeWithData, rejectionOf } from '@hwnas/bench-core/testing';
import { calibrateWith } from './calibrate';
import { loadEvalSpace } from './harness';
import { storedCostModels } from './stored-cost-models';

describeWithData('storedCostModels', (dataDir) => {
  const tables = Nb201Tables.load(dataDir);
  const raspi4 = tables.column('cifar10', 'raspi4_latency');
  const store = new Map<string, unknown>();
  const models = storedCostModels({
    dataDir,
    read: async (device, bucket) => {
      const doc = store.get(`${bucket ?? 'models'}/${device}`);
      if (doc === undefined) throw new NasError(`no cost model for device "${device}"`, 'not_found');
      return doc;
    },
  });

  beforeAll(async () => {
    const data = loadEvalSpace(dataDir, 'nb201');
    store.set('models/raspi4', await calibrateWith('raspi4', async (arch) => raspi4[tables.indexOf(arch)], data, { samples: 10 }));
  }, 120_000);

  it('storedCostModels - loads a calibration as the search metric it predicts, with a summary', async () => {
    const model = await models.load({ device: 'raspi4', z: 2 }, { space: 'nb201', dataset: 'cifar10' });
    expect(model).toMatchObject({ device: 'raspi4', metric: 'raspi4_latency' });
    expect(model.summary).toMatch(/^10 measured nb201 architectures; closest references /);
    // The document survives a JSON round trip (it is journalled).
    expect(JSON.parse(JSON.stringify(model.document))).toEqual(model.document);
  });

  it('storedCostModels - warm prepares the references a screen uses; its screens predict as those of a store never warmed', async () => {
    const warmed = storedCostModels({ dataDir, read: async () => store.get('models/raspi4') });
    const first = warmed.warm();
    expect(warmed.warm()).toBe(first);
    expect(await first).toBeGreaterThanOrEqual(0);
    const model = await warmed.load({ device: 'raspi4', z: 2 }, { space: 'nb201', dataset: 'cifar10' });
    const screenOptions = { space: 'nb201', dataset: 'cifar10', bounds: [15], z: 2 };
    const arch = archKey(nb201Space, tables.index.archAt(1234));
    expect(warmed.screen(model, screenOptions).predict(arch)).toEqual(models.screen(model, screenOptions).predict(arch));
  });

  it('storedCostModels - refuses a model of another dataset, and passes the store not_found on', async () => {
    const e = await rejectionOf(models.load({ device: 'raspi4', z: 2 }, { space: 'nb201', dataset: 'cifar100' }));
    expect(isNasError(e) && e.code).toBe('invalid_argument');
    expect((e as Error).message).toMatch(/costModel: the model of raspi4 predicts nb201 cifar10 networks; the search is on nb201 cifar100/);
    expect(((await rejectionOf(models.load({ device: 'raspi4', z: 2 }, { space: 'fbnet', dataset: 'cifar100' }))) as Error).message).toBe('costModel: the model of raspi4 predicts nb201 cifar10 networks; the search is on fbnet cifar100');
    const missing = await rejectionOf(models.load({ device: 'pixel3', bucket: 'models', z: 2 }, { space: 'nb201', dataset: 'cifar10' }));
    expect(isNasError(missing) && missing.code).toBe('not_found');
  });

  it('storedCostModels - screens by arch string: the calibration cells are known, far cells predicted, near cells measured, records refit', async () => {
    const model = await models.load({ device: 'raspi4', z: 2 }, { space: 'nb201', dataset: 'cifar10' });
    const screen = models.screen(JSON.parse(JSON.stringify(model)), { space: 'nb201', dataset: 'cifar10', bounds: [15.7228], z: 2 });
    const keyOf = (row: number) => archKey(nb201Space, tables.index.archAt(row));
    const calibrated = (model.document as { measured: { row: number; value: number }[] }).measured[0];
    expect(screen.measured(keyOf(calibrated.row))).toBe(calibrated.value);
    const rows = [...Array(2000).keys()].map((i) => i * 7);
    const far = rows.find((r) => !screen.mustMeasure(keyOf(r)) && screen.measured(keyOf(r)) === undefined)!;
    const near = rows.find((r) => screen.mustMeasure(keyOf(r)))!;
    expect(far).toBeDefined();
    expect(near).toBeDefined();
    const before = screen.predict(keyOf(near));
    expect(before.std).toBeGreaterThan(0);
    expect(screen.optimistic(keyOf(near))).toBeLessThan(before.mean);
    screen.record(keyOf(near), raspi4[near]);
    expect(screen.measured(keyOf(near))).toBe(raspi4[near]);
    expect(screen.mustMeasure(keyOf(near))).toBe(false);
    expect(() => screen.predict('not-an-arch')).toThrow(/not-an-arch/);
  });

  it('storedCostModels - FBNet: screens any architecture of the space, not only the 5,000 of its table', async () => {
    const bench = Benchmark.open({ dataDir });
    const latency = (arch: readonly number[]) => bench.metricsOf(fbnetSpace, 'cifar100', arch).raspi4_latency;
    const data = loadEvalSpace(dataDir, 'fbnet');
    store.set('models/raspi4-fbnet', await calibrateWith('raspi4', async (arch) => latency(arch), data, { samples: 10 }));
    const fbnetModels = storedCostModels({ dataDir, read: async () => store.get('models/raspi4-fbnet') });
    const model = await fbnetModels.load({ device: 'raspi4', z: 2 }, { space: 'fbnet', dataset: 'cifar100' });
    expect(model.summary).toMatch(/^10 measured fbnet architectures/);
    const screen = fbnetModels.screen(model, { space: 'fbnet', dataset: 'cifar100', bounds: [29.9], z: 2 });
    const known = new Set(data.archs.map((a) => archKey(fbnetSpace, a)));
    const rng = new Rng(11);
    const outside = Array.from({ length: 40 }, () => sampleArch(fbnetSpace, rng)).filter((a) => !known.has(archKey(fbnetSpace, a)));
    expect(outside.length).toBeGreaterThan(30);
    // Predictions of networks never measured by any known device are close to the device's latency.
    const errors = outside.map((a) => Math.abs(screen.predict(archKey(fbnetSpace, a)).mean - latency(a)) / latency(a));
    expect(errors.reduce((x, y) => x + y, 0) / errors.length).toBeLessThan(0.1);
    // The same architecture asked again is the same row: a recorded measurement is known after.
    const key = archKey(fbnetSpace, outside[0]);
    const before = screen.predict(key);
    expect(screen.predict(key)).toEqual(before);
    screen.record(key, latency(outside[0]));
    expect(screen.measured(key)).toBe(latency(outside[0]));
    expect(screen.mustMeasure(key)).toBe(false);
  }, 120_000);
});
