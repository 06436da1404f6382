import { nb201Space } from '@hwnas/bench-core';
import type { Arch } from '@hwnas/bench-core';
import type { FidelityJob, Proposal } from './fidelity-scheduler';
import { ForecastingScheduler } from './forecasting';
import { createScheduler } from './registry';

/** A NAS-Bench-201 architecture whose first two edges take options `a` and `b`, the rest option 0. */
const archOf = (a: number, b: number): Arch => Object.freeze([a, b, 0, 0, 0, 0]);

/** Full-fidelity score: the low-rung score plus a gain of 10, or 15 when edge 0 takes option 1. */
const fullScore = (arch: Arch, low: number) => low + 10 + (arch[0] === 1 ? 5 : 0);

/**
 * Drives a forecasting scheduler over rungs [1, 9] with brackets of 3, one job at a time: bracket
 * members are started with the given architectures and low scores, promoted trials report
 * `fullScore`. Returns the jobs handed out.
 */
function drive(s: ForecastingScheduler, brackets: readonly { arch: Arch; low: number }[][]): FidelityJob[] {
  const members = brackets.flat();
  let n = 0;
  const propose = (): Proposal => (n < members.length ? { trialId: n, arch: members[n++].arch } : undefined);
  const jobs: FidelityJob[] = [];
  for (let job = s.next(propose); job; job = s.next(propose)) {
    jobs.push(job);
    const low = members[job.trialId].low;
    s.report(job.trialId, job.epochs, job.epochs === 9 ? fullScore(job.arch, low) : low);
  }
  return jobs;
}

/** Brackets whose winner (score 60) walks through the options of edges 0 and 1; the two others score 50. */
function learningBrackets(count: number): { arch: Arch; low: number }[][] {
  return Array.from({ length: count }, (_, j) => [
    { arch: archOf(j % 5, Math.floor(j / 5) % 5), low: 60 },
    { arch: archOf(0, 0), low: 50 },
    { arch: archOf(0, 1), low: 50 },
  ]);
}

describe('ForecastingScheduler', () => {
  const create = () => new ForecastingScheduler(createScheduler('sh', { maxEpochs: 9, rungs: [1, 9], eta: 3 }), { space: nb201Space });

  it('forecast-sh - ranks by score until enough trials reached the top, then by score + learned gain', () => {
    // The test bracket: trial X (edge 0 = option 1, gain 15) scores 57, trial Y (gain 10) scores 59.
    const test = [
      { arch: archOf(1, 2), low: 57 },
      { arch: archOf(2, 2), low: 59 },
      { arch: archOf(0, 0), low: 50 },
    ];
    const few = create();
    const promotedFew = drive(few, [...learningBrackets(5), test]).filter((j) => j.kind === 'promote');
    expect(promotedFew.map((j) => j.trialId)).toEqual([0, 3, 6, 9, 12, 16]); // 5 samples: by score, Y (16)

    const many = create();
    const jobs = drive(many, [...learningBrackets(20), test]);
    const promoted = jobs.filter((j) => j.kind === 'promote').map((j) => j.trialId);
    expect(promoted.slice(-1)).toEqual([60]); // X: 57 + 15 beats 59 + 10
    expect(many.fate(60)).toBe('completed');
    expect(many.fate(61)).toBe('stopped');
    expect(many.gainAt(0, archOf(1, 3))).toBeGreaterThan(13);
    expect(many.gainAt(0, archOf(3, 3))).toBeCloseTo(10, 0);
  });

  it('forecast-sh - deterministic, and top-rung scores pass through unchanged', () => {
    const a = drive(create(), learningBrackets(15));
    const b = drive(create(), learningBrackets(15));
    expect(a).toEqual(b);
    const s = create();
    drive(s, learningBrackets(15));
    expect(s.trials('completed')).toEqual(Array.from({ length: 15 }, (_, j) => 3 * j));
  });

  it('createScheduler - forecast schedulers need the search space; bad options are rejected', () => {
    expect(() => createScheduler('forecast-asha', { maxEpochs: 9 })).toThrow(/scheduler "forecast-asha" needs the search space/);
    for (const name of ['forecast-sh', 'forecast-asha', 'forecast-hyperband']) expect(createScheduler(name, { maxEpochs: 27, eta: 3, space: nb201Space }).rungs).toEqual([1, 3, 9, 27]);
    const inner = createScheduler('sh', { maxEpochs: 9 });
    expect(() => new ForecastingScheduler(inner, { space: nb201Space, minSamples: 0 })).toThrow(/min samples must be a positive integer/);
    expect(() => new ForecastingScheduler(inner, { space: nb201Space, ridge: -1 })).toThrow(/ridge penalty must be non-negative/);
  });
});
