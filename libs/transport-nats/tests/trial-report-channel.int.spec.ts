import type { StopOrder, TrialReport } from '@hwnas/runtime';
import { jetstreamManager } from '@nats-io/jetstream';
import { createNames, ensureStreams, NatsTrialReportChannel } from '../src/index';
import { delay, natsServerForSuite, uniquePrefix, waitFor } from './support';

const report = (epoch: number, searchId = 's.1'): TrialReport => ({ type: 'trial_report', searchId, trialId: 4, epoch, metrics: { valid_accuracy: 40 + epoch, train_loss: 1 / epoch } });

describe('NatsTrialReportChannel', () => {
  const nats = natsServerForSuite({ jetstream: true });

  it('NatsTrialReportChannel - reports are kept in the reports stream: those published before the coordinator subscribes are handled, in order, before subscribeReports resolves; malformed ones are dropped with the reason', async () => {
    const names = createNames(uniquePrefix());
    await ensureStreams(nats.nc, names);
    const errors: string[] = [];
    const workerSide = new NatsTrialReportChannel({ nc: await nats.conn('worker'), names });
    await workerSide.publishReport(report(1));
    await workerSide.publishReport(report(2));
    nats.nc.publish(names.reportSubject('s.1'), 'not json');
    nats.nc.publish(names.reportSubject('s.1'), JSON.stringify({ searchId: 's.1', trialId: 4, epoch: 3, metrics: { valid_accuracy: 'x' } }));
    nats.nc.publish(names.reportSubject('s.1'), JSON.stringify({ searchId: 's.1', trialId: -1, epoch: 3, metrics: {} }));
    await workerSide.publishReport(report(3));
    const reports: TrialReport[] = [];
    const coordinatorSide = new NatsTrialReportChannel({ nc: nats.nc, names, onError: (e) => errors.push((e as Error).message) });
    nats.subs.push(await coordinatorSide.subscribeReports(async (r) => void reports.push(r)));
    // subscribeReports resolved only once what was kept before it had been handled.
    expect(reports).toEqual([report(1), report(2), report(3)]);
    expect(errors).toEqual([
      `trial report on ${names.reportSubject('s.1')} dropped: not JSON`,
      `trial report on ${names.reportSubject('s.1')} dropped: metrics must map names to finite numbers`,
      `trial report on ${names.reportSubject('s.1')} dropped: trialId must be a non-negative integer`,
    ]);
  });

  it('NatsTrialReportChannel - a report is acknowledged only once its handler resolved: one whose handler rejected, or that a stopped (crashed) subscriber held, comes again', async () => {
    const names = createNames(uniquePrefix());
    await ensureStreams(nats.nc, names);
    const workerSide = new NatsTrialReportChannel({ nc: await nats.conn('worker'), names });
    const coordinatorConn = await nats.conn('coordinator-1');
    const first: TrialReport[] = [];
    let failOnce = true;
    // The first coordinator fails epoch 1 once (its journal was down), and never finishes epoch 2 (it crashes).
    const sub = await new NatsTrialReportChannel({ nc: coordinatorConn, names, ackWaitMs: 1000 }).subscribeReports(async (r) => {
      first.push(r);
      if (r.epoch === 1 && failOnce) {
        failOnce = false;
        throw new Error('journal down');
      }
      if (r.epoch === 2) await new Promise(() => undefined);
    });
    for (const epoch of [1, 2]) await workerSide.publishReport(report(epoch));
    await waitFor(() => first.filter((r) => r.epoch === 1).length === 2 && first.some((r) => r.epoch === 2), 'epoch 1 twice, epoch 2 held');
    await coordinatorConn.close(); // the crash: nothing acknowledged epoch 2
    void sub.stop().catch(() => undefined);
    await workerSide.publishReport(report(3));
    const second: TrialReport[] = [];
    nats.subs.push(await new NatsTrialReportChannel({ nc: nats.nc, names, ackWaitMs: 1000 }).subscribeReports(async (r) => void second.push(r)));
    await waitFor(() => second.length >= 2, 'the held report and the new one', 15_000);
    await delay(1500);
    expect(second.map((r) => r.epoch).sort()).toEqual([2, 3]);
  });

  it('NatsTrialReportChannel - discardReports purges one search\'s reports and leaves the others', async () => {
    const names = createNames(uniquePrefix());
    await ensureStreams(nats.nc, names);
    const channel = new NatsTrialReportChannel({ nc: nats.nc, names });
    for (const id of ['a', 'b', 'a']) await channel.publishReport(report(1, id));
    await channel.discardReports('a');
    const info = await (await jetstreamManager(nats.nc)).streams.info(names.streams.reports, { subjects_filter: '>' });
    expect(info.state.subjects).toEqual({ [names.reportSubject('b')]: 1 });
  });

  it('NatsTrialReportChannel - stop orders of a trial and of a whole search reach every worker, in order; malformed ones are dropped', async () => {
    const names = createNames(uniquePrefix());
    const errors: string[] = [];
    const coordinatorSide = new NatsTrialReportChannel({ nc: nats.nc, names });
    const workerConn = await nats.conn('worker');
    const stopsA: StopOrder[] = [];
    const stopsB: StopOrder[] = [];
    nats.subs.push(await new NatsTrialReportChannel({ nc: workerConn, names, onError: (e) => errors.push((e as Error).message) }).subscribeStops((o) => stopsA.push(o)));
    nats.subs.push(await new NatsTrialReportChannel({ nc: workerConn, names }).subscribeStops((o) => stopsB.push(o)));
    await workerConn.flush();
    await coordinatorSide.publishStop({ type: 'trial', searchId: 's.1', trialId: 4, epoch: 1 });
    nats.nc.publish(names.stopSubject('s.1'), JSON.stringify({ type: 'trial', searchId: 's.1', epoch: 1 }));
    nats.nc.publish(names.stopSubject('s.1'), JSON.stringify({ type: 'search', searchId: '' }));
    await coordinatorSide.publishStop({ type: 'search', searchId: 's.1' });
    await waitFor(() => stopsA.length === 2 && stopsB.length === 2 && errors.length === 2, 'two orders at each worker, two drops');
    expect(stopsA).toEqual([
      { type: 'trial', searchId: 's.1', trialId: 4, epoch: 1 },
      { type: 'search', searchId: 's.1' },
    ]);
    expect(stopsB).toEqual(stopsA);
    expect(errors).toEqual([`stop order on ${names.stopSubject('s.1')} dropped: trialId must be a non-negative integer`, `stop order on ${names.stopSubject('s.1')} dropped: searchId must be a non-empty string`]);
  });
});
