import { InvalidArgumentError, NasError } from '@hwnas/bench-core';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { toNasError } from './nats-errors';
import { createNames } from './subjects';

/**
 * The JetStream key-value bucket that holds calibrated cost models, one key per device, under the
 * default prefix (`hwnas-cost-models`; a cluster with a prefix of its own uses `<prefix>-cost-models`).
 */
export const COST_MODEL_BUCKET = createNames().costModelBucket;

/** A calibrated cost model the store does not have. */
export class CostModelNotFoundError extends NasError {
  constructor(device: string, bucket: string) {
    super(`no cost model for device "${device}" in bucket ${bucket}`, 'not_found');
  }
}

const KEY = /^[-_=.a-zA-Z0-9]+$/;

function checkKey(device: string): void {
  if (!KEY.test(device) || device.startsWith('.') || device.endsWith('.')) throw new InvalidArgumentError(`cost model store: device id "${device}" is not a valid key (letters, digits, - _ = .)`);
}

/**
 * Calibrated cost models on a cluster: a JetStream key-value bucket (created on first use) keyed by
 * device id, the value being the calibration document as JSON. The caller owns the connection.
 */
export class NatsCostModelStore {
  constructor(
    private readonly nc: NatsConnection,
    readonly bucket: string = COST_MODEL_BUCKET,
  ) {}

  /** Stores `doc` for `device`, replacing an earlier model; returns the revision. */
  async put(device: string, doc: unknown): Promise<number> {
    checkKey(device);
    try {
      const kv = await new Kvm(this.nc).create(this.bucket, { history: 5 });
      return await kv.put(device, JSON.stringify(doc));
    } catch (e) {
      throw toNasError(e, `cost model store ${this.bucket}: storing ${device}`);
    }
  }

  /** The stored document of `device`; CostModelNotFoundError when there is none. */
  async get(device: string): Promise<unknown> {
    checkKey(device);
    let entry;
    try {
      const kv = await new Kvm(this.nc).create(this.bucket, { history: 5 });
      entry = await kv.get(device);
    } catch (e) {
      // JetStream down or restarting: `unavailable` (retryable), not an internal failure.
      throw toNasError(e, `cost model store ${this.bucket}: reading ${device}`);
    }
    if (!entry || entry.operation !== 'PUT' || entry.value.length === 0) throw new CostModelNotFoundError(device, this.bucket);
    return entry.json();
  }
}
