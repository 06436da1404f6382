/**
 * How long loading the benchmark data takes from the data pack: `npm run bench:pack [-- --runs N]`.
 * Each run is a fresh Node process (so nothing is warm) with an empty table-cache directory, that
 * opens the benchmark with no data directory (the pack) and loads the NB201 tables and the FBNet
 * lookup tables; it reports the time from Benchmark.open() to both loaded, and separately the
 * time to decode every JSON entry of the pack (what any file read through files.ts costs). The
 * same load from the JSON data directory (cache off) is timed for comparison when $HWNAS_DATA or
 * ../shared/data exists. Prints one JSON object.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

const REPO = path.resolve(__dirname, '..', '..', '..');

/** What one child process runs: `mode` is tables (pack or directory) or entries. */
function child(mode: string): void {
  // Imported here so that the parent does not pay for them, and module loading is not timed.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const core = require('../src/index') as typeof import('../src/index');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { defaultDataPack } = require('../src/data/data-pack') as typeof import('../src/data/data-pack');
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  if (mode === 'entries') {
    const pack = defaultDataPack()!;
    for (const p of pack.jsonPaths) pack.read(p);
  } else {
    const b = core.Benchmark.open();
    b.nb201.metrics('cifar10');
    b.fbnet.metrics();
  }
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(JSON.stringify({ ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 }));
}

/** Wall times, and the median CPU time (all threads), which a busy machine inflates much less. */
function stats(times: number[], cpu: number[]) {
  const s = [...times].sort((a, b) => a - b);
  const c = [...cpu].sort((a, b) => a - b);
  return { runs: s.length, min_ms: +s[0].toFixed(1), median_ms: +s[Math.floor(s.length / 2)].toFixed(1), max_ms: +s[s.length - 1].toFixed(1), cpu_median_ms: +c[Math.floor(c.length / 2)].toFixed(1) };
}

function main(): void {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' }, child: { type: 'string' } } });
  if (values.child) return child(values.child);
  const runs = Number(values.runs);
  const dataDir = process.env.HWNAS_DATA ?? path.join(REPO, '..', 'shared', 'data');
  const measure = (mode: string, env: Record<string, string | undefined>) => {
    const times: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < runs; i++) {
      const cache = mkdtempSync(path.join(tmpdir(), 'hwnas-bench-cache-'));
      const childEnv: Record<string, string | undefined> = { ...process.env, HWNAS_CACHE_DIR: cache, ...env };
      for (const k of Object.keys(childEnv)) if (childEnv[k] === undefined) delete childEnv[k];
      const r = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--child', mode], { env: childEnv as NodeJS.ProcessEnv, encoding: 'utf8' });
      rmSync(cache, { recursive: true, force: true });
      if (r.status !== 0) throw new Error(`${mode}: ${r.stderr}`);
      const m = JSON.parse(r.stdout) as { ms: number; cpuMs: number };
      times.push(m.ms);
      cpu.push(m.cpuMs);
    }
    return stats(times, cpu);
  };
  const out: Record<string, unknown> = {
    machine: { cpus: cpus().length, loadavg: loadavg().map((l) => +l.toFixed(2)), node: process.version },
    pack_bytes: statSync(path.join(REPO, 'data', 'pack', 'hwnas-data-v1.bin')).size,
    pack_tables: measure('tables', { HWNAS_DATA: undefined }),
    pack_all_json_entries: measure('entries', { HWNAS_DATA: undefined }),
  };
  if (existsSync(dataDir)) out.directory_tables_no_cache = measure('tables', { HWNAS_DATA: dataDir, HWNAS_CACHE_DIR: 'off' });
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

main();
