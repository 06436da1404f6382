import type { DeviceBackend, DeviceInfo } from './backend';
import { LATENCY_ENERGY_METRICS } from './backend';
import type { FpgaConfig, FpgaPowerModel } from './fpga';
import { fpgaConfig, simulateFpga } from './fpga';
import { allSpacesSupport, createSimulatorBackend } from './simulator-backend';

/** Device id of the ZC706 FPGA simulator. */
export const FPGA_DEVICE_ID = 'fpga-zc706';

/** Options of {@link createFpgaBackend}. */
export interface FpgaBackendOptions {
  /**
   * Overrides of {@link FPGA_ZC706_CONFIG} (default: none, the ZC706 / XC7Z045 model). The
   * power model is merged key by key.
   */
  readonly config?: Partial<Omit<FpgaConfig, 'power'>> & { power?: Partial<FpgaPowerModel> };
}

/**
 * The `fpga-zc706` backend: {@link simulateFpga} behind the {@link DeviceBackend} interface.
 * Reports `latency_ms` and `energy_mj` for every NB201 and FBNet dataset. Throws
 * InvalidArgumentError at creation for an invalid config override.
 */
export function createFpgaBackend(opts: FpgaBackendOptions = {}): DeviceBackend {
  const config = fpgaConfig(opts.config);
  const info: DeviceInfo = Object.freeze({
    id: FPGA_DEVICE_ID,
    kind: 'simulated',
    metricPrefix: 'fpga',
    description:
      `Analytical model of a chunk-based pipelined accelerator on a ZC706 (XC7Z045: ${config.dspCount} DSP48E1, ` +
      `${config.bram36Count} BRAM36, ${config.ddrBytesPerSec / 1e9} GB/s DDR3 peak at ${config.ddrEfficiency * 100}% efficiency, ` +
      `${config.clockHz / 1e6} MHz, ${config.wordBytes * 8}-bit fixed point). Consecutive blocks form chunks of at most ` +
      `${config.maxStagesPerChunk} pipeline stages whose weights and line buffers fit on chip; DSPs are split among a chunk's ` +
      'layers in proportion to their MACs; a stage takes the longer of its compute and its DDR traffic; chunks run one after ' +
      'another, each loading its weights first. Energy = static power x time + per-MAC, per-op and per-bit DDR energy + clock ' +
      'and BRAM power of the running chunk (XPE-class ballpark constants, not fitted).',
    metrics: LATENCY_ENERGY_METRICS,
    supports: allSpacesSupport(),
  });
  return createSimulatorBackend({
    info,
    note: 'analytical chunk-pipelined FPGA model (ZC706); deterministic',
    simulate: (ir, breakdown) => simulateFpga(ir, config, { breakdown }),
  });
}
