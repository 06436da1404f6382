import type { Metrics } from '@hwnas/bench-core';
import { passesKnownConstraints } from './problem';
import type { SearchProblem } from './problem';
import type { Candidate, PredictorExplanation, SearchStrategy, StrategyContext, StrategyState, TrialResult } from './strategy';
import { stateData, toJson } from './strategy';
import { TrialBook } from './trial-book';
import type { TrialBookState } from './trial-book';

/** Name in the snapshot of a screened strategy. */
export const SCREENING_STATE = 'screen';
const VERSION = 1;

/** How an outer trial relates to the inner strategy's trial. */
type Phase = 'pass' | 'screen' | 'full';

interface Link {
  readonly inner: number;
  readonly phase: Phase;
}

interface ScreenData {
  readonly inner: StrategyState;
  readonly book: TrialBookState;
  readonly links: Link[];
  readonly ready: number[];
}

/** Upper bound on inner proposals consumed by one `ask` (rejections decided from the cache). */
const MAX_INNER_PER_ASK = 10_000;

/**
 * True when cost-first screening can decide something for `problem`: a constraint is on a
 * metric a cost query returns.
 */
export function canScreen(problem: SearchProblem): boolean {
  return problem.constraints.some((c) => problem.cheapMetrics.includes(c.metric));
}

/**
 * Cost-first screening, as a wrapper around any strategy (composition): every `full` candidate of
 * the inner strategy first goes out as a `costs` query; only when the returned costs satisfy the
 * constraints they cover does the architecture go out for a full evaluation. A rejected
 * architecture is told to the inner strategy as `ok` with its cost metrics only (infeasible, no
 * objective values), so the inner strategy learns its costs but never spends an evaluation on it.
 * Costs already known (from an earlier query) are not queried again. `costs` candidates of the
 * inner strategy pass through unchanged.
 *
 * The wrapper assigns its own trial ids. Deterministic given the inner strategy and the order of
 * tells. Its snapshot embeds the inner strategy's snapshot.
 */
export class ScreenedStrategy implements SearchStrategy {
  private readonly book: TrialBook;
  private readonly links: Link[];
  private readonly ready: number[];
  private readonly costCache = new Map<string, Metrics>();
  /** Inner trial id -> architecture, for inner trials waiting here (rebuilt lazily after a restore). */
  private readonly innerArchs = new Map<number, readonly number[]>();
  private readonly problem: SearchProblem;

  /** `state` is this wrapper's snapshot (the inner strategy was restored from `state.data.inner`). */
  constructor(
    ctx: StrategyContext,
    private readonly inner: SearchStrategy,
    state?: StrategyState,
  ) {
    const data = state ? stateData<ScreenData>(state, SCREENING_STATE, VERSION) : undefined;
    this.problem = ctx.problem;
    this.book = new TrialBook(ctx.space, data?.book);
    this.links = data ? data.links.map((l) => ({ ...l })) : [];
    this.ready = data ? data.ready.slice() : [];
    for (const t of this.book.toldTrials()) if (t.need === 'costs' && t.status === 'ok' && t.metrics) this.costCache.set(t.key, t.metrics);
  }

  /** The inner state of a screened snapshot (to restore the inner strategy first). */
  static innerState(state: StrategyState): StrategyState {
    return stateData<ScreenData>(state, SCREENING_STATE, VERSION).inner;
  }

  ask(n: number): readonly Candidate[] {
    const out: Candidate[] = [];
    while (out.length < n && this.ready.length > 0) {
      const inner = this.ready.shift()!;
      out.push(this.emit(this.innerArch(inner), 'full', inner));
    }
    let consumed = 0;
    while (out.length < n && consumed < MAX_INNER_PER_ASK) {
      const proposals = this.inner.ask(n - out.length);
      if (proposals.length === 0) break;
      consumed += proposals.length;
      for (const c of proposals) {
        this.innerArchs.set(c.trialId, c.arch);
        const known = this.costCache.get(this.book.key(c.arch));
        if (c.need === 'costs') {
          if (known) this.inner.tell({ trialId: c.trialId, arch: c.arch, status: 'ok', metrics: known });
          else out.push(this.emit(c.arch, 'costs', c.trialId, 'pass'));
        } else if (!known) {
          out.push(this.emit(c.arch, 'costs', c.trialId, 'screen'));
        } else if (passesKnownConstraints(this.problem, known)) {
          out.push(this.emit(c.arch, 'full', c.trialId));
        } else {
          this.inner.tell({ trialId: c.trialId, arch: c.arch, status: 'ok', metrics: known });
        }
      }
    }
    return out;
  }

  private innerArch(inner: number): readonly number[] {
    const a = this.innerArchs.get(inner);
    if (a) return a;
    // After a restore the map is empty: the screening query of that inner trial has the arch.
    const link = this.links.findIndex((l) => l.inner === inner && l.phase === 'screen');
    return this.book.get(link)!.arch;
  }

  private emit(arch: readonly number[], need: 'full' | 'costs', inner: number, phase?: Phase): Candidate {
    const c = this.book.propose(arch, need);
    this.links[c.trialId] = { inner, phase: phase ?? 'full' };
    return c;
  }

  tell(result: TrialResult): void {
    const t = this.book.accept(result);
    if (!t) return;
    const link = this.links[t.trialId];
    const base = { trialId: link.inner, arch: t.arch };
    if (t.status !== 'ok' || !t.metrics) {
      this.innerArchs.delete(link.inner);
      this.inner.tell({ ...base, status: 'failed', error: t.error ?? 'failed' });
      return;
    }
    if (t.need === 'costs') this.costCache.set(t.key, t.metrics);
    if (link.phase === 'screen') {
      if (passesKnownConstraints(this.problem, t.metrics)) {
        this.ready.push(link.inner);
        return;
      }
      this.innerArchs.delete(link.inner);
      this.inner.tell({ ...base, status: 'ok', metrics: t.metrics });
      return;
    }
    this.innerArchs.delete(link.inner);
    const costs = this.costCache.get(t.key);
    this.inner.tell({ ...base, status: 'ok', metrics: costs ? { ...costs, ...t.metrics } : t.metrics });
  }

  snapshot(): StrategyState {
    const data: ScreenData = { inner: this.inner.snapshot(), book: this.book.state(), links: this.links, ready: this.ready };
    return { strategy: SCREENING_STATE, version: VERSION, data: toJson(data) };
  }

  recommend(): readonly number[] | undefined {
    return this.inner.recommend?.();
  }

  explain(): readonly PredictorExplanation[] {
    return this.inner.explain?.() ?? [];
  }
}
