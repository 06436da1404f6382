import { randomUUID } from 'node:crypto';
import { InvalidArgumentError } from '@hwnas/bench-core';
import { AccuracySource, Direction, Search, SearchMode, SearchState } from '@hwnas/proto';
import type { SubmitSearchRequest, SubmitSearchResponse } from '@hwnas/proto';
import { parseConstraint, parseObjective } from '@hwnas/search';
import type { CostModelSpec, TrainingSpec } from '@hwnas/runtime';
import type { CommandIO } from '../command';
import { connectRemote } from './client';
import type { RemoteOptions } from './options';
import { renderSearch } from './render';
import { watchRemoteSearch } from './watch';
import type { WatchOptions } from './watch';

/** A search to submit, in the CLI's (and the runtime spec's) terms. */
export interface RemoteSearchInput {
  readonly space: string;
  readonly dataset: string;
  readonly strategy: string;
  readonly strategyOptions?: Readonly<Record<string, string>>;
  /** `METRIC`, `METRIC:max` or `METRIC:min`; at least one. */
  readonly objectives: readonly string[];
  /** `METRIC<=VALUE`. */
  readonly constraints?: readonly string[];
  readonly reward?: { readonly cost: string; readonly targetCost: number; readonly exponent?: number };
  readonly budget: number;
  readonly maxInFlight: number;
  readonly seed: number;
  readonly accuracySource: 'table' | 'proxy';
  readonly mode: 'joint' | 'cost-first';
  /** Tell results as they land (faster, not reproducible). Default false. */
  readonly asynchronous?: boolean;
  /** Device agents measuring costs (ids from `hwnas devices` / ListDevices). */
  readonly devices?: readonly string[];
  readonly maxCostQueries?: number;
  /** Failed evaluations after which the search stops and ends failed (absent: no limit). */
  readonly maxFailed?: number;
  /** Real training on the workers' trainers: epochs and early stopping (see `TrainingSpec` of @hwnas/runtime). */
  readonly training?: TrainingSpec;
  /** Screening with a stored cost model (`CostModelSpec` of @hwnas/runtime); its device must be among `devices`. */
  readonly costModel?: CostModelSpec;
  /** Idempotency key; default a fresh UUID, so the client's retries never submit twice. */
  readonly requestId?: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/** Options of {@link submitRemoteSearch}. */
export interface SubmitRemoteOptions {
  /** Follow the search until it ends (progress on stderr when it is a TTY) and print its record. */
  readonly watch?: boolean;
  /** Progress display while watching (default: `tty` when stderr is a TTY, else `lines`). */
  readonly display?: WatchOptions['display'];
  /** Print the record as JSON instead of a table (with `watch`), or the id as `{"searchId":...}`. */
  readonly json?: boolean;
}

/** What {@link submitRemoteSearch} returns. */
export interface SubmitRemoteResult {
  readonly searchId: string;
  /** The final record, when watched. */
  readonly search?: Search;
}

/** The proto request of an input (pure). Throws InvalidArgumentError naming the field. */
export function toSubmitRequest(input: RemoteSearchInput): SubmitSearchRequest {
  const objectives = input.objectives.map((o) => {
    const p = parseObjective(o);
    return { metric: p.metric, direction: p.direction === 'max' ? Direction.DIRECTION_MAXIMIZE : p.direction === 'min' ? Direction.DIRECTION_MINIMIZE : Direction.DIRECTION_UNSPECIFIED };
  });
  if (!objectives.length) throw new InvalidArgumentError('objectives: at least one is required');
  return {
    space: input.space,
    dataset: input.dataset,
    strategy: input.strategy,
    strategyOptions: { ...(input.strategyOptions ?? {}) },
    objectives,
    constraints: (input.constraints ?? []).map((c) => {
      const p = parseConstraint(c);
      return { metric: p.metric, upperBound: p.bound };
    }),
    ...(input.reward ? { reward: { accuracyMetric: '', costMetric: input.reward.cost, targetCost: input.reward.targetCost, ...(input.reward.exponent !== undefined ? { exponent: input.reward.exponent } : {}) } } : {}),
    budget: input.budget,
    maxInFlight: input.maxInFlight,
    seed: input.seed,
    accuracySource: input.accuracySource === 'proxy' ? AccuracySource.ACCURACY_SOURCE_PROXY : AccuracySource.ACCURACY_SOURCE_TABLE,
    deviceIds: [...(input.devices ?? [])],
    mode: input.mode === 'cost-first' ? SearchMode.SEARCH_MODE_COST_FIRST : SearchMode.SEARCH_MODE_JOINT,
    asynchronous: input.asynchronous ?? false,
    ...(input.maxCostQueries !== undefined ? { maxCostQueries: input.maxCostQueries } : {}),
    ...(input.maxFailed !== undefined ? { maxFailedEvaluations: input.maxFailed } : {}),
    ...(input.training ? { training: { ...input.training } } : {}),
    ...(input.costModel ? { costModel: { device: input.costModel.device, bucket: input.costModel.bucket ?? '', z: input.costModel.z, ...(input.costModel.conformal !== undefined ? { conformal: input.costModel.conformal } : {}) } } : {}),
    requestId: input.requestId ?? randomUUID(),
    labels: { ...(input.labels ?? {}) },
  };
}

/**
 * What `hwnas search --coordinator HOST:PORT` runs: submits `input` to the coordinator (retrying
 * safely thanks to the request id), prints the search id (`io.out`), and with `watch` follows it
 * with a live progress bar and prints its final record. Rejects with a NasError (exit code 2 for
 * invalid_argument: the server's message names the field).
 */
export async function submitRemoteSearch(remote: RemoteOptions, input: RemoteSearchInput, io: CommandIO, opts: SubmitRemoteOptions = {}): Promise<SubmitRemoteResult> {
  const req = toSubmitRequest(input);
  const client = connectRemote(remote);
  try {
    const { searchId } = await client.call<SubmitSearchRequest, SubmitSearchResponse>('search', 'submitSearch', req, { idempotent: true });
    if (!opts.watch) {
      io.out(opts.json ? JSON.stringify({ searchId }) : searchId);
      return { searchId };
    }
    io.err(`submitted search ${searchId}`);
    const display = opts.display ?? (process.stderr.isTTY ? 'tty' : 'lines');
    const search = await watchRemoteSearch(client, searchId, io, { display });
    io.out(opts.json ? JSON.stringify(Search.toJSON(search)) : renderSearch(search));
    return { searchId, search };
  } finally {
    client.close();
  }
}

/** Why a watched search did not succeed (failed, or no feasible architecture); undefined when it did or was cancelled. */
export function remoteFailure(search: Search): string | undefined {
  if (search.state !== SearchState.SEARCH_STATE_FAILED) return undefined;
  return search.failure?.message || 'failed';
}
