import { archKey, fbnetSpace, nb201Space, Rng, sampleArch } from '@hwnas/bench-core';
import { describeWithData } from '@hwnas/bench-core/testing';
import { knownDeviceReferences, loadEvalSpace, referenceValuesOf } from './harness';
import { FittedCostModel } from './model';
import { SpaceReferences } from './space-references';

describeWithData('SpaceReferences', (dataDir) => {
  it('FBNet: table architectures keep their rows; others are appended with their references, and fits keep the table-row column means', () => {
    const data = loadEvalSpace(dataDir, 'fbnet');
    const names = ['titanx_32', 'gold_6240', 'macs'];
    const refs = new SpaceReferences(data, names);
    const all = knownDeviceReferences(data, data.table.devices);
    expect(refs.size).toBe(5000);
    expect(refs.statRows).toBe(5000);
    expect(refs.rowOf(data.archs[123])).toBe(123);
    // Columns in the order of the whole reference set, with the table's values.
    expect(refs.names).toEqual(all.names.filter((n) => names.includes(n)));
    const samples = [10, 20, 30, 40, 50].map((row) => ({ row, value: 1 + row / 100 }));
    const fitBefore = FittedCostModel.fit('dev', refs, samples).toJSON();

    const known = new Set(data.archs.map((a) => archKey(fbnetSpace, a)));
    const rng = new Rng(5);
    const outside = Array.from({ length: 100 }, () => sampleArch(fbnetSpace, rng)).filter((a) => !known.has(archKey(fbnetSpace, a)));
    const rows = outside.map((a) => refs.rowOf(a));
    expect(rows).toEqual(outside.map((_, k) => 5000 + k));
    expect(refs.size).toBe(5000 + outside.length);
    expect(refs.rowOf(outside[3])).toBe(5003);
    expect(refs.archAt(5003)).toEqual(outside[3]);
    expect(refs.names.map((_, k) => refs.columns[k][5003])).toEqual(referenceValuesOf(data, refs.names, outside[3]));
    for (let k = 0; k < refs.names.length; k++) expect(refs.columns[k][123]).toBe(all.columns[all.names.indexOf(refs.names[k])][123]);
    // Growing past the first block of spare rows keeps every value.
    expect(refs.columns[0].length).toBeGreaterThanOrEqual(refs.size);
    expect(FittedCostModel.fit('dev', refs, samples).toJSON()).toEqual(fitBefore);

    // A model that predicted before the columns grew predicts the rows added after, as a new one does.
    const model = FittedCostModel.fit('dev', refs, samples);
    const first = model.predictRow(refs, rows[0]);
    const capacity = refs.columns[0].length;
    const more: number[] = [];
    while (refs.size <= capacity) {
      const a = sampleArch(fbnetSpace, rng);
      if (!known.has(archKey(fbnetSpace, a))) more.push(refs.rowOf(a));
    }
    expect(refs.columns[0].length).toBeGreaterThan(capacity);
    const last = more[more.length - 1];
    expect(model.predictRow(refs, last)).toEqual(FittedCostModel.fit('dev', refs, samples).predictRow(refs, last));
    expect(Number.isFinite(model.predictRow(refs, last).mean)).toBe(true);
    expect(model.predictRow(refs, rows[0])).toEqual(first);
  });

  it('NB201: every cell is a table row; nothing is appended', () => {
    const data = loadEvalSpace(dataDir, 'nb201');
    const refs = new SpaceReferences(data, ['macs']);
    const arch = sampleArch(nb201Space, new Rng(2));
    const row = refs.rowOf(arch);
    expect(row).toBeLessThan(15625);
    expect(refs.archAt(row)).toEqual(arch);
    expect(refs.size).toBe(15625);
    expect(() => new SpaceReferences(data, ['no-such-device'])).toThrow(/no-such-device not among the nb201 references/);
  });
});
