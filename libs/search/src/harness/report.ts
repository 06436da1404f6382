import type { BenchRow, BenchSearchReport, BenchTable, Stats } from './bench-search';
import type { TaskCInfo, TaskPInfo } from './tasks';

/** Extra lines for the header of the markdown report (command line, wall time, ...). */
export interface ReportHeader {
  readonly title?: string;
  readonly lines?: readonly string[];
}

/**
 * Renders a benchmark report as markdown: a summary of the best ratio against random search at
 * each budget, then one table per task, device and mode (rows = strategies, columns = budgets,
 * cells = mean (std) over seeds), each followed by the ratios of the means to random search's.
 */
export function renderBenchMarkdown(report: BenchSearchReport, header: ReportHeader = {}): string {
  const out: string[] = [];
  out.push(`# ${header.title ?? 'Search benchmark (NAS-Bench-201 CIFAR-10, hardware-aware)'}`, '');
  if (header.lines) out.push(...header.lines, '');
  out.push(
    `Seeds 0..${report.seeds - 1}; every strategy with its default options${
      Object.keys(report.strategyOptions).length ? ` except ${JSON.stringify(report.strategyOptions)}` : ''
    }. Cells are mean (standard deviation, n - 1) over seeds; lower is better. "ratio" = mean / random search's mean at the same budget.`,
    '',
  );
  out.push(...summary(report), '');
  for (const t of report.tables) out.push(...table(t), '');
  return out.join('\n');
}

function summary(report: BenchSearchReport): string[] {
  const budgets = [...new Set(report.tables.flatMap((t) => t.budgets))].sort((a, b) => a - b);
  const lines = [
    '## Summary: best strategy against random search',
    '',
    'Cells of the tables below: mean (standard deviation; worst seed). For each task, device and mode: the strategy with the lowest mean at each budget and the ratio of its mean to random search\'s (task C: regret; task P: HV gap); in cost-first task C also its ratio to random search restricted to feasible architectures by screening.',
    '',
    `| task | device | mode | ${budgets.map((b) => `N=${b}`).join(' | ')} |`,
    `| --- | --- | --- | ${budgets.map(() => '---').join(' | ')} |`,
  ];
  for (const t of report.tables) {
    const random = t.rows.find((r) => r.strategy === 'random');
    const cells = budgets.map((b) => {
      const k = t.budgets.indexOf(b);
      if (k < 0 || !random) return '';
      let best: BenchRow | undefined;
      for (const r of t.rows) if (!isBaseline(r) && (!best || r.value[k].mean < best.value[k].mean)) best = r;
      if (!best) return '';
      const screened = t.rows.find((r) => r.strategy === 'random+screen');
      const vsScreened = screened ? ` (${ratio(best.value[k], screened.value[k])} vs random+screen)` : '';
      return `${best.strategy} ${ratio(best.value[k], random.value[k])}${vsScreened}`;
    });
    lines.push(`| ${t.task} | ${t.device} | ${t.mode} | ${cells.join(' | ')} |`);
  }
  return lines;
}

function table(t: BenchTable): string[] {
  const lines: string[] = [];
  const what = t.task === 'C' ? 'regret (accuracy points)' : 'HV gap';
  lines.push(`## Task ${t.task} (${t.task === 'C' ? 'constrained' : 'Pareto'}), ${t.device}, ${t.mode} mode`, '');
  if (t.task === 'C') {
    const i = t.info as TaskCInfo;
    lines.push(
      `Maximise accuracy subject to ${t.device} <= T = ${i.threshold.toFixed(4)} (25th percentile). Exhaustive optimum ${i.optimum.toFixed(4)} (${i.feasibleCount} feasible architectures); a run with nothing feasible scores regret ${(i.optimum - i.worstFeasible).toFixed(2)}. Cells: ${what}.`,
    );
  } else {
    const i = t.info as TaskPInfo;
    lines.push(
      `Maximise accuracy, minimise ${t.device}, both normalised to [0, 1] over the space; reference point (accuracy 0, cost 1). True front: ${i.frontSize} points, HV ${i.trueHv.toFixed(4)}. Cells: ${what} = 1 - HV ratio.`,
    );
  }
  lines.push('');
  const budgetCols = t.budgets.map((b) => `N=${b}`);
  const extra = t.task === 'C' ? ['runs without a feasible evaluation'] : ['HV ratio at the largest N'];
  lines.push(`| strategy | ${budgetCols.join(' | ')} | ${extra.join(' | ')} | cost queries / run | CPU ms / run |`);
  lines.push(`| --- | ${budgetCols.map(() => '---:').join(' | ')} | ---: | ---: | ---: |`);
  const digits = t.task === 'C' ? 3 : 4;
  for (const r of t.rows) {
    // search-quality: the worst seed after each cell; "-" where a peer ran a smaller budget.
    const cells = r.value.map((s, k) =>
      Number.isNaN(s.mean) ? '-' : `${s.mean.toFixed(digits)} (${s.std.toFixed(digits)}; worst ${r.worst ? r.worst[k].toFixed(digits) : '-'})`,
    );
    const ex =
      t.task === 'C'
        ? (r.noneFeasible ?? []).map((n, k) => (n > 0 ? `${n}@${t.budgets[k]}` : '')).filter(Boolean).join(', ') || '0'
        : r.hvRatio && !Number.isNaN(r.hvRatio[r.hvRatio.length - 1].mean)
          ? r.hvRatio[r.hvRatio.length - 1].mean.toFixed(4)
          : '-';
    const exhausted = r.exhaustedRuns > 0 ? ` (${r.exhaustedRuns} runs ended early)` : '';
    lines.push(
      `| ${r.strategy}${exhausted} | ${cells.join(' | ')} | ${ex} | ${r.costQueries.toFixed(0)} | ${r.cpuMsPerRun !== undefined ? r.cpuMsPerRun.toFixed(0) : '-'} |`,
    );
  }
  const random = t.rows.find((r) => r.strategy === 'random');
  if (random) {
    lines.push('', `Ratio of the mean ${what} to random search's (best per budget in bold):`, '');
    lines.push(`| strategy | ${budgetCols.join(' | ')} |`, `| --- | ${budgetCols.map(() => '---:').join(' | ')} |`);
    const best = t.budgets.map((_, k) => Math.min(...t.rows.filter((r) => !isBaseline(r) && !Number.isNaN(r.value[k].mean)).map((r) => r.value[k].mean)));
    for (const r of t.rows) {
      if (r.strategy === 'random') continue;
      const cells = r.value.map((s, k) => {
        if (Number.isNaN(s.mean)) return '-';
        const text = ratio(s, random.value[k]);
        return s.mean === best[k] ? `**${text}**` : text;
      });
      lines.push(`| ${r.strategy} | ${cells.join(' | ')} |`);
    }
  }
  return lines;
}

/** Rows that are baselines, not contenders: plain and screened random search. */
function isBaseline(r: BenchRow): boolean {
  return r.strategy === 'random' || r.strategy === 'random+screen';
}

function ratio(s: Stats, base: Stats): string {
  return base.mean > 0 ? (s.mean / base.mean).toFixed(2) : '-';
}
