import { InvalidArgumentError } from '@hwnas/bench-core';
import type { BenchRow, BenchSearchReport, BenchTable } from './bench-search';
import { stats } from './bench-search';
import { hvOf, regretOf } from './tasks';
import type { TaskCInfo, TaskPInfo } from './tasks';

/**
 * Runs of another search system on the same tasks (`libs/search/scripts/optuna-peer.py` writes
 * them): for each task, device, mode and peer, the benchmark indices of the first N distinct
 * architectures each seed evaluated, in order, and the CPU seconds of each run. Scoring them here,
 * with the harness's own regret and hypervolume code, makes the peer rows answer exactly the
 * question the strategy rows answer.
 */
export interface PeerRuns {
  readonly tool: string;
  readonly runs: readonly PeerRun[];
}

/** The runs of one peer on one table. */
export interface PeerRun {
  readonly task: 'C' | 'P';
  readonly device: string;
  readonly mode: 'joint' | 'cost-first';
  /** Row label, e.g. `optuna-tpe`. */
  readonly peer: string;
  /** Distinct evaluations each run was given. */
  readonly budget: number;
  /** Per seed: benchmark indices of the distinct architectures evaluated, in order. */
  readonly evaluated: readonly (readonly number[])[];
  readonly cpuSeconds: readonly number[];
  /** Runs that stopped before `budget` distinct architectures. */
  readonly shortRuns: number;
}

/**
 * Checks the JSON of a peer file (`what` names it in errors) and returns it typed. Throws
 * {@link InvalidArgumentError} saying which field of which run is wrong.
 */
export function parsePeerRuns(json: unknown, what: string, spaceSize: number): PeerRuns {
  const bad = (msg: string) => new InvalidArgumentError(`${what}: ${msg}`);
  if (typeof json !== 'object' || json === null || !Array.isArray((json as { runs?: unknown }).runs)) throw bad('expected an object with a "runs" array');
  const runs = (json as { runs: unknown[] }).runs.map((r, i) => {
    const at = `runs[${i}]`;
    if (typeof r !== 'object' || r === null) throw bad(`${at} is not an object`);
    const run = r as Record<string, unknown>;
    if (run.task !== 'C' && run.task !== 'P') throw bad(`${at}.task must be "C" or "P", got ${JSON.stringify(run.task)}`);
    if (run.mode !== 'joint' && run.mode !== 'cost-first') throw bad(`${at}.mode must be "joint" or "cost-first", got ${JSON.stringify(run.mode)}`);
    for (const k of ['device', 'peer']) if (typeof run[k] !== 'string' || run[k] === '') throw bad(`${at}.${k} must be a non-empty string`);
    if (!Number.isInteger(run.budget) || (run.budget as number) < 1) throw bad(`${at}.budget must be a positive integer`);
    if (!Array.isArray(run.evaluated) || run.evaluated.length === 0) throw bad(`${at}.evaluated must be a non-empty array of index lists`);
    run.evaluated.forEach((seq, s) => {
      if (!Array.isArray(seq)) throw bad(`${at}.evaluated[${s}] is not an array`);
      const seen = new Set<number>();
      for (const x of seq) {
        if (!Number.isInteger(x) || x < 0 || x >= spaceSize) throw bad(`${at}.evaluated[${s}] holds ${JSON.stringify(x)}, not a benchmark index in 0..${spaceSize - 1}`);
        if (seen.has(x)) throw bad(`${at}.evaluated[${s}] repeats index ${x} (the budget counts distinct architectures)`);
        seen.add(x);
      }
    });
    if (!Array.isArray(run.cpuSeconds) || run.cpuSeconds.length !== run.evaluated.length || run.cpuSeconds.some((c) => typeof c !== 'number')) {
      throw bad(`${at}.cpuSeconds must hold one number per run`);
    }
    return { ...run, shortRuns: typeof run.shortRuns === 'number' ? run.shortRuns : 0 } as unknown as PeerRun;
  });
  return { tool: typeof (json as { tool?: unknown }).tool === 'string' ? (json as { tool: string }).tool : 'peer', runs };
}

/**
 * The report with each peer's row appended to its table (same task, device and mode). Budgets
 * beyond a peer's own budget get NaN (rendered as "-"). Peer runs for tables the report does not
 * have are ignored.
 */
export function addPeerRows(report: BenchSearchReport, tables: { readonly accuracy: ArrayLike<number>; readonly costs: Readonly<Record<string, ArrayLike<number>>> }, peers: PeerRuns): BenchSearchReport {
  const out: BenchTable[] = report.tables.map((t) => {
    const mine = peers.runs.filter((r) => r.task === t.task && r.device === t.device && r.mode === t.mode);
    if (mine.length === 0) return t;
    const cost = tables.costs[t.device];
    const rows: BenchRow[] = mine.map((run) => peerRow(t, run, tables.accuracy, cost));
    return { ...t, rows: [...t.rows, ...rows] };
  });
  return { ...report, tables: out };
}

function peerRow(t: BenchTable, run: PeerRun, accuracy: ArrayLike<number>, cost: ArrayLike<number>): BenchRow {
  const values: number[][] = t.budgets.map(() => []);
  const ratios: number[][] = t.budgets.map(() => []);
  const none = t.budgets.map(() => 0);
  for (const seq of run.evaluated) {
    t.budgets.forEach((n, k) => {
      if (n > run.budget) return;
      const first = seq.slice(0, n);
      if (t.task === 'C') {
        const r = regretOf(t.info as TaskCInfo, accuracy, cost, first);
        values[k].push(r.regret);
        if (r.noneFeasible) none[k]++;
      } else {
        const h = hvOf(t.info as TaskPInfo, accuracy, cost, first);
        values[k].push(h.gap);
        ratios[k].push(h.ratio);
      }
    });
  }
  const nan = { mean: NaN, std: NaN };
  const cpuMs = (1000 * run.cpuSeconds.reduce((a, b) => a + b, 0)) / run.cpuSeconds.length;
  return {
    strategy: run.peer,
    value: values.map((v) => (v.length > 0 ? stats(v) : nan)),
    worst: values.map((v) => (v.length > 0 ? Math.max(...v) : NaN)),
    ...(t.task === 'P' ? { hvRatio: ratios.map((v) => (v.length > 0 ? stats(v) : nan)) } : { noneFeasible: none }),
    costQueries: 0,
    exhaustedRuns: run.shortRuns,
    cpuMsPerRun: cpuMs,
  };
}
