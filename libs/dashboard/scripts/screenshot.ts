/**
 * Writes docs/images/dashboard.png (the list of searches) and docs/images/dashboard-search.png
 * (a search page) from a real embedded search served by the dashboard, in headless Chromium.
 *
 *   npm run dashboard:screenshot          (needs the benchmark data: HWNAS_DATA or ../shared/data)
 */
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { launchChromium, startSlowSearch } from '@hwnas/dashboard/testing';

const REPO = path.resolve(__dirname, '..', '..', '..');

async function main(): Promise<void> {
  const dataDir = process.env.HWNAS_DATA ?? path.resolve(REPO, '..', 'shared', 'data');
  const out = path.join(REPO, 'docs', 'images');
  mkdirSync(out, { recursive: true });
  // One embedded coordinator with four searches: two finished (one a Pareto search over a
  // simulated accelerator), one running while the pictures are taken, one waiting behind it.
  await using search = await startSlowSearch({ dataDir, delayMs: 60, budget: 2000, parallelism: 2 });
  const coordinator = search.embedded.coordinator;
  const base = { space: 'nb201', dataset: 'cifar10', strategyOptions: {}, mode: 'joint', maxInFlight: 8, ordering: 'ordered' };
  const pareto = await coordinator.submit({ ...base, strategy: 'nsga2', objectives: ['accuracy', 'eyeriss_latency'], constraints: ['eyeriss_latency<=4'], devices: ['asic-eyeriss'], budget: 300, seed: 3 });
  const fox = await coordinator.submit({ ...base, strategy: 'fox-nas', objectives: ['accuracy'], constraints: ['pixel3_latency<=6.4411'], budget: 200, seed: 5 });
  await coordinator.waitFor(pareto);
  await coordinator.waitFor(fox);
  await using browser = await launchChromium({ width: 1400, height: 1000 });
  const page = await browser.context.newPage();
  // Wait until the running search is well under way, so that the pictures show its curve.
  while (coordinator.get(search.searchId).counts.evaluationsDone < 300) await new Promise((r) => setTimeout(r, 100));
  await page.goto(`${search.server.url}/searches/${search.searchId}`);
  await page.waitForSelector('#chart-scatter svg .pt');
  await page.waitForTimeout(400);
  await page.screenshot({ path: path.join(out, 'dashboard-search.png') });
  await page.goto(`${search.server.url}/searches/${pareto}`);
  await page.waitForSelector('#chart-scatter svg .pt');
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(out, 'dashboard-pareto.png') });
  await page.setViewportSize({ width: 1400, height: 620 });
  await page.goto(`${search.server.url}/`);
  await page.waitForSelector('#searches tbody tr');
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(out, 'dashboard.png') });
  process.stdout.write(`wrote ${['dashboard.png', 'dashboard-search.png', 'dashboard-pareto.png'].map((f) => path.join('docs/images', f)).join(', ')}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`dashboard screenshot: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
