import type { EvalReport } from './harness';
import { MAPE_FLOOR_OF_MEDIAN } from './harness';
import { median } from './stats';

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;


/** Median fit and predict times (ms) and mean meta-learning time (s) over every run of a report. */
export function reportTimes(r: EvalReport): { fitMsMedian: number; predictMsMedian: number; metaSecondsMean: number } {
  const runs = r.folds.flatMap((f) => f.runs);
  return {
    fitMsMedian: median(runs.map((x) => x.fitMs)),
    predictMsMedian: median(runs.map((x) => x.predictMs)),
    metaSecondsMean: r.folds.reduce((a, f) => a + f.metaSeconds, 0) / r.folds.length,
  };
}

/** The markdown tables of one or more harness reports (one section per space). */
export function renderEvalMarkdown(reports: readonly EvalReport[]): string {
  const out: string[] = [];
  for (const r of reports) {
    const devices = r.folds.map((f) => f.device);
    const t = reportTimes(r);
    out.push(`## ${r.space} (${r.dataset}, ${r.architectures} architectures, ${devices.length} evaluated device${devices.length === 1 ? '' : 's'})`, '');
    out.push('Mean over devices (and over seeds for random draws); every metric over all architectures of the table.', '');
    out.push(
      `| K | draws | Spearman | Kendall tau-b | MAPE (mean) | MAPE (median device) | MAPE (cells >= ${MAPE_FLOOR_OF_MEDIAN} x median) | within 2 std |`,
      '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const s of r.summary) {
      out.push(`| ${s.samples} | ${s.draws === 'probe' ? 'probe_index' : `random, ${r.seeds.length} seeds`} | ${f3(s.spearman)} | ${f3(s.kendall)} | ${pct(s.mape)} | ${pct(s.mapeMedianDevice)} | ${pct(s.mapeAboveFloor)} | ${pct(s.coverage2Std)} |`);
    }
    out.push('', 'Baselines (no measurement; a cost that ranks alone):', '', '| ranking by | Spearman | Kendall tau-b |', '| --- | ---: | ---: |');
    for (const b of r.baselines) out.push(`| ${b.name} | ${f3(b.spearman)} | ${f3(b.kendall)} |`);
    out.push('', 'Spearman per device:', '');
    out.push(`| K | ${devices.join(' | ')} |`, `| --- | ${devices.map(() => '---:').join(' | ')} |`);
    for (const s of r.summary) out.push(`| ${s.samples}${s.draws === 'probe' ? ' (probe)' : ''} | ${devices.map((d) => f3(s.spearmanByDevice[d])).join(' | ')} |`);
    out.push(`| MACs | ${r.folds.map((f) => f3(f.baselines.find((b) => b.name === 'macs')?.spearman ?? NaN)).join(' | ')} |`);
    out.push('', `Noise / prior variance meta-learned per held-out device: ${r.folds.map((f) => `${f.device} ${f.noiseVariance} / ${f.priorVariance}`).join(', ')}.`);
    out.push(
      '',
      `Times in this run (2 shared cores): fit median ${t.fitMsMedian.toFixed(2)} ms, predicting all ${r.architectures} architectures median ${t.predictMsMedian.toFixed(1)} ms, ` +
        `meta-learning per reference pool mean ${t.metaSecondsMean.toFixed(2)} s, IR + MACs + both simulators over the table ${r.computeSeconds.toFixed(1)} s.`,
      '',
    );
  }
  return out.join('\n');
}
