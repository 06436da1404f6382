/**
 * @hwnas/device-backends: the device-backend interface and the in-process backends that implement
 * it: two analytical cost simulators (`asic-eyeriss`, `fpga-zc706`), a real measurement on the
 * host CPU with ONNX Runtime (`host-cpu`), and replays of the HW-NAS-Bench devices (`raspi4`,
 * `pixel3`, `edgegpu`), all behind one typed registry (`createBackend`). The pure `simulate*`
 * functions are exported too, for bulk runs that should not pay for promises.
 */
export type { DeviceBackend, DeviceInfo, DeviceKind, DeviceMetric, DeviceSupport, MeasureRequest, Measurement, MeasurementMethod, LayerBreakdown } from './backend';
export { LATENCY_ENERGY_METRICS } from './backend';
export { BackendClosedError, MeasurementCancelledError, UnknownDeviceError, ReplayValueMissingError } from './errors';
export { createEyerissBackend, EYERISS_DEVICE_ID } from './asic-eyeriss';
export type { EyerissBackendOptions } from './asic-eyeriss';
export { createFpgaBackend, FPGA_DEVICE_ID } from './fpga-zc706';
export type { FpgaBackendOptions } from './fpga-zc706';
export { createHostCpuBackend, HOST_CPU_DEVICE_ID } from './host-cpu';
export type { HostCpuBackendOptions } from './host-cpu';
export { createReplayBackend, REPLAY_DEVICE_IDS } from './replay';
export type { ReplayDeviceId } from './replay';
export { InProcessDevices } from './in-process-devices';
export {
  createBackend,
  BACKEND_IDS,
  isBackendId,
  backendTraits,
  deviceMetricInfos,
  searchMetricName,
  deviceSearchMetric,
  toSearchMetrics,
  registeredAs,
  deviceIdProblem,
  possibleDeviceMetricInfos,
  DEVICE_ID_PATTERN,
  MAX_DEVICE_ID_LENGTH,
  RESERVED_METRIC_PREFIXES,
} from './registry';
export type { BackendId, CreateBackendOptions } from './registry';
export { simulateEyeriss, eyerissConfig, EYERISS_CONFIG } from './eyeriss';
export type { EyerissConfig, EyerissEnergyTable, EyerissResult, EyerissLayerBreakdown, EyerissEnergySplit, EyerissBound, MemoryAccesses, SimulateOptions } from './eyeriss';
export { simulateFpga, fpgaConfig, FPGA_ZC706_CONFIG } from './fpga';
export type { FpgaConfig, FpgaPowerModel, FpgaResult, FpgaLayerBreakdown, FpgaEnergySplit, FpgaBound } from './fpga';
