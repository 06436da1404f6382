import { AckPolicy, DeliverPolicy, ReplayPolicy } from '@nats-io/jetstream';
import type { ConsumerConfig, JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { jetStreamErrorCode } from './nats-errors';

const CONSUMER_NOT_FOUND = 10014;

/** The settings of a shared durable pull consumer that hwnas chooses per use. */
export interface DurableSettings {
  readonly name: string;
  readonly ackWaitMs: number;
  /** -1 for unlimited. */
  readonly maxDeliver: number;
  readonly maxAckPending: number;
}

/**
 * Creates the durable pull consumer (explicit ack, from the start of the stream), or updates
 * `ack_wait`, `max_deliver` and `max_ack_pending` when it exists with other values: the last
 * process to start decides them, which is what a rolling deployment with new settings wants.
 * Concurrent creation with the same settings is harmless (the server treats it as a no-op).
 */
export async function ensureDurableConsumer(jsm: JetStreamManager, stream: string, s: DurableSettings): Promise<void> {
  const wanted: Partial<ConsumerConfig> = {
    durable_name: s.name,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    replay_policy: ReplayPolicy.Instant,
    ack_wait: nanos(s.ackWaitMs),
    max_deliver: s.maxDeliver,
    max_ack_pending: s.maxAckPending,
  };
  let have: ConsumerConfig;
  try {
    have = (await jsm.consumers.info(stream, s.name)).config;
  } catch (e) {
    if (jetStreamErrorCode(e) !== CONSUMER_NOT_FOUND) throw e;
    await jsm.consumers.add(stream, wanted);
    return;
  }
  if (have.ack_wait !== wanted.ack_wait || have.max_deliver !== wanted.max_deliver || have.max_ack_pending !== wanted.max_ack_pending) {
    await jsm.consumers.update(stream, s.name, { ack_wait: wanted.ack_wait, max_deliver: wanted.max_deliver, max_ack_pending: wanted.max_ack_pending });
  }
}
