import { describeWithData } from '@hwnas/bench-core/testing';
import { chromiumAvailable, launchChromium, startSlowSearch } from '@hwnas/dashboard/testing';

// Browser tests: Debian's Chromium driven by playwright-core. Under CI a missing browser fails
// the suite (chromiumAvailable throws); elsewhere the suite is skipped with the reason in its name.
const haveBrowser = chromiumAvailable();
const describeBrowser = haveBrowser ? describe : describe.skip;

describeBrowser(`dashboard in Chromium${haveBrowser ? '' : ' (skipped: /usr/bin/chromium not found)'}`, () => {
  describeWithData('with a real embedded search', (dataDir) => {
    test('dashboard - the search page updates live while the search runs, and the scatter has one point per evaluation', async () => {
      const budget = 60;
      // The browser first, so that the search is young when the page opens.
      await using browser = await launchChromium();
      await using s = await startSlowSearch({ dataDir, delayMs: 80, budget, parallelism: 1 });
      const page = await browser.context.newPage();
      await page.goto(`${s.server.url}/searches/${s.searchId}`);
      await page.waitForSelector('#progress');
      const first = Number((await page.textContent('#progress'))!.split('/')[0]);
      expect(first).toBeLessThan(budget);
      // No reload from here on: what changes comes over the event stream.
      await page.waitForFunction((b) => document.querySelector('#progress')?.textContent?.trim() === `${b} / ${b}`, budget, { timeout: 30_000 });
      const view = s.embedded.coordinator.get(s.searchId);
      expect(view.state).toBe('succeeded');
      const ok = s.embedded.coordinator.history(s.searchId).filter((t) => t.status === 'ok').length;
      expect(ok).toBe(view.counts.evaluationsDone - view.counts.evaluationsFailed);
      await page.waitForFunction((n) => document.querySelectorAll('#chart-scatter svg .pt').length === n, ok, { timeout: 10_000 });
      expect(await page.locator('#chart-best svg .pt').count()).toBe(ok);
      expect(await page.locator('#trials tbody tr').count()).toBe(ok);
      expect(await page.getAttribute('[data-state]', 'data-state')).toBe('succeeded');
      // Sorting by accuracy (twice: descending) puts the best first.
      await page.click('th[data-sort="accuracy"]');
      await page.click('th[data-sort="accuracy"]');
      const top = Number(await page.locator('#trials tbody tr').first().getAttribute('data-trial'));
      const best = Math.max(...s.embedded.coordinator.history(s.searchId).map((t) => t.metrics?.accuracy ?? -Infinity));
      expect(s.embedded.coordinator.history(s.searchId).find((t) => t.trialId === top)?.metrics?.accuracy).toBe(best);
    });

    test('dashboard - the list shows the search and follows it live', async () => {
      await using s = await startSlowSearch({ dataDir, delayMs: 30, budget: 40, parallelism: 1 });
      await using browser = await launchChromium();
      const page = await browser.context.newPage();
      await page.goto(`${s.server.url}/`);
      const row = page.locator(`tr[data-search="${s.searchId}"]`);
      await row.waitFor();
      await page.waitForFunction((id) => document.querySelector(`tr[data-search="${id}"] [data-state]`)?.getAttribute('data-state') === 'succeeded', s.searchId, { timeout: 30_000 });
      expect(await row.locator('.progress-text').textContent()).toBe('40 / 40');
    });

    test('dashboard - a missing or bad token gets the 401 page; the right one given in the page opens the dashboard', async () => {
      await using s = await startSlowSearch({ dataDir, delayMs: 0, budget: 10, token: 'tok-123' });
      await using browser = await launchChromium();
      const page = await browser.context.newPage();
      const missing = await page.goto(`${s.server.url}/searches/${s.searchId}`);
      expect(missing!.status()).toBe(401);
      expect(await page.textContent('h1')).toBe('401 · token required');
      expect(await page.textContent('#unauthorized')).toContain('none was given');
      const bad = await page.goto(`${s.server.url}/?token=wrong`);
      expect(bad!.status()).toBe(401);
      expect(await page.textContent('#unauthorized')).toContain('not the API token');
      await page.fill('#token', 'tok-123');
      await page.click('button[type="submit"]');
      await page.waitForSelector('#searches');
      expect(new URL(page.url()).search).toBe('');
      // The cookie is HttpOnly: the page's scripts cannot read the token.
      expect(await page.evaluate(() => document.cookie)).toBe('');
      await page.goto(`${s.server.url}/searches/${s.searchId}`);
      await page.waitForSelector('#chart-scatter svg');
    });
  });
});
