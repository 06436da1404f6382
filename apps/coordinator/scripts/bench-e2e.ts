/**
 * End-to-end throughput of the coordinator on benchmark-table evaluations: embedded mode, and
 * NATS JetStream with 1, 2 and 4 worker processes (a nats-server started here, on a free port).
 * Prints one JSON object per mode: evaluations per second of one search with a wide window
 * (`latencyMs` there is dispatch-to-result time, mostly queueing; embedded: the median of five
 * searches after a first one, whose rate is reported apart), and the per-evaluation
 * overhead (p50, p99) measured with one evaluation in flight: dispatch to result, minus the
 * worker's own evaluation time.
 *
 *   node --import tsx apps/coordinator/scripts/bench-e2e.ts [--budget-nats 6000] [--budget-embedded 15000]
 *     [--in-flight 512] [--workers 1,2,4] [--concurrency 64] [--space nb201]
 *
 * HWNAS_BENCH_WORKER_PROF=DIR writes a CPU profile of every worker process into DIR.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Benchmark } from '@hwnas/bench-core';
import {
  Coordinator,
  createTableSearchFactory,
  InMemoryResultChannel,
  InMemoryTaskQueue,
  InMemoryTrialJournal,
  startWorker,
  TableTrialEvaluator,
} from '@hwnas/runtime';
import type { EvalTask, ResultChannel, TaskQueue, TaskResult, TrialJournal } from '@hwnas/runtime';
import { startNatsServer } from '@hwnas/testing-nats';
import { connectNats, createNames, ensureStreams, JetStreamTrialJournal, NatsResultChannel, NatsTaskQueue } from '@hwnas/transport-nats';

const { values } = parseArgs({
  options: {
    'budget-nats': { type: 'string', default: '6000' },
    'budget-embedded': { type: 'string', default: '15000' },
    'in-flight': { type: 'string', default: '512' },
    workers: { type: 'string', default: '1,2,4' },
    concurrency: { type: 'string', default: '64' },
    space: { type: 'string', default: 'nb201' },
    dataset: { type: 'string', default: 'cifar10' },
  },
});
const REPO = path.resolve(__dirname, '../../..');
const bench = Benchmark.open();
const factory = createTableSearchFactory(bench);

/** Records dispatch and receipt times per task id around a queue and a result channel. */
function timed(queue: TaskQueue, results: ResultChannel) {
  const sentAt = new Map<string, number>();
  const overheads: number[] = [];
  const q: TaskQueue = {
    publish(t: EvalTask) {
      sentAt.set(t.taskId, performance.now());
      return queue.publish(t);
    },
    consume: (h, o) => queue.consume(h, o),
    discard: (id) => queue.discard(id),
  };
  const r: ResultChannel = {
    publish: (x) => results.publish(x),
    subscribe: (h) =>
      results.subscribe((x: TaskResult) => {
        const s = sentAt.get(x.taskId);
        if (s !== undefined) {
          overheads.push(performance.now() - s - (x.durationMs ?? 0));
          sentAt.delete(x.taskId);
        }
        return h(x);
      }),
  };
  return { queue: q, results: r, overheads };
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};

async function runSearch(coordinator: Coordinator, budget: number, overheads: number[], maxInFlight = Number(values['in-flight'])) {
  overheads.length = 0;
  const spec = { space: values.space, dataset: values.dataset, strategy: 'random', objectives: ['accuracy'], budget, maxInFlight, seed: 1 };
  const t0 = performance.now();
  const id = await coordinator.submit(spec);
  const view = await coordinator.waitFor(id);
  const seconds = (performance.now() - t0) / 1000;
  if (view.counts.evaluationsDone !== budget) throw new Error(`expected ${budget} evaluations, got ${view.counts.evaluationsDone} (${view.finishReason})`);
  return {
    evaluations: budget,
    seconds: +seconds.toFixed(3),
    evalsPerSecond: Math.round(budget / seconds),
    latencyMs: { p50: +pct(overheads, 50).toFixed(3), p99: +pct(overheads, 99).toFixed(3) },
  };
}

/**
 * Throughput with a wide window (latency there is mostly queueing: Little's law), then the
 * per-evaluation overhead with one evaluation in flight (dispatch -> result, minus evaluation).
 */
async function measure(coordinator: Coordinator, budget: number, overheads: number[]) {
  const throughput = await runSearch(coordinator, budget, overheads);
  const single = await runSearch(coordinator, 400, overheads, 1);
  return { ...throughput, overheadMs: single.latencyMs };
}

async function embedded(budget: number) {
  const t = timed(new InMemoryTaskQueue(), new InMemoryResultChannel());
  const coordinator = new Coordinator({ queue: t.queue, results: t.results, journal: new InMemoryTrialJournal(), factory });
  await coordinator.start();
  const evaluator = new TableTrialEvaluator(bench);
  const w = await startWorker({ queue: t.queue, results: t.results, evaluator, workerId: 'embedded', concurrency: Number(values['in-flight']) });
  try {
    return await measure(coordinator, budget, t.overheads);
  } finally {
    await w.stop();
    await coordinator.stop();
  }
}

async function overNats(url: string, natsPid: number | undefined, workers: number, budget: number) {
  const prefix = `bench${workers}${Date.now() % 100000}`;
  const names = createNames(prefix);
  const nc = await connectNats({ servers: url, name: 'bench-coordinator' });
  await ensureStreams(nc, names);
  const procs = Array.from({ length: workers }, (_, i) =>
    spawn(process.execPath, [...(process.env.HWNAS_BENCH_WORKER_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.HWNAS_BENCH_WORKER_PROF}`] : []), '--import', 'tsx', path.join(REPO, 'apps/worker/src/main.ts'), '--nats', url, '--prefix', prefix, '--concurrency', String(values.concurrency), '--worker-id', `w${i}`], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((resolve, reject) => {
          let out = '';
          p.stdout!.on('data', (b: Buffer) => {
            out += b.toString();
            if (out.includes('"consuming"')) resolve();
          });
          p.once('exit', (c) => reject(new Error(`worker exited ${c}: ${out}`)));
        }),
    ),
  );
  const t = timed(new NatsTaskQueue({ nc, names }), new NatsResultChannel({ nc, names, concurrency: 256, ackWaitMs: 5000 }));
  const journal: TrialJournal = new JetStreamTrialJournal({ nc, names });
  const coordinator = new Coordinator({ queue: t.queue, results: t.results, journal, factory });
  await coordinator.start();
  try {
    const cpu0 = { coordinator: process.cpuUsage(), nats: cpuSeconds(natsPid), workers: procs.map((p) => cpuSeconds(p.pid)) };
    const t0 = performance.now();
    const throughput = await runSearch(coordinator, budget, t.overheads);
    const wall = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(cpu0.coordinator);
    // Share of one core each role used during the throughput run: what to optimise first.
    const cpuShare = {
      coordinator: +((c.user + c.system) / 1e6 / wall).toFixed(2),
      natsServer: +((cpuSeconds(natsPid) - cpu0.nats) / wall).toFixed(2),
      workers: +(procs.reduce((sum, p, i) => sum + cpuSeconds(p.pid) - cpu0.workers[i], 0) / wall).toFixed(2),
    };
    const single = await runSearch(coordinator, 400, t.overheads, 1);
    return { ...throughput, overheadMs: single.latencyMs, cpuShare };
  } finally {
    await coordinator.stop();
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)))));
    await nc.drain();
  }
}

async function main() {
  const out: Record<string, unknown> = { machine: { cpus: (await import('node:os')).cpus().length, node: process.version }, space: values.space, strategy: 'random', maxInFlight: Number(values['in-flight']) };
  // Embedded runs take a fraction of a second, so one would mostly measure JIT warm-up and the
  // machine's noise: a first search warms up (JIT, tables), then the median of five is reported.
  const budgetEmbedded = Number(values['budget-embedded']);
  const first = await embedded(budgetEmbedded);
  const runs = [];
  for (let i = 0; i < 5; i++) runs.push(await embedded(budgetEmbedded));
  runs.sort((a, b) => a.evalsPerSecond - b.evalsPerSecond);
  out.embedded = { ...runs[2], evalsPerSecondRuns: runs.map((r) => r.evalsPerSecond), firstSearchEvalsPerSecond: first.evalsPerSecond };
  // `--workers ''` measures the embedded mode only.
  const counts = String(values.workers).split(',').filter(Boolean).map(Number);
  if (counts.length === 0) return void process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  await using nats = await startNatsServer({ jetstream: true });
  for (const n of counts) out[`nats_${n}_workers`] = await overNats(nats.url, nats.process.pid, n, Number(values['budget-nats']));
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`bench-e2e: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});
