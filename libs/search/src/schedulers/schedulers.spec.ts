import { nb201Space } from '@hwnas/bench-core';
import type { Arch } from '@hwnas/bench-core';
import { SYNTHETIC_METRICS, syntheticMetrics } from '@hwnas/search/testing';
import { createProblem } from '../problem';
import { createStrategy, STRATEGY_NAMES } from '../registry';
import { promotionScore, resolveRungs, rungLevels, SCHEDULER_NAMES } from './fidelity-scheduler';
import type { FidelityJob, FidelityScheduler, Proposal } from './fidelity-scheduler';
import { halvingBracketEpochs } from './budgeted-halving';
import { createScheduler } from './registry';
import { RungStopper } from './rung-stopper';
import { runFidelitySearch } from './run-fidelity';

/** Proposals 0, 1, 2, ... with a one-decision architecture equal to the id. */
function proposer(limit = Infinity): () => Proposal {
  let n = 0;
  return () => (n < limit ? { trialId: n, arch: Object.freeze([n++]) as Arch } : undefined);
}

/** Runs a scheduler one job at a time; trial i scores `score(i)` at every rung. */
function drive(s: FidelityScheduler, jobs: number, score: (id: number) => number | undefined, propose = proposer()): FidelityJob[] {
  const out: FidelityJob[] = [];
  for (let i = 0; i < jobs; i++) {
    const job = s.next(propose);
    if (!job) break;
    out.push(job);
    s.report(job.trialId, job.epochs, score(job.trialId));
  }
  return out;
}

const brief = (jobs: readonly FidelityJob[]) => jobs.map((j) => `${j.trialId}@${j.epochs}`);

describe('rung levels', () => {
  it('rungLevels - geometric levels ending at the full fidelity', () => {
    expect(rungLevels(1, 27, 3)).toEqual([1, 3, 9, 27]);
    expect(rungLevels(12, 200, 3)).toEqual([12, 36, 108, 200]);
    expect(resolveRungs({ maxEpochs: 81 })).toEqual([1, 3, 9, 27, 81]);
    expect(resolveRungs({ maxEpochs: 200, rungs: [12, 200] })).toEqual([12, 200]);
    expect(() => resolveRungs({ maxEpochs: 200, rungs: [12, 100] })).toThrow(/last rung \(100\) must equal max epochs \(200\)/);
    expect(() => resolveRungs({ maxEpochs: 200, rungs: [50, 12, 200] })).toThrow(/ascending/);
    expect(() => rungLevels(0, 10, 3)).toThrow(/min epochs/);
    expect(() => createScheduler('asha', { maxEpochs: 9, eta: 1 })).toThrow(/eta/);
    expect(() => createScheduler('bohb', { maxEpochs: 9 })).toThrow(/unknown scheduler "bohb"; known schedulers: none, sh, asha, hyperband/);
  });

  it('promotionScore - feasible results score, infeasible and missing ones do not', () => {
    const p = createProblem({ objectives: ['accuracy'], constraints: ['toy_latency<=8'] }, SYNTHETIC_METRICS);
    expect(promotionScore(p, { accuracy: 90, toy_latency: 5 })).toBe(90);
    expect(promotionScore(p, { accuracy: 95, toy_latency: 9 })).toBeUndefined();
    expect(promotionScore(p, undefined)).toBeUndefined();
  });
});

describe('schedulers', () => {
  it('asha - promotes the best 1/eta of a rung as soon as there are eta results, else starts new trials', () => {
    const s = createScheduler('asha', { maxEpochs: 9, eta: 3 });
    // Higher ids score higher: every third start earns a promotion of the newest.
    const jobs = drive(s, 14, (id) => id);
    // After 3 results rung 1 takes trial 2; a 4th result makes trial 3 the best of floor(4/3) = 1 of
    // rung 0, so it goes up at once; with 3 results at rung 1 its best (4) goes to the top.
    expect(brief(jobs)).toEqual(['0@1', '1@1', '2@1', '2@3', '3@1', '3@3', '4@1', '4@3', '4@9', '5@1', '5@3', '5@9', '6@1', '6@3']);
    expect(jobs[3].kind).toBe('promote');
    expect(s.trials('completed')).toEqual([4, 5]);
    expect(s.fate(0)).toBe('paused');
    expect(s.fate(6)).toBe('paused');
    s.finish();
    expect(s.trials('stopped')).toEqual([0, 1, 2, 3, 6]);
  });

  it('asha - infeasible and failed trials are never promoted', () => {
    const s = createScheduler('asha', { maxEpochs: 3, rungs: [1, 3], eta: 2 });
    const jobs = drive(s, 6, (id) => (id % 2 === 0 ? undefined : id));
    expect(brief(jobs)).toEqual(['0@1', '1@1', '1@3', '2@1', '3@1', '3@3']);
    expect(s.fate(0)).toBe('stopped');
    const propose = proposer();
    const j = s.next(propose)!;
    s.report(j.trialId, j.epochs, undefined, true);
    expect(s.fate(j.trialId)).toBe('failed');
  });

  it('sh - a bracket promotes the best 1/eta of a complete rung and stops the rest', () => {
    const s = createScheduler('sh', { maxEpochs: 9, eta: 3 });
    const score = (id: number) => [5, 9, 1, 7, 3, 8, 2, 6, 4][id % 9] + (id >= 9 ? 100 : 0);
    const propose = proposer();
    const jobs = drive(s, 13, score, propose);
    expect(brief(jobs)).toEqual(['0@1', '1@1', '2@1', '3@1', '4@1', '5@1', '6@1', '7@1', '8@1', '1@3', '5@3', '3@3', '1@9']);
    expect(s.trials('completed')).toEqual([1]);
    expect(s.trials('stopped')).toEqual([0, 2, 3, 4, 5, 6, 7, 8]);
    // The next bracket starts afterwards.
    expect(brief(drive(s, 1, score, propose))).toEqual(['9@1']);
  });

  it('sh - while a rung waits for results, free workers start the next bracket', () => {
    const s = createScheduler('sh', { maxEpochs: 4, rungs: [2, 4], eta: 2 });
    const propose = proposer();
    const first = [s.next(propose)!, s.next(propose)!];
    expect(brief(first)).toEqual(['0@2', '1@2']);
    // Bracket 1 has both trials out: a third worker gets trial 2 of bracket 2.
    expect(brief([s.next(propose)!])).toEqual(['2@2']);
    s.report(0, 2, 10);
    s.report(1, 2, 20);
    // Bracket 1 (oldest) goes first with its promotion.
    expect(brief([s.next(propose)!])).toEqual(['1@4']);
    expect(s.fate(0)).toBe('stopped');
  });

  it('sh - seal: with no more trials to come, a bracket still filling is cut to those it started and promotes from them', () => {
    const s = createScheduler('sh', { maxEpochs: 9, eta: 3 });
    const score = (id: number) => [5, 9, 1, 7, 3][id];
    const propose = proposer(5);
    // Five of the bracket's nine trials, then the proposals end: the bracket waits for four more.
    const jobs = drive(s, 6, score, propose);
    expect(brief(jobs)).toEqual(['0@1', '1@1', '2@1', '3@1', '4@1']);
    expect(s.next(propose)).toBeUndefined();
    s.seal!();
    // floor(5/3) = 1 promotion, then the top rung; no new bracket is opened.
    expect(brief(drive(s, 10, score, propose))).toEqual(['1@3', '1@9']);
    expect(s.trials('completed')).toEqual([1]);
    expect(s.trials('stopped')).toEqual([0, 2, 3, 4]);
    s.seal!(); // idempotent
    expect(s.next(propose)).toBeUndefined();
  });

  it('sh - seal while the cut rung still has results out closes it when the last one lands', () => {
    const s = createScheduler('sh', { maxEpochs: 4, rungs: [2, 4], eta: 2, bracketSize: 4 });
    const propose = proposer(3);
    const out = [s.next(propose)!, s.next(propose)!, s.next(propose)!];
    expect(brief(out)).toEqual(['0@2', '1@2', '2@2']);
    s.seal!();
    s.report(0, 2, 1);
    s.report(2, 2, 3);
    expect(s.next(propose)).toBeUndefined();
    s.report(1, 2, 2);
    expect(brief([s.next(propose)!])).toEqual(['2@4']);
  });

  it('budget-sh - halvingBracketEpochs: the epochs of one bracket of n trials, which budget-sh then plans exactly', () => {
    // Rungs 1, 3, 9 with eta 3: 8 trials at 1 epoch, 2 promoted to 3 (+2 each), 1 to 9 (+6).
    expect(halvingBracketEpochs([1, 3, 9], 3, 8)).toBe(8 + 2 * 2 + 6);
    const s = createScheduler('budget-sh', { maxEpochs: 9, eta: 3, minEpochs: 1, epochBudget: halvingBracketEpochs([1, 3, 9], 3, 8) });
    const jobs = drive(s, 100, (id) => id);
    expect(jobs.filter((j) => j.kind === 'start')).toHaveLength(8);
    expect(brief(jobs.filter((j) => j.kind === 'promote'))).toEqual(['7@3', '6@3', '7@9']);
    expect(() => halvingBracketEpochs([1, 3], 3, 0)).toThrow(/positive whole number/);
  });

  it('hyperband - cycles brackets from many short trials to few full ones', () => {
    const s = createScheduler('hyperband', { maxEpochs: 9, eta: 3 });
    const jobs = drive(s, 9 + 3 + 1 + 5 + 1 + 3, (id) => id);
    const starts = jobs.filter((j) => j.kind === 'start');
    // Bracket s=2: 9 trials at 1 epoch; s=1: 5 trials at 3 epochs; s=0: 3 trials at 9 epochs.
    expect(starts.map((j) => j.epochs)).toEqual([...Array(9).fill(1), ...Array(5).fill(3), ...Array(3).fill(9)]);
    expect(brief(jobs.filter((j) => j.kind === 'promote'))).toEqual(['8@3', '7@3', '6@3', '8@9', '13@9']);
  });

  it('budget-sh - one bracket sized to the budget: explores, then promotes the best first and spends the rest on the next best', () => {
    // Rung costs 1 and 4 (a promotion resumes); with eta 2 the plan [7, 3] costs 19 of 23 epochs,
    // so the top rung takes a fourth promotion with the 4 epochs left.
    const s = createScheduler('budget-sh', { maxEpochs: 5, rungs: [1, 5], eta: 2, epochBudget: 23 });
    const jobs = drive(s, 100, (id) => [3, 9, 1, 7, 5, 8, 2][id]);
    expect(brief(jobs)).toEqual(['0@1', '1@1', '2@1', '3@1', '4@1', '5@1', '6@1', '1@5', '5@5', '3@5', '4@5']);
    expect(jobs.reduce((a, j) => a + (j.kind === 'start' ? 1 : 4), 0)).toBe(23);
    expect(s.trials('completed')).toEqual([1, 3, 4, 5]);
    expect(s.trials('stopped')).toEqual([0, 2, 6]);
    expect(() => createScheduler('budget-sh', { maxEpochs: 5, rungs: [1, 5] })).toThrow(/needs the search's epoch budget/);
  });

  it('budget-sh - halves through middle rungs by eta', () => {
    const s = createScheduler('budget-sh', { maxEpochs: 9, rungs: [1, 3, 9], eta: 3, epochBudget: 70 });
    const jobs = drive(s, 1000, (id) => id);
    // Plan [32, 10, 3] costs 32 + 10*2 + 3*6 = 70: the best 10 of rung 1 go to 3 epochs, their best 3 to 9.
    const at = (e: number) => jobs.filter((j) => j.epochs === e).map((j) => j.trialId);
    expect(at(1)).toHaveLength(32);
    expect(at(3)).toEqual([31, 30, 29, 28, 27, 26, 25, 24, 23, 22]);
    expect(at(9)).toEqual([31, 30, 29]);
  });

  it('budget-sh - waits for the whole rung before promoting; infeasible and failed trials are never promoted', () => {
    // Plan [3, 1] costs 7 of 8: after the rung, the best feasible trial goes up.
    const s = createScheduler('budget-sh', { maxEpochs: 5, rungs: [1, 5], eta: 2, epochBudget: 8 });
    const propose = proposer();
    const out = [s.next(propose)!, s.next(propose)!, s.next(propose)!];
    expect(brief(out)).toEqual(['0@1', '1@1', '2@1']);
    expect(s.next(propose)).toBeUndefined();
    s.report(0, 1, 50);
    s.report(2, 1, undefined, true);
    expect(s.next(propose)).toBeUndefined();
    s.report(1, 1, undefined);
    expect(s.fate(1)).toBe('stopped');
    expect(s.fate(2)).toBe('failed');
    expect(brief([s.next(propose)!])).toEqual(['0@5']);
    s.report(0, 5, 60);
    expect(s.next(propose)).toBeUndefined();
    expect(s.fate(0)).toBe('completed');
  });

  it('budget-sh - with no promotable trial, a new bracket explores with what is left; a strategy with nothing to propose ends exploring', () => {
    const s = createScheduler('budget-sh', { maxEpochs: 5, rungs: [1, 5], eta: 2, epochBudget: 16 });
    // Plan [5, 2] (13 epochs); the first 5 are infeasible, so the 11 epochs left plan [3, 1] anew.
    const jobs = drive(s, 100, (id) => (id < 5 ? undefined : id));
    expect(brief(jobs)).toEqual(['0@1', '1@1', '2@1', '3@1', '4@1', '5@1', '6@1', '7@1', '7@5', '6@5']);
    const starved = createScheduler('budget-sh', { maxEpochs: 5, rungs: [1, 5], eta: 2, epochBudget: 100 });
    expect(brief(drive(starved, 100, (id) => id, proposer(3)))).toEqual(['0@1', '1@1', '2@1', '2@5', '1@5', '0@5']);
  });

  it('schedulers - a duplicate or stray report is ignored', () => {
    for (const name of SCHEDULER_NAMES) {
      const s = createScheduler(name, { maxEpochs: 9, eta: 3, epochBudget: 100, space: nb201Space });
      const j = s.next(proposer())!;
      s.report(j.trialId, j.epochs, 1);
      const fate = s.fate(j.trialId);
      s.report(j.trialId, j.epochs, 99);
      s.report(42, 9, 5);
      expect(s.fate(j.trialId)).toBe(fate);
      expect(s.fate(42)).toBe('stopped');
    }
  });
});

describe('runFidelitySearch', () => {
  const problem = createProblem({ objectives: ['accuracy'], constraints: ['toy_latency<=8'] }, SYNTHETIC_METRICS);
  /** Accuracy grows with epochs towards the synthetic full-fidelity value. */
  const source = { evaluate: (arch: Arch, epochs: number) => ({ ...syntheticMetrics(arch), accuracy: syntheticMetrics(arch).accuracy * (1 - Math.exp(-epochs / 20)) }) };

  it.each(STRATEGY_NAMES)('runFidelitySearch - %s composes with every scheduler: budget kept, same seed same run, only completed trials are best', (strategy) => {
    for (const name of SCHEDULER_NAMES) {
      const go = () =>
        runFidelitySearch(
          createStrategy(strategy, { space: nb201Space, problem, seed: 3 }, {}, { screen: false }),
          createScheduler(name, { maxEpochs: 27, eta: 3, epochBudget: 600, space: nb201Space }),
          problem,
          source,
          { epochBudget: 600 },
        );
      const run = go();
      expect(run.spentEpochs).toBeLessThanOrEqual(600);
      expect(run.log.reduce((a, e) => a + e.costEpochs, 0)).toBe(run.spentEpochs);
      expect(run.log.map((e) => `${e.trialId}@${e.epochs}`)).toEqual(go().log.map((e) => `${e.trialId}@${e.epochs}`));
      if (run.best) {
        expect(run.fates.get(run.best.trialId)).toBe('completed');
        expect(run.best.epochs).toBe(27);
      }
      for (const [id, fate] of run.fates) {
        expect(['completed', 'stopped', 'failed']).toContain(fate);
        if (fate === 'stopped') expect(run.log.some((e) => e.trialId === id && e.epochs === 27)).toBe(false);
      }
      if (name !== 'none') expect(run.fates.size).toBeGreaterThan(600 / 27);
    }
  });

  it('runFidelitySearch - a promoted trial pays only the epochs it adds', () => {
    const run = runFidelitySearch(createStrategy('random', { space: nb201Space, problem, seed: 1 }, {}, { screen: false }), createScheduler('asha', { maxEpochs: 200, rungs: [12, 200], eta: 3 }), problem, source, { epochBudget: 2000 });
    const promoted = run.log.filter((e) => e.epochs === 200);
    expect(promoted.length).toBeGreaterThan(0);
    for (const e of promoted) expect(e.costEpochs).toBe(188);
  });
});

describe('RungStopper', () => {
  it('RungStopper - asha stopping: a report at a rung continues only within the best 1/eta so far', () => {
    const s = new RungStopper({ maxEpochs: 9, eta: 2 }, 'asha');
    expect(s.rungs).toEqual([1, 2, 4, 8, 9]);
    expect(s.onReport(0, 1, 50)).toBe('continue'); // alone: the best 1
    expect(s.onReport(1, 1, 40)).toBe('stop'); // best 1 of 2 is trial 0
    expect(s.onReport(2, 1, 60)).toBe('continue');
    expect(s.onReport(3, 1, 55)).toBe('continue'); // best 2 of 4: 60, 55
    expect(s.onReport(3, 1, 10)).toBe('continue'); // judged once per rung
    expect(s.onReport(0, 3, 1)).toBe('continue'); // not a rung level
    expect(s.onReport(0, 9, 1)).toBe('continue'); // the top rung never stops
    expect(s.onReport(4, 1, undefined)).toBe('continue');
  });

  it('RungStopper - hyperband stopping: bracket t mod K skips the lowest rungs', () => {
    const s = new RungStopper({ maxEpochs: 9, rungs: [1, 3, 9], eta: 3 }, 'hyperband');
    expect(s.onReport(0, 1, 90)).toBe('continue');
    expect(s.onReport(3, 1, 10)).toBe('stop'); // bracket 0: judged at rung 1
    expect(s.onReport(1, 1, 5)).toBe('continue'); // bracket 1 skips rung 1
    expect(s.onReport(1, 3, 5)).toBe('continue');
    expect(s.onReport(4, 3, 1)).toBe('stop');
    expect(s.onReport(2, 3, 0)).toBe('continue'); // bracket 2 skips rungs 1 and 3
    expect(() => new RungStopper({ maxEpochs: 1 })).toThrow(/at least two rungs/);
  });
});
