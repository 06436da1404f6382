import { InvalidArgumentError } from '@hwnas/bench-core';

/**
 * Every NATS subject, stream and consumer name hwnas uses, in one place.
 *
 * Layout for the default prefix `hwnas`:
 *
 * | what                         | name                                   |
 * | ---------------------------- | -------------------------------------- |
 * | evaluation tasks (work queue)| stream `HWNAS_EVAL`, subjects `hwnas.eval.<searchId>` |
 * | task results                 | stream `HWNAS_RESULTS`, subjects `hwnas.results.<searchId>` |
 * | search journals              | stream `HWNAS_JOURNAL`, subjects `hwnas.journal.<searchId>` |
 * | device measurements (core request/reply) | `hwnas.device.<deviceId>.measure` |
 * | device heartbeats (core publish) | `hwnas.device.heartbeat.<deviceId>` |
 * | trainer reports              | stream `HWNAS_REPORTS`, subjects `hwnas.reports.<searchId>` |
 * | stop orders (core publish)   | `hwnas.stop.<searchId>`                |
 * | worker heartbeats (core publish) | `hwnas.worker.heartbeat.<workerId>` |
 * | calibrated cost models       | key-value bucket `hwnas-cost-models`, one key per device |
 * | shared worker consumer       | durable `workers` on the eval stream   |
 * | coordinator consumers        | durable `coordinator` on the results and the reports streams |
 *
 * Ids become single subject tokens through {@link encodeToken}, so any string is a valid id.
 */
export interface NatsNames {
  /** The subject prefix, e.g. `hwnas`. */
  readonly prefix: string;
  /** Stream names (upper case). */
  readonly streams: { readonly eval: string; readonly results: string; readonly journal: string; readonly reports: string };
  /**
   * `<prefix>-cost-models`: the JetStream key-value bucket of calibrated cost models (`hwnas
   * calibrate --nats`), one key per device. Bucket names allow no `.`, hence the `-`; the default
   * prefix gives `hwnas-cost-models` (COST_MODEL_BUCKET, derived from this).
   */
  readonly costModelBucket: string;
  /** Durable consumer names, scoped to their stream. */
  readonly consumers: { readonly workers: string; readonly coordinator: string };
  /** Subject filters that the streams capture (`<prefix>.eval.>`, ...). */
  readonly wildcards: {
    readonly eval: string;
    readonly results: string;
    readonly journal: string;
    readonly deviceHeartbeat: string;
    readonly workerHeartbeat: string;
    readonly reports: string;
    readonly stops: string;
  };
  /** `<prefix>.eval.<searchId>`: where a search's evaluation tasks are published. */
  evalSubject(searchId: string): string;
  /** `<prefix>.results.<searchId>`: where workers publish a search's task results. */
  resultSubject(searchId: string): string;
  /** `<prefix>.journal.<searchId>`: the journal (event log) of one search. */
  journalSubject(searchId: string): string;
  /** The search id of a journal subject, or undefined when the subject is not one. */
  searchIdOfJournalSubject(subject: string): string | undefined;
  /** `<prefix>.device.<deviceId>.measure`: request/reply subject of a device agent. */
  deviceMeasureSubject(deviceId: string): string;
  /** `<prefix>.device.heartbeat.<deviceId>`: where a device agent announces itself. */
  deviceHeartbeatSubject(deviceId: string): string;
  /** `<prefix>.reports.<searchId>`: where trainer workers publish a search's intermediate reports. */
  reportSubject(searchId: string): string;
  /** `<prefix>.stop.<searchId>`: where the coordinator orders a search's trials stopped early. */
  stopSubject(searchId: string): string;
  /** `<prefix>.worker.heartbeat.<workerId>`: where a worker announces its slots and running tasks. */
  workerHeartbeatSubject(workerId: string): string;
}

// Lower case only: stream names are the upper-cased prefix, so `Hwnas` and `hwnas` would share
// streams while using different subjects. No `-` for the same reason (it maps to `_`).
const PREFIX_RE = /^[a-z][a-z0-9_]*$/;
const PLAIN_TOKEN_RE = /^[A-Za-z0-9_-]+$/;
const ESCAPE = '~';

/**
 * Turns an id into one subject token. Ids made only of `[A-Za-z0-9_-]` are used as they are (so
 * subjects stay readable for UUIDs and device names); anything else becomes `~` followed by the
 * base64url of its UTF-8 bytes. `~` never starts a plain token, so decoding is unambiguous.
 * Throws InvalidArgumentError for the empty string.
 */
export function encodeToken(id: string): string {
  if (id.length === 0) throw new InvalidArgumentError('an id used in a NATS subject must not be empty');
  if (PLAIN_TOKEN_RE.test(id)) return id;
  return ESCAPE + Buffer.from(id, 'utf8').toString('base64url');
}

/** Inverse of {@link encodeToken}; undefined for a token that encodeToken never produces. */
export function decodeToken(token: string): string | undefined {
  if (PLAIN_TOKEN_RE.test(token)) return token;
  if (token.length < 2 || !token.startsWith(ESCAPE) || !PLAIN_TOKEN_RE.test(token.slice(1))) return undefined;
  const id = Buffer.from(token.slice(1), 'base64url').toString('utf8');
  // Reject non-canonical forms (ids that would have been plain, or bytes that are not UTF-8).
  return encodeToken(id) === token ? id : undefined;
}

/**
 * Builds the names for a prefix (default `hwnas`). Tests pass a unique prefix so that they can
 * share one server. The prefix must match `[a-z][a-z0-9_]*` (InvalidArgumentError otherwise).
 * Pure; the returned object is frozen.
 */
export function createNames(prefix = 'hwnas'): NatsNames {
  if (!PREFIX_RE.test(prefix)) throw new InvalidArgumentError(`NATS prefix "${prefix}" must match ${PREFIX_RE.source}`);
  const upper = prefix.toUpperCase();
  const journalStart = `${prefix}.journal.`;
  return Object.freeze({
    prefix,
    streams: Object.freeze({ eval: `${upper}_EVAL`, results: `${upper}_RESULTS`, journal: `${upper}_JOURNAL`, reports: `${upper}_REPORTS` }),
    costModelBucket: `${prefix}-cost-models`,
    consumers: Object.freeze({ workers: 'workers', coordinator: 'coordinator' }),
    wildcards: Object.freeze({
      eval: `${prefix}.eval.>`,
      results: `${prefix}.results.>`,
      journal: `${prefix}.journal.>`,
      deviceHeartbeat: `${prefix}.device.heartbeat.*`,
      reports: `${prefix}.reports.*`,
      stops: `${prefix}.stop.*`,
      workerHeartbeat: `${prefix}.worker.heartbeat.*`,
    }),
    evalSubject: (searchId: string) => `${prefix}.eval.${encodeToken(searchId)}`,
    resultSubject: (searchId: string) => `${prefix}.results.${encodeToken(searchId)}`,
    journalSubject: (searchId: string) => `${journalStart}${encodeToken(searchId)}`,
    searchIdOfJournalSubject: (subject: string) => {
      if (!subject.startsWith(journalStart)) return undefined;
      const token = subject.slice(journalStart.length);
      return token.includes('.') ? undefined : decodeToken(token);
    },
    deviceMeasureSubject: (deviceId: string) => `${prefix}.device.${encodeToken(deviceId)}.measure`,
    deviceHeartbeatSubject: (deviceId: string) => `${prefix}.device.heartbeat.${encodeToken(deviceId)}`,
    reportSubject: (searchId: string) => `${prefix}.reports.${encodeToken(searchId)}`,
    stopSubject: (searchId: string) => `${prefix}.stop.${encodeToken(searchId)}`,
    workerHeartbeatSubject: (workerId: string) => `${prefix}.worker.heartbeat.${encodeToken(workerId)}`,
  });
}
