import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { archKey, getSpace, InvalidArgumentError, resolveDataDir } from '@hwnas/bench-core';
import type { SpaceId } from '@hwnas/bench-core';
import { createBackend } from '@hwnas/device-backends';
import { calibrateDevice, calibrateWith, loadEvalSpace } from '@hwnas/cost-model';
import { COST_MODEL_BUCKET } from '@hwnas/transport-nats';
import { DATA_OPTION, intOption, parseCommandArgs, required } from '../args';
import type { Command } from '../command';
import { connectDeviceAgent } from '../device-agent';

const USAGE = `hwnas calibrate --device ID --samples K (--out FILE | --nats URL [--prefix P] [--bucket B] [--out FILE])
                [--space nb201|fbnet] [--seed S] [--metric latency_ms] [--data DIR] [--json]

  Learns a device from K measurements: measures K architectures of the space's device table
  (NAS-Bench-201 CIFAR-10 cells, HELP's ten probe indices first; or FBNet CIFAR-100 networks of
  its 5,000) on a device backend in this process (see hwnas devices), then random ones from
  --seed, fits the cost model against the 13 known devices, MACs and both simulators, and stores
  the measurements and the model in FILE (JSON, format hwnas-calibration/1). The prediction is
  named <metric>_pred (e.g. latency_ms_pred).

  --space      the search space the model predicts (default nb201); a screened search
               (hwnas search --cost-model) must be on the same space

  --nats URL   measure through the device agent serving ID on that NATS server (request/reply,
               P.device.ID.measure) instead of a backend in this process, and store the
               calibration in the JetStream key-value bucket B (default P-cost-models, i.e.
               ${COST_MODEL_BUCKET}) under the key ID, where a coordinator with the same --prefix
               finds it. Credentials come from the environment as for the other apps.
  --prefix P   the cluster's NATS subject prefix, as its agents' and coordinator's --prefix
               (default hwnas)`;

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
      space: { type: 'string', default: 'nb201' },
      out: { type: 'string' },
      nats: { type: 'string' },
      prefix: { type: 'string' },
      bucket: { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    const device = required('calibrate', values, 'device');
    const spaceId = values.space as string;
    if (spaceId !== 'nb201' && spaceId !== 'fbnet') throw new InvalidArgumentError(`hwnas calibrate: --space must be nb201 or fbnet, got "${spaceId}"`);
    const samples = intOption('calibrate', 'samples', required('calibrate', values, 'samples'), 1, spaceId === 'nb201' ? 15625 : 5000)!;
    const seed = intOption('calibrate', 'seed', values.seed as string)!;
    const natsUrl = values.nats as string | undefined;
    if (natsUrl === undefined && (values.prefix !== undefined || values.bucket !== undefined)) throw new InvalidArgumentError('hwnas calibrate: --prefix and --bucket go with --nats URL (the cluster whose key-value bucket stores the calibration)');
    const out = natsUrl === undefined || values.out !== undefined ? path.resolve(required('calibrate', values, 'out')) : undefined;
    const dataDir = resolveDataDir(values.data as string | undefined);
    const metric = values.metric as string;
    const remote = natsUrl === undefined ? undefined : await connectDeviceAgent(natsUrl, device, 'hwnas calibrate', values.prefix as string | undefined);
    const bucket = (values.bucket as string | undefined) ?? remote?.defaultBucket;
    const backend = remote ? undefined : createBackend(device, { dataDir });
    try {
      const data = loadEvalSpace(dataDir, spaceId as SpaceId);
      const space = getSpace(data.space);
      const t0 = performance.now();
      const calibration = remote ? await calibrateWith(device, (arch) => remote.measure(data.space, data.dataset, archKey(space, arch), metric), data, { samples, seed, metric }) : await calibrateDevice(backend!, data, { samples, seed, metric });
      const seconds = (performance.now() - t0) / 1000;
      const stored = remote ? { bucket: bucket!, revision: await remote.putCalibration(bucket!, calibration) } : undefined;
      if (out !== undefined) {
        mkdirSync(path.dirname(out), { recursive: true });
        writeFileSync(out, JSON.stringify(calibration, null, 1) + '\n');
      }
      if (values.json) {
        io.out(JSON.stringify({ ...(out !== undefined ? { file: out } : {}), ...(stored ? { stored } : {}), seconds, ...calibration }));
      } else {
        const weights = [...calibration.model.terms].sort((a, b) => b.weight - a.weight).slice(0, 3);
        io.out(
          [
            `calibrated ${calibration.device} (${calibration.metric}) from ${calibration.measured.length} measured ${data.space === 'nb201' ? 'NAS-Bench-201' : 'FBNet'} architectures in ${seconds.toFixed(1)} s`,
            `closest references: ${weights.map((t) => `${t.name} ${(100 * t.weight).toFixed(0)} %`).join(', ')}`,
            `predicted metric ${calibration.predictedMetric}; model ${[out !== undefined ? `written to ${out}` : '', stored ? `stored in bucket ${stored.bucket} under ${device} (revision ${stored.revision})` : ''].filter(Boolean).join(' and ')}`,
          ].join('\n'),
        );
      }
      return 0;
    } finally {
      await backend?.close();
      await remote?.close();
    }
  },
};
