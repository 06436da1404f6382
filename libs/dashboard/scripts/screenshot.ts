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
  // Two searches: a finished Pareto search and a constrained one still running when the pictures are taken.
  await using pareto = await startSlowSearch({
    dataDir,
    delayMs: 0,
    budget: 300,
    parallelism: 8,
    request: { strategy: 'nsga2', objectives: ['accuracy', 'raspi4_latency'], constraints: ['raspi4_latency<=25'], seed: 3 },
  });
  await pareto.embedded.coordinator.waitFor(pareto.searchId);
  await using search = await startSlowSearch({ dataDir, delayMs: 40, budget: 400, parallelism: 4 });
  await using browser = await launchChromium({ width: 1400, height: 1000 });
  const page = await browser.context.newPage();
  // Wait until the running search is well under way, so that the pictures show its curve.
  while (search.embedded.coordinator.get(search.searchId).counts.evaluationsDone < 260) await new Promise((r) => setTimeout(r, 100));
  await page.goto(`${search.server.url}/searches/${search.searchId}`);
  await page.waitForSelector('#chart-scatter svg .pt');
  await page.waitForTimeout(500);
  await page.screenshot({ path: path.join(out, 'dashboard-search.png'), fullPage: false });
  await page.goto(`${pareto.server.url}/searches/${pareto.searchId}`);
  await page.waitForSelector('#chart-scatter svg .pt');
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(out, 'dashboard-pareto.png'), fullPage: false });
  await page.goto(`${search.server.url}/`);
  await page.waitForSelector('#searches tbody tr');
  await page.screenshot({ path: path.join(out, 'dashboard.png'), fullPage: false });
  process.stdout.write(`wrote ${['dashboard.png', 'dashboard-search.png', 'dashboard-pareto.png'].map((f) => path.join('docs/images', f)).join(', ')}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`dashboard screenshot: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
