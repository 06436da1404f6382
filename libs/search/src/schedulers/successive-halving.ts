import { InvalidArgumentError } from '@hwnas/bench-core';
import type { FidelityJob, FidelityScheduler, Proposal, SchedulerOptions, TrialFate } from './fidelity-scheduler';
import { resolveRungs, topK } from './fidelity-scheduler';
import { TrialFates } from './trial-fates';

/** One bracket of synchronous successive halving. */
interface Bracket {
  /** Rung index the bracket starts at. */
  readonly start: number;
  /** Trials it starts (at rung `start`); cut to those started by {@link SynchronousHalvingScheduler.seal}. */
  size: number;
  /** Trials started so far. */
  started: number;
  /** Rung index being filled. */
  rung: number;
  /** Trials of the current rung, and their results (undefined until reported). */
  members: number[];
  results: Map<number, number | undefined>;
  /** Promotions decided but not yet handed out. */
  queue: number[];
  done: boolean;
}

/**
 * Synchronous successive halving and Hyperband (Jamieson & Talwalkar 2016; Li et al. 2018; Syne
 * Tune's synchronous schedulers): a bracket starts `size` trials at its lowest rung, waits until
 * every one of them reported, promotes the best floor(n/eta) (at least one) to the next rung and
 * stops the rest, and so on up to full fidelity. While a bracket waits for its rung, free workers
 * start the next bracket, so several brackets may run at once; the oldest gets jobs first.
 *
 * Successive halving uses one kind of bracket (from the lowest rung). Hyperband cycles through
 * brackets s = K..0 (K = rungs - 1): bracket s starts ceil((K+1)/(s+1) * eta^s) trials at rung
 * K-s, trading how many trials are tried for how long each is trained before judging it.
 */
export class SynchronousHalvingScheduler implements FidelityScheduler {
  readonly rungs: readonly number[];
  private readonly eta: number;
  private readonly book = new TrialFates();
  private readonly brackets: Bracket[] = [];
  /** Bracket shapes, cycled in order: start rung index and size. */
  private readonly shapes: { start: number; size: number }[];
  private opened = 0;
  /** No new trials will come: no new bracket is opened. */
  private sealed = false;

  constructor(opts: SchedulerOptions, kind: 'sh' | 'hyperband') {
    this.rungs = resolveRungs(opts);
    this.eta = opts.eta ?? 3;
    const K = this.rungs.length - 1;
    if (kind === 'sh') {
      const size = opts.bracketSize ?? Math.ceil(this.eta ** K);
      if (!Number.isInteger(size) || size < 1) throw new InvalidArgumentError(`bracket size must be a positive integer, got ${size}`);
      this.shapes = [{ start: 0, size }];
    } else {
      this.shapes = [];
      for (let s = K; s >= 0; s--) this.shapes.push({ start: K - s, size: Math.ceil(((K + 1) / (s + 1)) * this.eta ** s) });
    }
  }

  next(propose: () => Proposal): FidelityJob | undefined {
    for (const b of this.brackets) {
      if (b.done) continue;
      const job = this.jobOf(b, propose);
      if (job) return job;
      // A bracket still starting trials that got no proposal: the strategy has none now.
      if (b.rung === b.start && b.started < b.size) return undefined;
    }
    if (this.sealed) return undefined;
    const shape = this.shapes[this.opened++ % this.shapes.length];
    const b: Bracket = { ...shape, started: 0, rung: shape.start, members: [], results: new Map(), queue: [], done: false };
    this.brackets.push(b);
    return this.jobOf(b, propose);
  }

  private jobOf(b: Bracket, propose: () => Proposal): FidelityJob | undefined {
    const promoted = b.queue.shift();
    if (promoted !== undefined) {
      const epochs = this.rungs[b.rung];
      this.book.dispatch(promoted, epochs);
      return { trialId: promoted, arch: this.book.arch(promoted), epochs, kind: 'promote' };
    }
    if (b.rung !== b.start || b.started >= b.size) return undefined;
    const p = propose();
    if (!p) return undefined;
    b.started++;
    b.members.push(p.trialId);
    this.book.add(p.trialId, p.arch, this.rungs[b.rung]);
    return { trialId: p.trialId, arch: p.arch, epochs: this.rungs[b.rung], kind: 'start' };
  }

  report(trialId: number, epochs: number, score: number | undefined, failed = false): void {
    if (!this.book.settle(trialId, epochs)) return;
    const b = this.brackets.find((x) => !x.done && x.members.includes(trialId) && this.rungs[x.rung] === epochs);
    if (!b) return;
    b.results.set(trialId, failed ? undefined : score);
    const top = b.rung === this.rungs.length - 1;
    this.book.landed(trialId, top, score, failed);
    const full = b.rung > b.start || b.started === b.size;
    if (full && b.results.size === b.members.length) this.closeRung(b);
  }

  /** Every trial of the bracket's rung reported: promotes the best 1/eta (at least one) to the next rung and stops the rest. */
  private closeRung(b: Bracket): void {
    if (b.rung === this.rungs.length - 1) {
      b.done = true;
      return;
    }
    const entries = b.members.map((id) => ({ trialId: id, score: b.results.get(id) }));
    const keep = topK(entries, Math.max(1, Math.floor(entries.length / this.eta)));
    for (const id of b.members) if (!keep.includes(id) && this.book.fate(id) === 'paused') this.book.set(id, 'stopped');
    if (keep.length === 0) {
      b.done = true;
      return;
    }
    b.rung++;
    b.members = keep;
    b.results = new Map();
    b.queue = [...keep];
  }

  /**
   * No new trials will come: brackets still starting trials are cut to those they started (an
   * empty one is done), and a cut bracket whose trials have all reported closes its rung now.
   */
  seal(): void {
    if (this.sealed) return;
    this.sealed = true;
    for (const b of this.brackets) {
      if (b.done || b.rung !== b.start || b.started === b.size) continue;
      b.size = b.started;
      if (b.started === 0) b.done = true;
      else if (b.results.size === b.members.length) this.closeRung(b);
    }
  }

  finish(): void {
    this.book.stopUnfinished();
  }

  fate(trialId: number): TrialFate {
    return this.book.fate(trialId);
  }

  trials(fate: TrialFate): number[] {
    return this.book.trials(fate);
  }
}
