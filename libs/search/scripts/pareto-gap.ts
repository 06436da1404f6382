/**
 * Where a strategy's HV gap on task P comes from: for each device, the mean HV gap over the seeds
 * split by bands of normalised cost (the gap is the integral over cost x of the true front's best
 * accuracy at cost <= x minus the run's, both normalised as in `hvOf`), the share of the true
 * front's points the runs evaluated, and, for the first seed, each missed front point with the
 * best accuracy the run found at no more cost. It also prints the gap the runs would have if each
 * evaluated cell brought every cell computing the same network (NB201's dead edges set to `none`)
 * with it: the rest of the gap is the part no search over networks can close, the spread of
 * accuracy and latency between cells of one network (separate training runs and measurements).
 * `--help` prints the usage.
 */
import { readFileSync } from 'node:fs';
import { ACCURACY_METRICS, Benchmark, costMetricInfo, loadDeviceLatency, nb201Space, resolveDataDir } from '@hwnas/bench-core';
import { columnSource, createProblem, createStrategy, hvOf, runInProcess, STRATEGY_NAMES, taskP } from '../src/index';
import { archEncoder } from '../src/internal';
import { latencyColumn, parseStrategyRunFlags, runScript, scriptArgs, ScriptUsageError } from './script-args';

const USAGE = `node --import tsx libs/search/scripts/pareto-gap.ts [--strategy gp-bo] [--devices LIST] [--seeds 0-29]
        [--budget 300] [--options JSON] [--peers FILE [--peer optuna-motpe]] [--data DIR]

  Runs a strategy on task P (accuracy vs latency) of NAS-Bench-201 CIFAR-10 for each device and
  seed, and prints per device the mean HV gap split by normalised-cost bands, the share of the
  true front evaluated, the gap with every cell of each evaluated network credited, and the first
  seed's missed front points as cost/accuracy (normalised).

  --strategy  one of ${STRATEGY_NAMES.join(', ')} (default gp-bo)
  --devices   comma-separated latency columns of the table or HELP's measured devices
              (default raspi4_latency,pixel3_latency)
  --seeds     FIRST-LAST, inclusive (default 0-29)
  --budget    distinct evaluations per run (default 300)
  --options   the strategy's options as a JSON object (default {})
  --peers     score the task-P runs of a peer file (optuna-peer.py --out FILE) instead of running
              the strategy: its runs of --peer on each device, their first --budget architectures
              (the seeds are the file's)
  --peer      which peer of the file (default optuna-motpe)
  --data      the benchmark data directory (default: HWNAS_DATA or the data pack)`;

/** Upper edges of the cost bands (normalised cost; the first band starts at 0). */
const BANDS = [0.02, 0.05, 0.1, 0.2, 0.4, 1];
/** Cost steps of the gap's integral. */
const STEPS = 4000;

const values = scriptArgs(USAGE, {
  data: { type: 'string' },
  strategy: { type: 'string', default: 'gp-bo' },
  devices: { type: 'string', default: 'raspi4_latency,pixel3_latency' },
  seeds: { type: 'string', default: '0-29' },
  budget: { type: 'string', default: '300' },
  options: { type: 'string', default: '{}' },
  peers: { type: 'string' },
  peer: { type: 'string', default: 'optuna-motpe' },
});

/** The part of an optuna-peer.py output this script reads. */
interface PeerFile {
  readonly seeds: readonly number[];
  readonly runs: readonly { readonly task: string; readonly device: string; readonly peer: string; readonly evaluated: readonly (readonly number[])[] }[];
}

void runScript(USAGE, () => {
  const { strategy, firstSeed: s0, lastSeed: s1, budget, options, devices } = parseStrategyRunFlags(values);

  const dataDir = resolveDataDir(values.data);
  const tables = Benchmark.open({ dataDir }).nb201;
  const accuracy = tables.column('cifar10', 'accuracy');
  const help = loadDeviceLatency(dataDir, 'nb201');
  const columns = devices.map((device) => ({ device, ...latencyColumn(tables, help, device) }));
  const peers = values.peers ? (JSON.parse(readFileSync(values.peers, 'utf8')) as PeerFile) : undefined;
  const peerRuns = (device: string): readonly (readonly number[])[] => {
    const entry = peers!.runs.find((r) => r.task === 'P' && r.device === device && r.peer === values.peer);
    if (!entry) throw new ScriptUsageError(`${values.peers}: no task-P runs of ${values.peer} on ${device}`);
    return entry.evaluated;
  };
  const label = peers ? values.peer : `${strategy} ${values.options}`;

  for (const { device, metric, cost } of columns) {
    const info = taskP(accuracy, cost);
    const problem = createProblem({ objectives: ['accuracy:max', `${metric}:min`] }, [ACCURACY_METRICS.find((m) => m.name === 'accuracy')!, costMetricInfo(metric)]);
    const source = columnSource({ accuracy, [metric]: cost }, (a) => tables.indexOf(a));
    const na = (i: number) => (accuracy[i] - info.accuracyMin) / (info.accuracyMax - info.accuracyMin || 1);
    const nc = (i: number) => (cost[i] - info.costMin) / (info.costMax - info.costMin || 1);
    // Best normalised accuracy at normalised cost <= x, for x at the midpoints of the integral's steps.
    const bestCurve = (indices: readonly number[]): Float64Array => {
      const curve = new Float64Array(STEPS);
      for (const i of indices) {
        const from = Math.max(0, Math.ceil(nc(i) * STEPS - 0.5));
        for (let k = from; k < STEPS; k++) if (curve[k] < na(i)) curve[k] = na(i);
      }
      return curve;
    };
    const all = Array.from({ length: accuracy.length }, (_, i) => i);
    const trueCurve = bestCurve(all);
    const byCost = all.slice().sort((a, b) => cost[a] - cost[b] || accuracy[b] - accuracy[a]);
    const front: number[] = [];
    let best = -Infinity;
    for (const i of byCost) {
      if (accuracy[i] <= best) continue;
      front.push(i);
      best = accuracy[i];
    }

    // The cells of each network: NB201 cells whose encodings (dead edges as `none`) agree.
    const encode = archEncoder(nb201Space);
    const networkOf = all.map((i) => encode(tables.index.archAt(i)).arch.join(','));
    const cellsOf = new Map<string, number[]>();
    all.forEach((i) => {
      const cells = cellsOf.get(networkOf[i]);
      if (cells) cells.push(i);
      else cellsOf.set(networkOf[i], [i]);
    });

    const bandGap = new Array<number>(BANDS.length).fill(0);
    let gap = 0;
    let networkGap = 0;
    let found = 0;
    // Each run's evaluated architectures (table indices), in order.
    const runs: (() => number[])[] = peers
      ? peerRuns(device).map((ev) => () => ev.slice(0, budget))
      : Array.from({ length: s1 - s0 + 1 }, (_, k) => () => {
          const run = runInProcess(createStrategy(strategy, { space: nb201Space, problem, seed: s0 + k }, options), nb201Space, problem, source, { budget });
          return run.evaluated.map((e) => tables.indexOf(e.arch));
        });
    const seedOf = (k: number) => (peers ? peers.seeds[k] : s0 + k);
    for (let r = 0; r < runs.length; r++) {
      const seed = seedOf(r);
      const indices = runs[r]();
      gap += hvOf(info, accuracy, cost, indices).gap / runs.length;
      const networks = new Set(indices.map((i) => networkOf[i]));
      networkGap += hvOf(info, accuracy, cost, [...networks].flatMap((n) => cellsOf.get(n)!)).gap / runs.length;
      const curve = bestCurve(indices);
      for (let k = 0; k < STEPS; k++) {
        const band = BANDS.findIndex((edge) => (k + 0.5) / STEPS < edge);
        bandGap[band] += (trueCurve[k] - curve[k]) / STEPS / info.trueHv / runs.length;
      }
      const evaluated = new Set(indices);
      found += front.filter((i) => evaluated.has(i)).length / front.length / runs.length;
      if (r === 0) {
        const at = (i: number) => curve[Math.min(STEPS - 1, Math.max(0, Math.ceil(nc(i) * STEPS - 0.5)))];
        const missed = front.filter((i) => !evaluated.has(i)).map((i) => `${nc(i).toFixed(3)}/${na(i).toFixed(3)} (run ${at(i).toFixed(3)})`);
        console.log(`${device} seed ${seed}: missed front points, cost/accuracy (the run's best at that cost): ${missed.join(', ')}`);
      }
    }
    const bands = BANDS.map((edge, j) => `[${j === 0 ? 0 : BANDS[j - 1]},${edge}) ${bandGap[j].toFixed(5)}`).join(', ');
    console.log(`${label} ${device} task P N=${budget} seeds ${seedOf(0)}..${seedOf(runs.length - 1)}: mean HV gap ${gap.toFixed(5)}; by cost band ${bands}; true front evaluated ${(100 * found).toFixed(0)} % of ${front.length} points; with every cell of each evaluated network (${cellsOf.size} networks) ${networkGap.toFixed(5)}`);
  }
});
