import { InvalidArgumentError } from '@hwnas/bench-core';
import { parseCalibration } from '@hwnas/cost-model';
import type { CalibrationFile } from '@hwnas/cost-model';
import { connectNats, createNames, natsCredentialsFromEnv, NatsCostModelStore, RemoteDeviceClient } from '@hwnas/transport-nats';

/**
 * One device reached through its device agent over NATS, for the commands that learn and use its
 * cost model (`hwnas calibrate --nats`, `hwnas search --cost-model ID --nats`): measurements by
 * request/reply (`<prefix>.device.ID.measure`) and the calibrations in a JetStream key-value bucket.
 * Owns its connection: call {@link close}.
 */
export interface DeviceAgentSession {
  readonly device: string;
  /** The cluster's cost-model bucket, `<prefix>-cost-models` (the default of `--bucket`). */
  readonly defaultBucket: string;
  /** Measures `arch` (its canonical key) on the device: the value of `metric`, e.g. `latency_ms`. */
  measure(space: string, dataset: string, arch: string, metric: string): Promise<number>;
  /** Stores a calibration of the device in `bucket` under the device's id; returns the revision. */
  putCalibration(bucket: string, calibration: CalibrationFile): Promise<number>;
  /** The device's calibration stored in `bucket`, checked (CostModelNotFoundError when absent). */
  readCalibration(bucket: string): Promise<CalibrationFile>;
  close(): Promise<void>;
}

/**
 * Connects to the NATS server(s) at `url` (comma-separated; credentials from the environment as for
 * the other apps) for `device`, whose agent serves under the subject prefix `prefix` (default
 * `hwnas`, as the agents' --prefix; InvalidArgumentError for one that is not a lower-case token). The agent answers in HW-NAS-Bench naming (`raspi4_latency`,
 * `eyeriss_energy`): `latency_ms` is read from its `*_latency` metric and `energy_mj` from its
 * `*_energy` one when it does not report the metric under its own name. `who` names the command in
 * the connection name and in errors.
 */
export async function connectDeviceAgent(url: string, device: string, who: string, prefix?: string): Promise<DeviceAgentSession> {
  const names = createNames(prefix);
  const nc = await connectNats({ servers: url.split(','), name: `${who.replace(/\s+/g, '-')}-${device}`, credentials: natsCredentialsFromEnv(process.env, who) });
  const client = new RemoteDeviceClient({ nc, names });
  return {
    device,
    defaultBucket: names.costModelBucket,
    async measure(space, dataset, arch, metric) {
      const suffix = metric === 'latency_ms' ? '_latency' : metric === 'energy_mj' ? '_energy' : undefined;
      const m = await client.measure(device, { space, dataset, arch });
      const name = m[metric] !== undefined ? metric : Object.keys(m).find((k) => suffix !== undefined && k.endsWith(suffix));
      const value = name === undefined ? undefined : m[name];
      if (!(typeof value === 'number' && value > 0)) throw new InvalidArgumentError(`${who}: device agent ${device} returned no positive "${metric}" (it has ${Object.keys(m).join(', ')})`);
      return value;
    },
    putCalibration: (bucket, calibration) => new NatsCostModelStore(nc, bucket).put(device, calibration),
    async readCalibration(bucket) {
      return parseCalibration(await new NatsCostModelStore(nc, bucket).get(device), `${bucket}/${device}`);
    },
    close: () => nc.close(),
  };
}
