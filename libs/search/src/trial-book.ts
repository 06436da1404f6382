import { archKey, archRank, checkArch, InvalidArgumentError, isRankable } from '@hwnas/bench-core';
import type { Arch, ArchKey, Metrics, SearchSpace } from '@hwnas/bench-core';
import type { Candidate, TrialNeed, TrialResult } from './strategy';

/** One trial a strategy proposed, with its outcome once told. Plain JSON. */
export interface TrialRecord {
  readonly trialId: number;
  readonly arch: Arch;
  readonly key: ArchKey;
  readonly need: TrialNeed;
  status: 'pending' | 'ok' | 'failed';
  metrics?: Metrics;
  error?: string;
}

/** JSON form of a {@link TrialBook}. */
export interface TrialBookState {
  readonly trials: readonly TrialRecord[];
  /** Trial ids in the order they were told. */
  readonly told: readonly number[];
}

/**
 * The bookkeeping every strategy shares (composition, not a base class): sequential trial ids,
 * the architectures already proposed (for `full` and for `costs`, by {@link ArchKey}), pending
 * trials, and validation of tells (unknown ids throw, duplicates are reported as such).
 * Its state is plain JSON, so a strategy's snapshot embeds it as is.
 */
export class TrialBook {
  private readonly trials: TrialRecord[];
  private readonly told: number[];
  private readonly fullByKey = new Map<string, number>();
  /**
   * Ranks of the architectures proposed for `full`, in spaces small enough to rank: strategies
   * test candidates against it in their sampling loops, and a number hashes far faster than the
   * canonical string.
   */
  private readonly fullRanks?: Set<number>;
  private readonly costsByKey = new Map<string, number>();
  private pendingCount = 0;

  constructor(
    private readonly space: SearchSpace,
    state?: TrialBookState,
  ) {
    this.trials = state ? state.trials.map((t) => ({ ...t, arch: Object.freeze(t.arch.slice()) })) : [];
    this.told = state ? state.told.slice() : [];
    if (isRankable(space)) this.fullRanks = new Set();
    for (const t of this.trials) {
      (t.need === 'full' ? this.fullByKey : this.costsByKey).set(t.key, t.trialId);
      if (t.need === 'full') this.fullRanks?.add(archRank(space, t.arch));
      if (t.status === 'pending') this.pendingCount++;
    }
  }

  /** Number of trials proposed so far (= the next trial id). */
  get size(): number {
    return this.trials.length;
  }

  /** Number of trials proposed and not yet told. */
  get pending(): number {
    return this.pendingCount;
  }

  /** Canonical key of `arch`. */
  key(arch: Arch): ArchKey {
    return archKey(this.space, arch);
  }

  /** Registers a new trial and returns its candidate. Throws if `arch` was already proposed for `full`. */
  propose(arch: Arch, need: TrialNeed): Candidate {
    const a = checkArch(this.space, arch);
    const key = archKey(this.space, a);
    const index = need === 'full' ? this.fullByKey : this.costsByKey;
    if (need === 'full' && index.has(key)) throw new InvalidArgumentError(`internal: ${key} was already proposed for a full evaluation`);
    const trialId = this.trials.length;
    this.trials.push({ trialId, arch: a, key, need, status: 'pending' });
    index.set(key, trialId);
    if (need === 'full') this.fullRanks?.add(archRank(this.space, a));
    this.pendingCount++;
    return Object.freeze({ trialId, arch: a, need, key });
  }

  /** Whether `arch` (or its key) was ever proposed for a full evaluation (pending or done). */
  hasFull(arch: Arch | ArchKey): boolean {
    if (typeof arch === 'string') return this.fullByKey.has(arch);
    return this.fullRanks ? this.fullRanks.has(archRank(this.space, arch)) : this.fullByKey.has(archKey(this.space, arch));
  }

  /** The latest `full` trial of `arch`, if any. */
  fullTrial(arch: Arch | ArchKey): TrialRecord | undefined {
    const id = this.fullByKey.get(typeof arch === 'string' ? arch : archKey(this.space, arch));
    return id === undefined ? undefined : this.trials[id];
  }

  /** The latest `costs` trial of `arch`, if any. */
  costsTrial(arch: Arch | ArchKey): TrialRecord | undefined {
    const id = this.costsByKey.get(typeof arch === 'string' ? arch : archKey(this.space, arch));
    return id === undefined ? undefined : this.trials[id];
  }

  /** The trial with id `trialId`. */
  get(trialId: number): TrialRecord | undefined {
    return this.trials[trialId];
  }

  /**
   * Records a tell. Returns the updated record, or undefined for a duplicate tell (the trial was
   * already told; ignored). Throws {@link InvalidArgumentError} for an id never proposed or an
   * architecture that does not match the proposal.
   */
  accept(result: TrialResult): TrialRecord | undefined {
    const t = Number.isInteger(result.trialId) ? this.trials[result.trialId] : undefined;
    if (!t) throw new InvalidArgumentError(`tell: trial ${result.trialId} was never proposed by this strategy`);
    if (t.status !== 'pending') return undefined;
    // The same array as proposed (the usual case) needs no key comparison.
    if (result.arch && result.arch !== t.arch && archKey(this.space, result.arch) !== t.key) {
      throw new InvalidArgumentError(`tell: trial ${result.trialId} was proposed for ${t.key}, not ${archKey(this.space, result.arch)}`);
    }
    if (result.status === 'ok' && result.metrics) {
      t.status = 'ok';
      t.metrics = { ...result.metrics };
    } else {
      t.status = 'failed';
      t.error = result.error ?? (result.status === 'ok' ? 'no metrics returned' : 'failed');
    }
    this.told.push(t.trialId);
    this.pendingCount--;
    return t;
  }

  /** Number of trials told so far. */
  get toldCount(): number {
    return this.told.length;
  }

  /** The `k`-th trial told (0-based, in tell order; the record is live, do not modify). */
  toldAt(k: number): TrialRecord {
    return this.trials[this.told[k]];
  }

  /** Told trials in tell order (records are live; do not modify). */
  toldTrials(): TrialRecord[] {
    return this.told.map((id) => this.trials[id]);
  }

  /** The JSON state. */
  state(): TrialBookState {
    return {
      trials: this.trials.map((t) => ({ ...t, arch: t.arch.slice(), ...(t.metrics ? { metrics: { ...t.metrics } } : {}) })),
      told: this.told.slice(),
    };
  }
}
