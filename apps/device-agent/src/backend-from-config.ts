import type { DeviceBackend } from '@hwnas/device-backends';
import { createBackend } from '@hwnas/device-backends';
import type { AgentConfig } from './config';

/**
 * The backend an agent configuration names, from the device-backends registry. Replay devices
 * read `dataDir` (else `$HWNAS_DATA`). Throws UnknownDeviceError, or BenchmarkDataError when a
 * replay device has no data.
 */
export function backendFromConfig(cfg: AgentConfig): DeviceBackend {
  return createBackend(cfg.device, {
    dataDir: cfg.dataDir,
    hostCpu: { threads: cfg.threads, warmup: cfg.warmup, repeats: cfg.repeats },
  });
}
