import type { DeviceBackend, DeviceInfo } from './backend';
import { LATENCY_ENERGY_METRICS } from './backend';
import type { EyerissConfig, EyerissEnergyTable } from './eyeriss';
import { eyerissConfig, simulateEyeriss } from './eyeriss';
import { allSpacesSupport, createSimulatorBackend } from './simulator-backend';

/** Device id of the Eyeriss simulator. */
export const EYERISS_DEVICE_ID = 'asic-eyeriss';

/** Options of {@link createEyerissBackend}. */
export interface EyerissBackendOptions {
  /**
   * Overrides of {@link EYERISS_CONFIG} (default: none, the published Eyeriss v1 constants).
   * The energy table is merged key by key.
   */
  readonly config?: Partial<Omit<EyerissConfig, 'normalizedEnergy'>> & { normalizedEnergy?: Partial<EyerissEnergyTable> };
}

/**
 * The `asic-eyeriss` backend: {@link simulateEyeriss} behind the {@link DeviceBackend} interface.
 * Reports `latency_ms` and `energy_mj` for every NB201 and FBNet dataset. Throws
 * InvalidArgumentError at creation for an invalid config override.
 */
export function createEyerissBackend(opts: EyerissBackendOptions = {}): DeviceBackend {
  const config = eyerissConfig(opts.config);
  const info: DeviceInfo = Object.freeze({
    id: EYERISS_DEVICE_ID,
    kind: 'simulated',
    metricPrefix: 'eyeriss',
    description:
      `Analytical model of the Eyeriss v1 row-stationary ASIC (${config.peRows}x${config.peCols} PEs, ` +
      `${config.glbBytes / 1024} kB global buffer, ${config.filterSpadWords}/${config.ifmapSpadWords}/${config.psumSpadWords}-word ` +
      `filter/ifmap/psum scratchpads, ${config.wordBytes * 8}-bit, ${config.clockHz / 1e6} MHz, ${config.dramBytesPerSec / 1e6} MB/s DRAM). ` +
      'Layers run one at a time: conv, depthwise/group conv, FC and pooling are mapped with the row-stationary dataflow, ' +
      'element-wise layers stream through the array, DRAM traffic depends on what fits the global buffer. Energy from the ' +
      'ISCA 2016 normalized access costs (MAC 1, RF 1, NoC 2, GLB 6, DRAM 200; 1 unit = 2 pJ) plus 30 mW idle power. ' +
      'Built from published architecture constants only.',
    metrics: LATENCY_ENERGY_METRICS,
    supports: allSpacesSupport(),
  });
  return createSimulatorBackend({
    info,
    note: 'analytical row-stationary model of Eyeriss v1; deterministic',
    simulate: (ir, breakdown) => simulateEyeriss(ir, config, { breakdown }),
  });
}
