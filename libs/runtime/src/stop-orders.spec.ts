import { InMemoryTrialReportChannel } from './in-memory/trial-report-channel';
import { SimulatedClock } from './in-memory/simulated-clock';
import type { StopOrder } from './ports/trial-report-channel';
import { SearchStopOrders } from './stop-orders';

async function setup(resendMs?: number) {
  const clock = new SimulatedClock(1000);
  const channel = new InMemoryTrialReportChannel();
  const heard: { at: number; order: StopOrder }[] = [];
  await channel.subscribeStops((order) => heard.push({ at: clock.now(), order }));
  return { clock, channel, heard, orders: new SearchStopOrders({ channel, clock, ...(resendMs !== undefined ? { resendMs } : {}) }) };
}

describe('SearchStopOrders', () => {
  it('SearchStopOrders - sends at once, then every resendMs (default 3000) while the search still runs, and no more after', async () => {
    const { clock, heard, orders } = await setup();
    let running = true;
    orders.order('s-1', () => running);
    await clock.advance(0);
    expect(heard).toEqual([{ at: 1000, order: { type: 'search', searchId: 's-1' } }]);
    await clock.advance(2999);
    expect(heard).toHaveLength(1);
    await clock.advance(1);
    await clock.advance(3000);
    expect(heard.map((h) => h.at)).toEqual([1000, 4000, 7000]);
    expect(orders.repeating).toEqual(['s-1']);
    running = false;
    await clock.advance(30_000);
    expect(heard).toHaveLength(3);
    expect(orders.repeating).toEqual([]);
  });

  it('SearchStopOrders - ordering a search again sends again but keeps one resend loop; searches repeat independently; stop() ends every loop', async () => {
    const { clock, heard, orders } = await setup(500);
    orders.order('a', () => true);
    await clock.advance(200);
    orders.order('a', () => true);
    orders.order('b', () => true);
    await clock.advance(0);
    expect(heard.map((h) => [h.at, h.order.searchId])).toEqual([
      [1000, 'a'],
      [1200, 'a'],
      [1200, 'b'],
    ]);
    await clock.advance(400); // t = 1600: a's loop (one) fired at 1500, b's fires at 1700
    expect(heard.slice(3).map((h) => [h.at, h.order.searchId])).toEqual([[1500, 'a']]);
    orders.stop();
    await clock.advance(10_000);
    expect(heard).toHaveLength(4);
    expect(clock.sleeping).toBe(0);
    orders.order('c', () => true); // after stop: nothing
    await clock.advance(0);
    expect(heard).toHaveLength(4);
  });

  it('SearchStopOrders - a failed publish goes to onError and the next resend tries again', async () => {
    const clock = new SimulatedClock();
    const errors: string[] = [];
    let fails = 1;
    const sent: string[] = [];
    const channel = {
      publishReport: async () => undefined,
      subscribeReports: async () => ({ stop: async () => undefined }),
      subscribeStops: async () => ({ stop: async () => undefined }),
      publishStop: async (o: StopOrder) => {
        if (fails-- > 0) throw new Error('NATS down');
        sent.push(o.searchId);
      },
    };
    const orders = new SearchStopOrders({ channel, clock, resendMs: 100, onError: (e, context) => errors.push(`${context}: ${(e as Error).message}`) });
    let left = 2;
    orders.order('s', () => left-- > 0);
    await clock.advance(1000);
    expect(errors).toEqual(['stop order for search s: NATS down']);
    expect(sent).toEqual(['s', 's']);
  });
});
