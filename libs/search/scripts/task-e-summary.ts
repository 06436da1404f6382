/**
 * The summary table of docs/benchmarks/task-e.md from task E reports (`hwnas bench-search --tasks E
 * --out DIR` writes DIR/task-e.json): per report and device, full-fidelity random search, the best
 * row with early stopping, the best row per scheduler, and whether the best reaches the issue's
 * target (regret at most half of full-fidelity random search's) at the chosen budget. Prints markdown.
 *
 *   node --import tsx libs/search/scripts/task-e-summary.ts [--budget 20000] LABEL=FILE.json[,FILE.json...] ...
 *
 * Several files under one label are one setting run in parts (e.g. the main report and gp-bo's,
 * same seeds): their tables are merged per device, and a row (strategy + scheduler) that an
 * earlier file already has is taken from the earlier file (random search, run in every report,
 * gives the same rows for the same seeds).
 */
import { readFileSync } from 'node:fs';
import type { TaskEReport } from '../src/index';
import { intFlag, runScript, scriptArgsWithPositionals, ScriptUsageError } from './script-args';

const USAGE = `node --import tsx libs/search/scripts/task-e-summary.ts [--budget 20000] LABEL=FILE.json[,FILE.json...] ...

  --budget N   the budget (in epochs) whose regrets the table shows; every report must have it
  LABEL=FILES  a row label and the task E report(s) (hwnas bench-search --tasks E writes task-e.json)`;
const { values, positionals } = scriptArgsWithPositionals(USAGE, { budget: { type: 'string', default: '20000' } });

/** A task E report from its JSON file; a missing or unreadable file is a usage error naming it. */
function readReport(file: string): TaskEReport {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as TaskEReport;
  } catch (e) {
    throw new ScriptUsageError(`${file}: ${(e as Error).message}`);
  }
}

/** `b`'s rows added to `a`'s tables of the same device, but for rows `a` has already. */
function merge(a: TaskEReport, b: TaskEReport): TaskEReport {
  return {
    ...a,
    tables: a.tables.map((t) => {
      const more = b.tables.find((u) => u.device === t.device);
      if (!more) return t;
      if (more.budgets.join() !== t.budgets.join()) throw new ScriptUsageError(`${t.device}: budgets differ (${t.budgets.join(', ')} vs ${more.budgets.join(', ')})`);
      const have = new Set(t.rows.map((r) => `${r.strategy}+${r.scheduler}`));
      return { ...t, rows: [...t.rows, ...more.rows.filter((r) => !have.has(`${r.strategy}+${r.scheduler}`))] };
    }),
  };
}

void runScript(USAGE, () => {
  const budget = intFlag('budget', values.budget!, 1);
  if (positionals.length === 0) throw new ScriptUsageError('give at least one LABEL=FILE.json');
  const reports = positionals.map((arg) => {
    const eq = arg.indexOf('=');
    if (eq < 1) throw new ScriptUsageError(`argument "${arg}" is not LABEL=FILE.json[,FILE.json...]`);
    const files = arg.slice(eq + 1).split(',');
    return { label: arg.slice(0, eq), report: files.map(readReport).reduce(merge) };
  });
  const schedulers = [...new Set(reports.flatMap((r) => r.report.tables.flatMap((t) => t.rows.map((row) => row.scheduler))))].filter((s) => s !== 'none');

  console.log(`| setting | device | random + none | best with early stopping | ${schedulers.map((s) => `best ${s}`).join(' | ')} | target (<= 0.5) |`);
  console.log(`| --- | --- | --- | --- | ${schedulers.map(() => '---').join(' | ')} | --- |`);
  for (const { label, report } of reports) {
    for (const t of report.tables) {
      const k = t.budgets.indexOf(budget);
      if (k < 0) throw new ScriptUsageError(`${label}: no budget ${budget} (budgets ${t.budgets.join(', ')})`);
      const base = t.rows.find((r) => r.strategy === 'random' && r.scheduler === 'none');
      if (!base) throw new ScriptUsageError(`${label}: no random + none row for ${t.device}`);
      const b = base.regret[k].mean;
      const cell = (rows: typeof t.rows) => {
        const best = rows.reduce<(typeof rows)[number] | undefined>((a, r) => (!a || r.regret[k].mean < a.regret[k].mean ? r : a), undefined);
        return best ? { text: `${best.strategy}+${best.scheduler} ${best.regret[k].mean.toFixed(3)} (${(best.regret[k].mean / b).toFixed(2)})`, ratio: best.regret[k].mean / b } : { text: '', ratio: Infinity };
      };
      const overall = cell(t.rows.filter((r) => r.scheduler !== 'none'));
      const per = schedulers.map((s) => cell(t.rows.filter((r) => r.scheduler === s)).text);
      console.log(`| ${label} | ${t.device} | ${b.toFixed(3)} | ${overall.text} | ${per.join(' | ')} | ${overall.ratio <= 0.5 ? 'met' : 'not met'} |`);
    }
  }
});
