import { runCli } from '../testing';

describe('hwnas search --strategy darts|na-darts|nas-ood (arguments)', () => {
  const base = ['search', '--space', 'nb201', '--dataset', 'cifar10', '--trainer', '/usr/bin/python3 search.py', '--epochs', '2'];
  const cases: [string[], string][] = [
    [['--strategy', 'darts', '--cost-weight', '0.5'], '--cost-weight needs a cost metric'],
    [['--strategy', 'darts', '--constraint', 'raspi4_latency<=5', '--cost-weight=-1'], '--cost-weight must be a number >= 0, got "-1"'], [['--strategy', 'darts', '--constraint', 'raspi4_latency<=5', '--cost-weight', 'lots'], '--cost-weight must be a number >= 0, got "lots"'],
    [['--strategy', 'na-darts', '--budget', '10'], '--budget does not apply to a one-shot search (--strategy na-darts)'],
    [['--strategy', 'nas-ood', '--constraint', 'raspi4_latency<=5', '--constraint', 'eyeriss_latency<=2'], 'a one-shot search takes one cost constraint, got 2'],
    [['--strategy', 'darts', '--coordinator', '127.0.0.1:1'], 'with --coordinator the supernet command lives on the workers (hwnas-worker --trainer CMD --oneshot-trainer CMD); drop --trainer'],
    [['--strategy', 'rea', '--budget', '5', '--retrain', 'x'], '--cost-weight and --retrain apply to one-shot searches'],
  ];
  it.each(cases)('hwnas search - one-shot bad input %j exits 2 saying what is wrong', async (extra, message) => {
    const res = await runCli([...base, ...extra]);
    expect(res.code).toBe(2);
    expect(res.err).toContain(message);
  });

  it('hwnas search - a one-shot search on a cluster retrains on a worker only: --retrain takes "worker"', async () => {
    const res = await runCli(['search', '--space', 'nb201', '--dataset', 'cifar10', '--strategy', 'darts', '--epochs', '2', '--coordinator', '127.0.0.1:1', '--retrain', 'train.py']);
    expect(res.code).toBe(2);
    expect(res.err).toContain('with --coordinator, --retrain takes "worker" (the workers\' --trainer retrains), got "train.py"');
  });
});
