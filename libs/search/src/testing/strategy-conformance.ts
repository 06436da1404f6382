import { archKey, checkArch, costMetricInfo, fbnetSpace, InvalidArgumentError, nb201Space, Rng } from '@hwnas/bench-core';
import type { Arch, MetricInfo, Metrics, SearchSpace } from '@hwnas/bench-core';
import type { RawOptionValue } from '../options';
import { createProblem } from '../problem';
import type { SearchProblem } from '../problem';
import { createStrategy, restoreStrategy } from '../registry';
import { runInProcess } from '../run-in-process';
import type { MetricSource } from '../run-in-process';
import type { Candidate, SearchStrategy, TrialResult } from '../strategy';

/** One strategy to check: its registry name and options. */
export interface ConformanceCase {
  readonly name: string;
  readonly options?: Readonly<Record<string, RawOptionValue>>;
  /** Budget of the runs (default 60). */
  readonly budget?: number;
}

/** Metrics of the synthetic benchmark the suite runs on (no data files needed). */
export const SYNTHETIC_METRICS: readonly MetricInfo[] = [
  { name: 'accuracy', unit: '%', kind: 'accuracy', higherIsBetter: true, description: 'synthetic accuracy' },
  costMetricInfo('toy_latency', 'ms'),
  { name: 'flops', unit: 'M', kind: 'model', higherIsBetter: false, description: 'synthetic MACs' },
];

/** Per (decision, option) effects of the synthetic benchmark, fixed by a seeded Rng. */
const EFFECTS = (() => {
  const rng = new Rng(20240601);
  return Array.from({ length: 32 }, () => Array.from({ length: 16 }, () => ({ acc: rng.next() * 6 - 2, lat: rng.next() * 2, pair: rng.next() - 0.5 })));
})();

/**
 * Deterministic synthetic metrics of any architecture: an additive accuracy with a pairwise
 * term between neighbouring decisions (roughly 60-95 %), an additive latency (ms) correlated
 * with accuracy, and flops.
 */
export function syntheticMetrics(arch: Arch): Metrics {
  let acc = 70;
  let lat = 1;
  for (let d = 0; d < arch.length; d++) {
    const e = EFFECTS[d % 32][arch[d] % 16];
    acc += e.acc;
    lat += e.lat + 0.3 * e.acc;
    if (d > 0 && arch[d] === arch[d - 1]) acc += e.pair;
  }
  return { accuracy: Math.min(99, acc), toy_latency: Math.max(0.1, lat), flops: 10 + 3 * lat };
}

/**
 * A {@link MetricSource} over {@link syntheticMetrics}. With `failEvery` = k > 0, about one
 * architecture in k fails its full evaluation (deterministically, by key) with a NasError.
 */
export function syntheticSource(space: SearchSpace, failEvery = 0): MetricSource {
  return {
    evaluate(arch) {
      if (failEvery > 0 && hash(archKey(space, arch)) % failEvery === 0) throw new InvalidArgumentError(`synthetic failure of ${archKey(space, arch)}`);
      return syntheticMetrics(arch);
    },
    costs(arch, metrics) {
      const all = syntheticMetrics(arch);
      const out: Record<string, number> = {};
      for (const m of metrics) if (all[m] !== undefined) out[m] = all[m];
      return out;
    },
  };
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

/** The problems every strategy is checked on. */
function problems(): { label: string; problem: SearchProblem }[] {
  return [
    { label: 'constrained, joint', problem: createProblem({ objectives: ['accuracy'], constraints: ['toy_latency<=8'] }, SYNTHETIC_METRICS) },
    { label: 'constrained, cost-first', problem: createProblem({ objectives: ['accuracy'], constraints: ['toy_latency<=8'], costFirst: true }, SYNTHETIC_METRICS) },
    { label: 'Pareto, joint', problem: createProblem({ objectives: ['accuracy:max', 'toy_latency:min'] }, SYNTHETIC_METRICS) },
    { label: 'Pareto, cost-first', problem: createProblem({ objectives: ['accuracy:max', 'toy_latency:min'], costFirst: true }, SYNTHETIC_METRICS) },
  ];
}

/** One recorded call: an ask (with what it returned) or a tell. */
type Event = { type: 'ask'; n: number; got: readonly Candidate[] } | { type: 'tell'; result: TrialResult };

/**
 * Drives `strategy` by hand for `steps` completions with up to `inFlight` trials outstanding,
 * completing a seeded-random one each step (so tells come out of order), and records every call.
 */
function drive(strategy: SearchStrategy, source: MetricSource, problem: SearchProblem, steps: number, inFlight: number, orderSeed: number): Event[] {
  const events: Event[] = [];
  const order = new Rng(orderSeed);
  const pending: Candidate[] = [];
  for (let s = 0; s < steps; s++) {
    const n = inFlight - pending.length;
    if (n > 0) {
      const got = strategy.ask(n);
      events.push({ type: 'ask', n, got });
      pending.push(...got);
    }
    if (pending.length === 0) break;
    const c = pending.splice(order.int(pending.length), 1)[0];
    let result: TrialResult;
    try {
      const metrics = c.need === 'costs' ? source.costs(c.arch, problem.cheapMetrics) : source.evaluate(c.arch);
      result = { trialId: c.trialId, arch: c.arch, status: 'ok', metrics };
    } catch (e) {
      result = { trialId: c.trialId, arch: c.arch, status: 'failed', error: (e as Error).message };
    }
    strategy.tell(result);
    events.push({ type: 'tell', result });
  }
  return events;
}

/** What an ask returned, comparable with toEqual. */
function asked(events: readonly Event[]): { trialId: number; arch: number[]; need: string }[][] {
  return events.filter((e): e is Extract<Event, { type: 'ask' }> => e.type === 'ask').map((e) => e.got.map((c) => ({ trialId: c.trialId, arch: [...c.arch], need: c.need })));
}

/**
 * The conformance suite every strategy runs (STYLE.md 5): determinism (same seed and tells, same
 * asks; also after a snapshot/restore through JSON and after a full replay of the calls), valid
 * and never-duplicated full evaluations, out-of-order and duplicate tells, failed trials, and
 * running to the budget. Uses synthetic metrics on the NB201 and FBNet spaces (no data files).
 */
export function describeStrategyConformance(cases: readonly ConformanceCase[]): void {
  describe.each(cases.map((c) => [c.name, c] as const))('strategy conformance: %s', (_name, c) => {
    const budget = c.budget ?? 60;
    const make = (problem: SearchProblem, seed: number, space: SearchSpace = nb201Space) => createStrategy(c.name, { space, problem, seed }, c.options ?? {});

    describe.each(problems().map((p) => [p.label, p.problem] as const))('%s', (_label, problem) => {
      const source = syntheticSource(nb201Space, 7);

      it(`${c.name} - the same seed and the same tells give the same asks`, () => {
        const a = asked(drive(make(problem, 11), source, problem, budget, 3, 5));
        const b = asked(drive(make(problem, 11), source, problem, budget, 3, 5));
        expect(b).toEqual(a);
        expect(a.flat().length).toBeGreaterThan(0);
      });

      it(`${c.name} - a restore from a JSON snapshot continues exactly`, () => {
        const original = make(problem, 3);
        drive(original, source, problem, Math.floor(budget / 2), 1, 1);
        const state = JSON.parse(JSON.stringify(original.snapshot()));
        const restored = restoreStrategy(c.name, { space: nb201Space, problem, seed: 3 }, state, c.options ?? {});
        const rest = Math.ceil(budget / 2);
        expect(asked(drive(restored, source, problem, rest, 2, 9))).toEqual(asked(drive(original, source, problem, rest, 2, 9)));
      });

      it(`${c.name} - a fresh strategy replaying the recorded calls gives the same next asks`, () => {
        const original = make(problem, 5);
        const events = drive(original, source, problem, budget, 4, 2);
        const replica = make(problem, 5);
        for (const e of events) {
          if (e.type === 'ask') expect(replica.ask(e.n)).toEqual(e.got);
          else replica.tell(e.result);
        }
        expect(replica.ask(4)).toEqual(original.ask(4));
      });

      it(`${c.name} - proposes only valid architectures and never one twice for a full evaluation`, () => {
        const events = drive(make(problem, 8), source, problem, budget * 2, 5, 4);
        const keys = new Set<string>();
        for (const cand of events.flatMap((e) => (e.type === 'ask' ? e.got : []))) {
          expect(() => checkArch(nb201Space, cand.arch)).not.toThrow();
          expect(['full', 'costs']).toContain(cand.need);
          if (cand.need !== 'full') continue;
          const key = archKey(nb201Space, cand.arch);
          expect(keys.has(key)).toBe(false);
          keys.add(key);
        }
      });

      it(`${c.name} - ignores a duplicate tell, rejects an unknown trial, returns [] for ask(0)`, () => {
        const s = make(problem, 2);
        expect(s.ask(0)).toEqual([]);
        const [cand] = s.ask(1);
        const result: TrialResult = {
          trialId: cand.trialId,
          arch: cand.arch,
          status: 'ok',
          metrics: cand.need === 'costs' ? source.costs(cand.arch, problem.cheapMetrics) : syntheticMetrics(cand.arch),
        };
        s.tell(result);
        const before = JSON.stringify(s.snapshot());
        s.tell(result);
        expect(JSON.stringify(s.snapshot())).toBe(before);
        expect(() => s.tell({ ...result, trialId: 10_000 })).toThrow(InvalidArgumentError);
      });

      it(`${c.name} - handles out-of-order tells and failed trials and runs to the budget`, () => {
        const failing = syntheticSource(nb201Space, 3);
        const run = runInProcess(make(problem, 4), nb201Space, problem, failing, { budget, parallelism: 4, seed: 6 });
        expect(run.stop).toBe('budget');
        expect(run.evaluations).toBe(budget);
        expect(run.evaluated.some((e) => e.status === 'failed')).toBe(true);
        expect(new Set(run.evaluated.map((e) => e.key)).size).toBe(run.evaluated.length);
      });
    });

    it(`${c.name} - runs on the FBNet space (22 decisions x 9 options)`, () => {
      const problem = createProblem({ objectives: ['accuracy'], constraints: ['toy_latency<=25'] }, SYNTHETIC_METRICS);
      const run = runInProcess(make(problem, 1, fbnetSpace), fbnetSpace, problem, syntheticSource(fbnetSpace), { budget: 30 });
      expect(run.evaluations).toBe(30);
      for (const e of run.evaluated) expect(() => checkArch(fbnetSpace, e.arch)).not.toThrow();
    });
  });
}
