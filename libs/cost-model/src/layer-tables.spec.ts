import { fbnetSpace, Rng, sampleArch } from '@hwnas/bench-core';
import { describeWithData } from '@hwnas/bench-core/testing';
import { knownDeviceReferences, loadEvalSpace } from './harness';
import { LayerTable } from './layer-tables';
import { spearman } from './stats';

describe('LayerTable', () => {
  it('recovers an exactly additive latency, on architectures it was not fitted on too', () => {
    const rng = new Rng(3);
    // A cost per (layer, block), as HW-NAS-Bench composes FBNet latency.
    const perLayer = fbnetSpace.decisions.map((d) => d.options.map(() => 0.1 + rng.next()));
    const latency = (arch: readonly number[]) => 2 + arch.reduce((s, o, layer) => s + perLayer[layer][o], 0);
    const fitted = Array.from({ length: 400 }, () => sampleArch(fbnetSpace, rng));
    const table = new LayerTable(fbnetSpace, fitted, fitted.map(latency));
    for (let k = 0; k < 20; k++) {
      const arch = sampleArch(fbnetSpace, rng);
      expect(table.predict(arch)).toBeCloseTo(latency(arch), 4);
    }
  });

  it('never predicts below half the cheapest measurement', () => {
    const rng = new Rng(4);
    const archs = Array.from({ length: 300 }, () => sampleArch(fbnetSpace, rng));
    // Latency driven by the first layer only, so extrapolating lines would go negative elsewhere.
    const values = archs.map((a) => (a[0] === 0 ? 0.01 : 5 + 10 * a[1]));
    const table = new LayerTable(fbnetSpace, archs, values);
    for (let k = 0; k < 200; k++) expect(table.predict(sampleArch(fbnetSpace, rng))).toBeGreaterThanOrEqual(0.005);
  });
});

describeWithData('knownDeviceReferences', (dataDir) => {
  it('FBNet: known devices enter as their per-layer tables; NB201: as measured', () => {
    const fbnet = loadEvalSpace(dataDir, 'fbnet');
    const devices = fbnet.table.devices.filter((d) => d.name !== 'titanx_32');
    const refs = knownDeviceReferences(fbnet, devices);
    expect(refs.names).toEqual([...devices.map((d) => d.name), ...fbnet.computed.map((c) => c.name)]);
    const k = refs.names.indexOf('samsung_s7');
    const raw = devices.find((d) => d.name === 'samsung_s7')!.latencyMs;
    // Whole milliseconds in the table, a continuous table prediction in the reference.
    expect(Array.from(raw).every((v) => Number.isInteger(v))).toBe(true);
    expect(Array.from(refs.columns[k]).some((v) => !Number.isInteger(v))).toBe(true);
    expect(spearman(refs.columns[k], raw)).toBeGreaterThan(0.7);
    expect(knownDeviceReferences(fbnet, devices).columns[k]).toEqual(refs.columns[k]);
    const nb201 = loadEvalSpace(dataDir, 'nb201');
    const nbRefs = knownDeviceReferences(nb201, nb201.table.devices);
    expect(Array.from(nbRefs.columns[0])).toEqual(Array.from(nb201.table.devices[0].latencyMs));
  });
});
