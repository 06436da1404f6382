import { Benchmark, getSpace, InvalidArgumentError } from '@hwnas/bench-core';
import type { QueryResult } from '@hwnas/bench-core';
import { DATA_OPTION, intOption, parseCommandArgs, required } from '../args';
import type { Command } from '../command';
import { fmt, renderTable } from '../format';

const USAGE = `hwnas query --space nb201|fbnet --dataset DATASET (--arch ARCH | --index N) [--data DIR] [--json]

  Looks an architecture up in the benchmark tables: accuracy, device costs (HW-NAS-Bench
  metric names), FLOPs (millions of MACs) and params (millions).
  nb201 --arch: an arch string, e.g. '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|'
  fbnet --arch: a JSON array of 22 block indices (0-8) or 22 comma-separated block names (k3_e1,...,skip)
  datasets: nb201 cifar10, cifar100, ImageNet16-120; fbnet cifar100, ImageNet`;

/** `hwnas query`: what the HW-NAS-Bench API answers, by a query. */
export const queryCommand: Command = {
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommandArgs('query', argv, {
      ...DATA_OPTION,
      space: { type: 'string' },
      dataset: { type: 'string' },
      arch: { type: 'string' },
      index: { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    const space = getSpace(required('query', values, 'space'));
    const dataset = required('query', values, 'dataset');
    if ((values.arch === undefined) === (values.index === undefined)) {
      throw new InvalidArgumentError('hwnas query: give exactly one of --arch ARCH or --index N');
    }
    if (values.index !== undefined && space.id !== 'nb201') {
      throw new InvalidArgumentError('hwnas query: --index is only defined for --space nb201; use --arch for fbnet');
    }
    const arch = values.index !== undefined ? intOption('query', 'index', values.index as string, 0, 15624)! : space.parse(values.arch as string);
    const bench = Benchmark.open({ dataDir: values.data as string | undefined });
    const result = bench.query(space, dataset, arch);
    io.out(values.json ? JSON.stringify(result) : renderQuery(result));
    return 0;
  },
};

function renderQuery(q: QueryResult): string {
  const rows: string[][] = [['field', 'value']];
  rows.push(['space', q.space], ['dataset', q.dataset]);
  if (q.index !== undefined) rows.push(['index', String(q.index)]);
  rows.push(['arch', q.arch]);
  for (const [k, v] of Object.entries(q.accuracy)) rows.push([`accuracy.${k} (%)`, fmt(v)]);
  for (const [k, v] of Object.entries(q.costs)) rows.push([`${k} (${k.endsWith('_energy') ? 'mJ' : 'ms'})`, fmt(v)]);
  rows.push(['flops (M MACs)', fmt(q.flops)], ['params (M)', fmt(q.params)]);
  if (q.train_time_s !== undefined) rows.push(['train_time_s (s)', fmt(q.train_time_s)]);
  return renderTable(rows);
}
