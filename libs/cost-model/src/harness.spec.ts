import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describeWithData } from '@hwnas/bench-core/testing';
import { evaluateCostModels, knownDeviceReferences, loadEvalSpace, newDevicesFromFile } from './harness';
import type { EvalSpaceData } from './harness';

describeWithData('cost-model harness on the FBNet device table', (dataDir) => {
  let data: EvalSpaceData;
  beforeAll(() => {
    data = loadEvalSpace(dataDir, 'fbnet');
  });

  it('scores one held-out device over all 5,000 architectures, above MACs alone', () => {
    const report = evaluateCostModels(data, { devices: ['titanx_32'], sampleCounts: [10], seeds: [0, 1], noiseVariance: 0.01 });
    expect(report.architectures).toBe(5000);
    expect(report.folds.map((f) => f.device)).toEqual(['titanx_32']);
    const fold = report.folds[0];
    expect(fold.runs).toHaveLength(2);
    const [row] = report.summary;
    expect(row).toMatchObject({ samples: 10, draws: 'random' });
    const macs = report.baselines.find((b) => b.name === 'macs')!;
    expect(row.spearman).toBeGreaterThan(0.9);
    expect(row.spearman).toBeGreaterThan(macs.spearman + 0.1);
    expect(row.mape).toBeLessThan(0.1);
    expect(report.baselines.map((b) => b.name)).toEqual(['macs', 'asic-eyeriss', 'fpga-zc706']);
    // Same seeds, same numbers.
    const again = evaluateCostModels(data, { devices: ['titanx_32'], sampleCounts: [10], seeds: [0, 1], noiseVariance: 0.01 });
    expect(again.summary[0].spearman).toBe(row.spearman);
  });

  it('evaluates a device the user brings, and rejects a file of another shape', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cost-model-'));
    // A made-up device: gold_6240's reference (its per-layer table, as FBNet's known devices enter
    // the references) with a fixed overhead and a different slope.
    const refs = knownDeviceReferences(data, data.table.devices);
    const gold = refs.columns[refs.names.indexOf('gold_6240')];
    const file = path.join(dir, 'mine.json');
    writeFileSync(file, JSON.stringify({ archs: data.table.archs, devices: { mine: { values: Array.from(gold, (v) => 3 + 1.5 * v) } } }));
    const [mine] = newDevicesFromFile(data.table, file);
    const report = evaluateCostModels(data, { newDevice: mine, sampleCounts: [10], seeds: [0], noiseVariance: 0.0003 });
    // With little noise assumed, ten samples single gold_6240 out among the 16 references.
    expect(report.folds[0].runs[0].spearman).toBeGreaterThan(0.99);
    const short = path.join(dir, 'short.json');
    writeFileSync(short, JSON.stringify({ archs: data.table.archs!.slice(0, 3), devices: { mine: { values: [1, 2, 3] } } }));
    expect(() => newDevicesFromFile(data.table, short)).toThrow(/has 3 architectures, the known fbnet table has 5000/);
  });
});
