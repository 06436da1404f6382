import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError, knownDevices, loadDeviceLatency, resolveDataDir } from '@hwnas/bench-core';
import type { SpaceId } from '@hwnas/bench-core';
import { DEFAULT_SAMPLE_COUNTS, evaluateCostModels, loadEvalSpace, newDevicesFromFile, renderEvalMarkdown } from '@hwnas/cost-model';
import type { EvalReport } from '@hwnas/cost-model';
import { DATA_OPTION, intOption, parseCommandArgs } from '../args';
import type { Command } from '../command';

const USAGE = `hwnas cost-model eval [--space nb201|fbnet|both] [--samples 5,10,20,50] [--seeds 10]
                      [--device NAME ...] [--latency-file FILE] [--out PREFIX] [--data DIR] [--json]

  Scores the few-sample latency predictor (@hwnas/cost-model). Without --latency-file: leave one
  known device out (the 13 of the data directory's device-latency/ tables), fit on K of its
  architectures (the table's probe_index, and random draws with seeds 0..S-1), and compare the
  prediction with its real latency over every architecture (Spearman, Kendall tau-b, MAPE), next
  to ranking by MACs and by each simulator alone.

  --latency-file  a device you bring, in the format of device-latency/<space>-devices.json (needs
                  --space nb201 or fbnet); all 13 known devices are its references
  --device        evaluate only this held-out known device (repeatable)
  --out PREFIX    write PREFIX.md and PREFIX.json (e.g. docs/benchmarks/cost-models)
  --json          print the JSON report instead of the markdown`;

/** `hwnas cost-model`: the cost-model evaluation harness. */
export const costModelCommand: Command = {
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('cost-model', argv, {
      ...DATA_OPTION,
      space: { type: 'string', default: 'both' },
      samples: { type: 'string', default: DEFAULT_SAMPLE_COUNTS.join(',') },
      seeds: { type: 'string', default: '10' },
      device: { type: 'string', multiple: true },
      'latency-file': { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    if (positionals.length !== 1 || positionals[0] !== 'eval') {
      throw new InvalidArgumentError(`hwnas cost-model: expected the subcommand "eval", got ${positionals.length ? `"${positionals.join(' ')}"` : 'none'}`);
    }
    const spaceArg = values.space as string;
    if (!['nb201', 'fbnet', 'both'].includes(spaceArg)) throw new InvalidArgumentError(`hwnas cost-model: --space must be nb201, fbnet or both, got "${spaceArg}"`);
    const latencyFile = values['latency-file'] as string | undefined;
    if (latencyFile && spaceArg === 'both') throw new InvalidArgumentError('hwnas cost-model: --latency-file needs --space nb201 or --space fbnet (the space its architectures belong to)');
    if (latencyFile && values.device) throw new InvalidArgumentError('hwnas cost-model: give either --latency-file or --device, not both');
    const sampleCounts = (values.samples as string).split(',').map((s) => intOption('cost-model', 'samples', s.trim(), 2)!);
    const seedCount = intOption('cost-model', 'seeds', values.seeds as string, 1, 1000)!;
    const seeds = Array.from({ length: seedCount }, (_, i) => i);
    const dataDir = resolveDataDir(values.data as string | undefined);
    const spaces: SpaceId[] = spaceArg === 'both' ? ['nb201', 'fbnet'] : [spaceArg as SpaceId];

    const wall0 = performance.now();
    const reports: EvalReport[] = [];
    for (const space of spaces) {
      const table = loadDeviceLatency(dataDir, space);
      // The user's file and device names are checked before the simulators run over the whole space.
      const newDevices = latencyFile ? newDevicesFromFile(table, path.resolve(latencyFile)) : [];
      if (values.device) knownDevices(table, values.device as string[]);
      const data = loadEvalSpace(dataDir, space, table);
      if (latencyFile) {
        for (const device of newDevices) reports.push(evaluateCostModels(data, { sampleCounts, seeds, newDevice: device }));
      } else {
        reports.push(evaluateCostModels(data, { sampleCounts, seeds, ...(values.device ? { devices: values.device as string[] } : {}) }));
      }
      io.err(`cost-model eval: ${space} done (${((performance.now() - wall0) / 1000).toFixed(0)} s)`);
    }
    const wallSeconds = (performance.now() - wall0) / 1000;
    const command = `hwnas cost-model ${argv.filter((a, i) => !(a === '--data' || argv[i - 1] === '--data')).join(' ')}`;
    const markdown = [`Produced by \`${command}\` in ${wallSeconds.toFixed(0)} s.`, '', renderEvalMarkdown(reports)].join('\n');
    const json = JSON.stringify({ command, wallSeconds, reports }, null, 1);
    if (values.out) {
      const prefix = path.resolve(values.out as string);
      mkdirSync(path.dirname(prefix), { recursive: true });
      writeFileSync(`${prefix}.md`, withHandWrittenTail(markdown, `${prefix}.md`));
      writeFileSync(`${prefix}.json`, json + '\n');
      io.err(`wrote ${prefix}.md and ${prefix}.json`);
    }
    if (values.json) io.out(json);
    else if (!values.out) io.out(markdown);
    return 0;
  },
};

/**
 * Ends the generated part of `--out`'s markdown. What follows it in an existing file was written by
 * hand (other scripts' results, explanations) and survives a regeneration.
 */
export const GENERATED_END = '<!-- end of the part written by hwnas cost-model eval; what follows is kept when it rewrites this file -->';

/** `markdown` plus the marker and the hand-written part after the marker of the file at `file`, if it exists. */
function withHandWrittenTail(markdown: string, file: string): string {
  const previous = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const at = previous.indexOf(GENERATED_END);
  const tail = at < 0 ? '\n' : previous.slice(at + GENERATED_END.length);
  return `${markdown}\n${GENERATED_END}${tail}`;
}
