/**
 * Measures the dashboard once: the browser bundle (first request: esbuild; then cached), the
 * search API for a finished search of BUDGET evaluations, and in headless Chromium the time from
 * navigation to the charts and trial table drawn. Prints a markdown table.
 *
 *   node --import tsx libs/dashboard/scripts/bench-dashboard.ts [BUDGET]   (default 1000; needs the benchmark data)
 */
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { launchChromium, startSlowSearch } from '@hwnas/dashboard/testing';

async function timed(url: string): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now();
  const res = await fetch(url);
  const body = await res.arrayBuffer();
  return { ms: performance.now() - t0, bytes: body.byteLength };
}

async function main(): Promise<void> {
  const budget = Number(process.argv[2] ?? 1000);
  const dataDir = process.env.HWNAS_DATA ?? path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'data');
  await using s = await startSlowSearch({ dataDir, delayMs: 0, budget, parallelism: 8 });
  await s.embedded.coordinator.waitFor(s.searchId);
  const rows: [string, string][] = [];
  const first = await timed(`${s.server.url}/assets/app.js`);
  const again = await timed(`${s.server.url}/assets/app.js`);
  rows.push(['browser bundle, first request (esbuild)', `${first.ms.toFixed(0)} ms, ${(first.bytes / 1024).toFixed(1)} KiB`]);
  rows.push(['browser bundle, later requests', `${again.ms.toFixed(1)} ms`]);
  const api: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 10; i++) {
    const r = await timed(`${s.server.url}/api/searches/${s.searchId}`);
    api.push(r.ms);
    bytes = r.bytes;
  }
  api.sort((a, b) => a - b);
  rows.push([`GET /api/searches/ID, ${budget} trials (median of 10)`, `${api[5].toFixed(1)} ms, ${(bytes / 1024).toFixed(0)} KiB`]);
  await using browser = await launchChromium();
  const page = await browser.context.newPage();
  const loads: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await page.goto(`${s.server.url}/searches/${s.searchId}`);
    await page.waitForFunction(`document.querySelectorAll("#chart-scatter svg .pt").length > 0 && document.querySelectorAll("#trials tbody tr").length > 0`);
    loads.push(performance.now() - t0);
  }
  loads.sort((a, b) => a - b);
  rows.push([`search page, navigation to charts and table drawn, ${budget} trials (median of 3, Chromium)`, `${loads[1].toFixed(0)} ms`]);
  process.stdout.write(['| measured | value |', '| --- | --- |', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n') + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`bench-dashboard: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
