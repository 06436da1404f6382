import type { StopOrder, TrialReport } from '@hwnas/runtime';
import { createNames, NatsTrialReportChannel } from '../src/index';
import { natsServerForSuite, uniquePrefix, waitFor } from './support';

describe('NatsTrialReportChannel', () => {
  const nats = natsServerForSuite({ jetstream: false });

  it('NatsTrialReportChannel - reports reach the coordinator side and stop orders every worker, in order; malformed messages are dropped with the reason', async () => {
    const names = createNames(uniquePrefix());
    const errors: string[] = [];
    const coordinatorSide = new NatsTrialReportChannel({ nc: nats.nc, names, onError: (e) => errors.push((e as Error).message) });
    const workerConn = await nats.conn('worker');
    const workerSide = new NatsTrialReportChannel({ nc: workerConn, names });
    const reports: TrialReport[] = [];
    const stopsA: StopOrder[] = [];
    const stopsB: StopOrder[] = [];
    nats.subs.push(await coordinatorSide.subscribeReports((r) => reports.push(r)));
    nats.subs.push(await workerSide.subscribeStops((o) => stopsA.push(o)));
    nats.subs.push(await new NatsTrialReportChannel({ nc: workerConn, names }).subscribeStops((o) => stopsB.push(o)));
    await workerConn.flush();
    await nats.nc.flush();
    const report = (epoch: number): TrialReport => ({ type: 'trial_report', searchId: 's.1', trialId: 4, epoch, metrics: { valid_accuracy: 40 + epoch, train_loss: 1 / epoch } });
    await workerSide.publishReport(report(1));
    await workerSide.publishReport(report(2));
    nats.nc.publish(names.reportSubject('s.1'), 'not json');
    nats.nc.publish(names.reportSubject('s.1'), JSON.stringify({ searchId: 's.1', trialId: 4, epoch: 3, metrics: { valid_accuracy: 'x' } }));
    nats.nc.publish(names.reportSubject('s.1'), JSON.stringify({ searchId: 's.1', trialId: -1, epoch: 3, metrics: {} }));
    await coordinatorSide.publishStop({ searchId: 's.1', trialId: 4, epoch: 1 });
    await waitFor(() => reports.length === 2 && stopsA.length === 1 && stopsB.length === 1 && errors.length === 3, 'two reports, a stop order at each worker, three drops');
    expect(reports).toEqual([report(1), report(2)]);
    expect(stopsA).toEqual([{ searchId: 's.1', trialId: 4, epoch: 1 }]);
    expect(stopsB).toEqual(stopsA);
    expect(errors).toEqual([
      `trial report on ${names.reportSubject('s.1')} dropped: not JSON`,
      `trial report on ${names.reportSubject('s.1')} dropped: metrics must map names to finite numbers`,
      `trial report on ${names.reportSubject('s.1')} dropped: trialId must be a non-negative integer`,
    ]);
  });
});
