import { bestSoFarChartSvg, higherIsBetter, metricUnit, scatterChartSvg } from '@hwnas/dashboard/charts';
import { Direction, SearchState, StopReason, TrialNeed, TrialStatus } from '@hwnas/proto';
import type { Search, SearchCounts, Trial } from '@hwnas/proto';
import { fmt, plainNumber, renderTable } from '../format';

/** `SEARCH_STATE_RUNNING` -> `running`. */
export function stateName(s: SearchState): string {
  return (SearchState[s] ?? String(s)).replace(/^SEARCH_STATE_/, '').toLowerCase();
}

/** `STOP_REASON_BUDGET` -> `budget`; empty for UNSPECIFIED. */
export function stopReasonName(r: StopReason): string {
  return r === StopReason.STOP_REASON_UNSPECIFIED ? '' : (StopReason[r] ?? String(r)).replace(/^STOP_REASON_/, '').toLowerCase();
}

/** `1m05s`, `3.2s`. */
export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '?';
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(sec).padStart(2, '0')}s`;
}

/** The first objective metric of a search (what "best" is judged by). */
export function primaryMetric(search: Search): string {
  return search.resolvedRequest?.objectives[0]?.metric ?? 'accuracy';
}

/**
 * One line of live progress: `[#####.....] 120/500 24% | 850.2 eval/s | ETA 0.4s | best accuracy 93.76 |nor...|`.
 * `width` is the bar's width in characters.
 */
export function progressLine(search: Search, counts: SearchCounts | undefined, rate: number, etaMs: number | undefined, best: Trial | undefined, width = 30): string {
  const budget = search.resolvedRequest?.budget ?? search.request?.budget ?? 0;
  const done = counts?.evaluationsDone ?? 0;
  const frac = budget > 0 ? Math.min(1, done / budget) : 0;
  const filled = Math.round(frac * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const metric = primaryMetric(search);
  const bestText = best ? `best ${metric} ${fmt(best.metrics[metric])} ${best.arch?.arch ?? ''}` : 'best -';
  return `${bar} ${done}/${budget} ${Math.floor(frac * 100)}% | ${rate.toFixed(1)} eval/s | ETA ${etaMs === undefined ? '?' : duration(etaMs)} | ${bestText}`;
}

/** A search record as a two-column table. */
export function renderSearch(s: Search): string {
  const rows: string[][] = [['field', 'value']];
  const r = s.resolvedRequest;
  rows.push(['search', s.searchId], ['state', stateName(s.state)]);
  if (s.stopReason) rows.push(['stop reason', stopReasonName(s.stopReason)]);
  if (s.cancelReason) rows.push(['cancel reason', s.cancelReason]);
  if (s.failure) rows.push(['failure', `${s.failure.code}: ${s.failure.message}`]);
  if (r) {
    rows.push(['space / dataset', `${r.space} / ${r.dataset}`], ['strategy', r.strategy], ['seed', String(r.seed)], ['mode', r.asynchronous ? 'asynchronous (not reproducible)' : 'synchronous (reproducible)']);
    rows.push(['objectives', r.objectives.map((o) => `${o.metric}:${o.direction === 1 ? 'max' : 'min'}`).join(', ')]);
    if (r.constraints.length) rows.push(['constraints', r.constraints.map((c) => `${c.metric}<=${c.upperBound}`).join(', ')]);
    if (r.deviceIds.length) rows.push(['devices', r.deviceIds.join(', ')]);
  }
  if (s.costModel) {
    const band = r?.costModel ? `z ${r.costModel.z ?? 2}${r.costModel.conformal !== undefined ? `, conformal ${r.costModel.conformal}` : ''}` : '';
    rows.push(['cost model', `${s.costModel.metric} of ${s.costModel.device} (${s.costModel.summary})${band ? `; band ${band}` : ''}`]);
    rows.push(['device costs', `${s.costModel.measured} architectures measured, ${s.costModel.predicted} costs predicted (marked "(pred)" by hwnas results)`]);
  }
  const c = s.counts;
  rows.push(['evaluations', `${c?.evaluationsDone ?? 0}/${r?.budget ?? '?'} (${c?.evaluationsFailed ?? 0} failed, ${c?.evaluationsInFlight ?? 0} in flight)`]);
  if (c?.costQueries) rows.push(['cost queries', String(c.costQueries)]);
  rows.push(['created', new Date(s.createdAtMs).toISOString()]);
  if (s.finishedAtMs !== undefined) rows.push(['finished', `${new Date(s.finishedAtMs).toISOString()} (${duration(s.finishedAtMs - s.createdAtMs)})`]);
  if (s.etaMs !== undefined) rows.push(['eta', duration(s.etaMs)]);
  const best = s.incumbent?.best;
  if (best) {
    rows.push(['best', best.arch?.arch ?? '']);
    for (const [k, v] of Object.entries(best.metrics).sort()) rows.push([`  ${k}`, fmt(v)]);
  }
  if (s.incumbent?.paretoSet.length) rows.push(['pareto set', `${s.incumbent.paretoSet.length} architectures (hwnas results ${s.searchId})`]);
  return renderTable(rows);
}

/** Metric columns of a history: objectives and constraint metrics first, then the rest sorted. */
export function metricColumns(search: Search, trials: readonly Trial[]): string[] {
  const first = [...(search.resolvedRequest?.objectives.map((o) => o.metric) ?? []), ...(search.resolvedRequest?.constraints.map((c) => c.metric) ?? [])];
  const all = new Set<string>();
  for (const t of trials) for (const k of Object.keys(t.metrics)) all.add(k);
  const lead = [...new Set(first)].filter((m) => all.has(m));
  return [...lead, ...[...all].filter((m) => !lead.includes(m)).sort()];
}

const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** The history as `table`, `csv` or `json` (JSON: one object per trial, one line). */
export function renderTrials(search: Search, trials: readonly Trial[], format: 'table' | 'csv' | 'json'): string {
  const pareto = new Set(search.incumbent?.paretoSet.map((t) => t.trialId) ?? []);
  const bestId = search.incumbent?.best?.trialId;
  const cols = metricColumns(search, trials);
  if (format === 'json') {
    return JSON.stringify({
      search: { id: search.searchId, state: stateName(search.state), best: search.incumbent?.best?.arch?.arch, pareto: search.incumbent?.paretoSet.map((t) => t.arch?.arch) },
      trials: trials.map((t) => ({
        trial: Number(t.trialId),
        tell: t.tellIndex,
        need: t.need === TrialNeed.TRIAL_NEED_COSTS ? 'costs' : 'full',
        ...(t.cached ? { cached: true } : {}),
        ...(t.screened ? { screened: true } : {}),
        arch: t.arch?.arch,
        status: t.status === 1 ? 'ok' : 'failed',
        feasible: t.feasible,
        metrics: t.metrics,
        ...(t.failure ? { failure: t.failure } : {}),
      })),
    });
  }
  // A need column only when cost queries are listed (`hwnas results --cost-queries`).
  const needs = trials.some((t) => t.need === TrialNeed.TRIAL_NEED_COSTS);
  const needOf = (t: Trial) => (t.need === TrialNeed.TRIAL_NEED_COSTS ? `costs${t.screened ? ' (screened)' : ''}` : 'full') + (t.cached ? ' (cached)' : '');
  const header = ['tell', 'trial', ...(needs ? ['need'] : []), 'status', 'feasible', 'incumbent', ...cols, 'arch'];
  const rows = trials.map((t) => [
    String(t.tellIndex),
    t.trialId,
    ...(needs ? [needOf(t)] : []),
    t.status === 1 ? 'ok' : `failed: ${t.failure?.message ?? ''}`,
    t.feasible ? 'yes' : 'no',
    t.trialId === bestId ? 'best' : pareto.has(t.trialId) ? 'pareto' : '',
    ...cols.map((c) => (t.metrics[c] === undefined ? '' : format === 'csv' ? plainNumber(t.metrics[c]) : fmt(t.metrics[c]) + (t.metrics[`${c}_measured`] === 0 ? ' (pred)' : ''))),
    t.arch?.arch ?? '',
  ]);
  if (format === 'csv') return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n');
  return renderTable([header, ...rows]);
}

/** The direction of a metric in a search: its objective's, else the metric's natural one. */
function directionIn(search: Search, metric: string): 'min' | 'max' {
  const o = search.resolvedRequest?.objectives.find((x) => x.metric === metric);
  if (o && o.direction !== Direction.DIRECTION_UNSPECIFIED) return o.direction === Direction.DIRECTION_MAXIMIZE ? 'max' : 'min';
  return higherIsBetter(metric) ? 'max' : 'min';
}

const okTrials = (trials: readonly Trial[]) => trials.filter((t) => t.status === TrialStatus.TRIAL_STATUS_OK && t.need !== TrialNeed.TRIAL_NEED_COSTS);

/**
 * The accuracy-cost scatter of a search as SVG (the dashboard's chart): `yMetric` against
 * `xMetric` over the full evaluations, with units, the constraint line and feasible region of a
 * constraint on either axis, the best marked, the search's Pareto front when its two objectives
 * are the axes (else the front of these two metrics), and outliers clipped to the edge.
 */
export function scatterSvg(search: Search, trials: readonly Trial[], xMetric: string, yMetric: string, title: string): string {
  const r = search.resolvedRequest;
  const objectives = r?.objectives.map((o) => o.metric) ?? [];
  const paretoAxes = objectives.length === 2 && objectives.includes(xMetric) && objectives.includes(yMetric);
  const best = search.incumbent?.best?.trialId;
  return scatterChartSvg({
    title,
    x: { label: xMetric, unit: metricUnit(xMetric), direction: directionIn(search, xMetric) },
    y: { label: yMetric, unit: metricUnit(yMetric), direction: directionIn(search, yMetric) },
    points: okTrials(trials)
      .filter((t) => Number.isFinite(t.metrics[xMetric]) && Number.isFinite(t.metrics[yMetric]))
      .map((t) => ({ id: Number(t.trialId), x: t.metrics[xMetric], y: t.metrics[yMetric], feasible: t.feasible, label: t.arch?.arch ?? '' })),
    constraints: (r?.constraints ?? [])
      .filter((c) => c.upperBound !== undefined && (c.metric === xMetric || c.metric === yMetric))
      .map((c) => ({ axis: c.metric === xMetric ? ('x' as const) : ('y' as const), bound: c.upperBound! })),
    ...(best ? { bestId: Number(best) } : {}),
    ...(paretoAxes ? { frontIds: (search.incumbent?.paretoSet ?? []).map((t) => Number(t.trialId)) } : {}),
  });
}

/** The best-so-far curve of a search's first objective as SVG (the dashboard's chart), in tell order. */
export function bestSoFarSvg(search: Search, trials: readonly Trial[], title: string): string {
  const metric = primaryMetric(search);
  return bestSoFarChartSvg({
    title,
    metric: { label: metric, unit: metricUnit(metric), direction: directionIn(search, metric) },
    evaluations: okTrials(trials)
      .filter((t) => Number.isFinite(t.metrics[metric]))
      .map((t) => ({ id: Number(t.trialId), value: t.metrics[metric], feasible: t.feasible })),
    budget: search.resolvedRequest?.budget ?? 0,
  });
}
