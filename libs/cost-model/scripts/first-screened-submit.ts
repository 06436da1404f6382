/**
 * What the first screened search costs the process that accepts it: the time `submit` takes and
 * the longest event-loop stall while it runs (the longest gap between ticks of a 5 ms timer), on the runtime's
 * coordinator (the code of `apps/coordinator`) over in-memory ports, with `storedCostModels` as
 * the coordinator builds it. Cold: the references (IR, MACs and both simulators over the 15,625
 * NB201 cells) are computed by that submit (its load waits for `warm()`, as on the coordinator);
 * warm: `warm()` computed them first, in slices between turns of the event loop (its longest stall
 * meanwhile is reported too). Each run is a fresh process (the references are kept per process);
 * cold and warm alternate. The calibration is raspi4's (replay, HELP's ten probe cells).
 *
 *   node --import tsx libs/cost-model/scripts/first-screened-submit.ts [--data DIR] [--runs 3]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { Benchmark } from '@hwnas/bench-core';
import { createBackend, InProcessDevices } from '@hwnas/device-backends';
import { createTableSearchFactory, startEmbedded, TableTrialEvaluator } from '@hwnas/runtime';
import { calibrateDevice, loadEvalSpace, storedCostModels } from '../src/index';
import { scriptFlags } from './script-flags';

const USAGE = `node --import tsx libs/cost-model/scripts/first-screened-submit.ts [--data DIR] [--runs 3]

  Times the first screened submission on a fresh coordinator, with and without warm() first, and
  the longest event-loop stall of each (--child and --calibration are its own runs' flags).`;
const flags = scriptFlags(USAGE, { runs: { type: 'string' }, child: { type: 'string' }, calibration: { type: 'string' } });
const dataDir = flags.dataDir();
const runs = flags.number('runs', 3);

interface Sample {
  readonly mode: 'cold' | 'warm';
  readonly warmMs: number;
  readonly warmStallMs: number;
  readonly submitMs: number;
  readonly maxStallMs: number;
}

/** One run in this process: `mode` from --child. */
async function child(mode: 'cold' | 'warm', calibrationFile: string): Promise<Sample> {
  const bench = Benchmark.open({ dataDir });
  const calibration = JSON.parse(readFileSync(calibrationFile, 'utf8')) as unknown;
  const devices = new InProcessDevices(bench);
  const costModels = storedCostModels({ dataDir, read: async () => calibration });
  // The longest gap between the ticks of a 5 ms timer: how long nothing else could run.
  let last = performance.now();
  let maxStallMs = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    maxStallMs = Math.max(maxStallMs, now - last);
    last = now;
  }, 5);
  const warmMs = mode === 'warm' ? await costModels.warm() : 0;
  await new Promise((r) => setTimeout(r, 30));
  const warmStallMs = mode === 'warm' ? maxStallMs : 0;
  const embedded = await startEmbedded({ factory: createTableSearchFactory(bench, devices), evaluator: new TableTrialEvaluator(bench, devices), workers: 1, concurrency: 1, costModels });
  const spec = { space: 'nb201', dataset: 'cifar10', strategy: 'random', budget: 5, seed: 0, mode: 'cost-first', objectives: ['accuracy'], constraints: ['raspi4_latency<=15.7228'], devices: ['raspi4'], costModel: { device: 'raspi4', z: 2 } };
  last = performance.now();
  maxStallMs = 0;
  const t0 = performance.now();
  await embedded.coordinator.submit(spec);
  const submitMs = performance.now() - t0;
  // Let the timer notice a stall that ended just now.
  await new Promise((r) => setTimeout(r, 30));
  clearInterval(ticker);
  await embedded.stop();
  await devices.close();
  return { mode, warmMs, warmStallMs, submitMs, maxStallMs };
}

async function main(): Promise<void> {
  const childMode = flags.string('child', '');
  if (childMode === 'cold' || childMode === 'warm') {
    console.log(JSON.stringify(await child(childMode, flags.string('calibration', ''))));
    return;
  }
  const load0 = loadavg()[0];
  const backend = createBackend('raspi4', { dataDir });
  const calibration = await calibrateDevice(backend, loadEvalSpace(dataDir, 'nb201'), { samples: 10 });
  await backend.close();
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'first-screened-submit-')), 'raspi4.json');
  writeFileSync(file, JSON.stringify(calibration));
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    for (const mode of ['cold', 'warm'] as const) {
      const out = execFileSync(process.execPath, [...process.execArgv, __filename, '--child', mode, '--calibration', file, '--data', dataDir], { encoding: 'utf8' });
      const s = JSON.parse(out.trim().split('\n').pop()!) as Sample;
      samples.push(s);
      console.error(JSON.stringify(s));
    }
  }
  const f0 = (x: number) => x.toFixed(0);
  const lines = [`${runs} runs each, fresh process per run; load average ${load0.toFixed(1)} -> ${loadavg()[0].toFixed(1)}`, '', '| references | warm() ms | its longest event-loop stall ms | first screened submit ms | its longest event-loop stall ms |', '| --- | ---: | ---: | ---: | ---: |'];
  for (const mode of ['cold', 'warm'] as const) {
    const of = samples.filter((s) => s.mode === mode);
    const range = (f: (s: Sample) => number) => `${f0(Math.min(...of.map(f)))}-${f0(Math.max(...of.map(f)))}`;
    const warmCells = mode === 'cold' ? '- | -' : `${range((s) => s.warmMs)} | ${range((s) => s.warmStallMs)}`;
    lines.push(`| ${mode === 'cold' ? 'computed by the first submit (its load waits for warm())' : 'warm() awaited before'} | ${warmCells} | ${range((s) => s.submitMs)} | ${range((s) => s.maxStallMs)} |`);
  }
  console.log(lines.join('\n'));
}

void main();
