import { chromiumAvailable, launchChromium } from '@hwnas/dashboard/testing';
import { startNatsServer } from '@hwnas/testing-nats';
import { rpc, searchRequest, startCoordinator, startWorkerProc, TOKEN, uniquePrefix, waitForSearch } from './support';

describe('coordinator --http (separate processes, real nats-server)', () => {
  it('dashboard - served by the coordinator behind its API token; the page shows one point per evaluation', async () => {
    const haveBrowser = chromiumAvailable();
    await using nats = await startNatsServer({ jetstream: true });
    const prefix = uniquePrefix();
    const coord = await startCoordinator(nats.url, prefix, ['--http', '127.0.0.1:0']);
    const worker = startWorkerProc(nats.url, prefix);
    try {
      const url = (await coord.proc.waitForLog('dashboard')).url as string;
      const { searchId } = await rpc<unknown, { searchId: string }>(coord.search, 'submitSearch', searchRequest({ budget: 40 }));
      await waitForSearch(() => coord.search, searchId);

      const missing = await fetch(`${url}/`);
      expect(missing.status).toBe(401);
      expect(await missing.text()).toContain('401 · token required');
      expect((await fetch(`${url}/api/searches`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      const list = (await (await fetch(`${url}/api/searches`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { searchId: string; state: string; evaluationsDone: number }[];
      expect(list).toEqual([expect.objectContaining({ searchId, state: 'succeeded', evaluationsDone: 40 })]);
      const devices = (await (await fetch(`${url}/api/devices`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { queues: { name: string; waiting: number }[] };
      expect(devices.queues).toEqual([{ name: 'evaluation tasks', waiting: 0 }]);

      if (!haveBrowser) return;
      await using browser = await launchChromium();
      const page = await browser.context.newPage();
      await page.goto(`${url}/searches/${searchId}?token=${TOKEN}`);
      // A string: this project's TypeScript has no DOM types; it runs in the page.
      await page.waitForFunction('document.querySelectorAll("#chart-scatter svg .pt").length === 40', undefined, { timeout: 20_000 });
      expect(await page.textContent('#progress')).toBe('40 / 40');
    } finally {
      await worker.kill('SIGTERM');
      await coord.close();
    }
  });
});
