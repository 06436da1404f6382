import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { resolveDataDir } from '@hwnas/bench-core';
import { createBackend } from '@hwnas/device-backends';
import { calibrateDevice, loadEvalSpace } from '@hwnas/cost-model';
import { DATA_OPTION, intOption, parseCommandArgs, required } from '../args';
import type { Command } from '../command';

const USAGE = `hwnas calibrate --device ID --samples K --out FILE [--seed S] [--metric latency_ms] [--data DIR] [--json]

  Learns a device from K measurements: measures K NAS-Bench-201 (CIFAR-10) architectures on a
  device backend in this process (see hwnas devices), HELP's ten probe indices first and then
  random ones from --seed, fits the cost model against the 13 known devices, MACs and both
  simulators, and stores the measurements and the model in FILE (JSON, format
  hwnas-calibration/1). The prediction is named <metric>_pred (e.g. latency_ms_pred).`;

/** `hwnas calibrate`: measure K probe architectures on a device and store its fitted cost model. */
export const calibrateCommand: Command = {
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommandArgs('calibrate', argv, {
      ...DATA_OPTION,
      device: { type: 'string' },
      samples: { type: 'string' },
      seed: { type: 'string', default: '0' },
      metric: { type: 'string', default: 'latency_ms' },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    const device = required('calibrate', values, 'device');
    const samples = intOption('calibrate', 'samples', required('calibrate', values, 'samples'), 1, 15625)!;
    const seed = intOption('calibrate', 'seed', values.seed as string)!;
    const out = path.resolve(required('calibrate', values, 'out'));
    const dataDir = resolveDataDir(values.data as string | undefined);
    const backend = createBackend(device, { dataDir });
    try {
      const data = loadEvalSpace(dataDir, 'nb201');
      const t0 = performance.now();
      const calibration = await calibrateDevice(backend, data, { samples, seed, metric: values.metric as string });
      const seconds = (performance.now() - t0) / 1000;
      mkdirSync(path.dirname(out), { recursive: true });
      writeFileSync(out, JSON.stringify(calibration, null, 1) + '\n');
      if (values.json) {
        io.out(JSON.stringify({ file: out, seconds, ...calibration }));
      } else {
        const weights = [...calibration.model.terms].sort((a, b) => b.weight - a.weight).slice(0, 3);
        io.out(
          [
            `calibrated ${calibration.device} (${calibration.metric}) from ${calibration.measured.length} measured NAS-Bench-201 architectures in ${seconds.toFixed(1)} s`,
            `closest references: ${weights.map((t) => `${t.name} ${(100 * t.weight).toFixed(0)} %`).join(', ')}`,
            `predicted metric ${calibration.predictedMetric}; model written to ${out}`,
          ].join('\n'),
        );
      }
      return 0;
    } finally {
      await backend.close();
    }
  },
};
