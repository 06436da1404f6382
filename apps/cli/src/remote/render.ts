import { SearchState, StopReason, TrialNeed } from '@hwnas/proto';
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
    ...cols.map((c) => (t.metrics[c] === undefined ? '' : format === 'csv' ? plainNumber(t.metrics[c]) : fmt(t.metrics[c]))),
    t.arch?.arch ?? '',
  ]);
  if (format === 'csv') return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n');
  return renderTable([header, ...rows]);
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * An SVG scatter of `yMetric` (accuracy, up is better) against `xMetric` (a cost, left is
 * better) over the feasible and infeasible trials, with the non-dominated front (max y, min x)
 * drawn as a line and its points highlighted. Pure; returns the SVG text.
 */
export function scatterSvg(trials: readonly Trial[], xMetric: string, yMetric: string, title: string): string {
  const pts = trials.filter((t) => t.status === 1 && Number.isFinite(t.metrics[xMetric]) && Number.isFinite(t.metrics[yMetric])).map((t) => ({ x: t.metrics[xMetric], y: t.metrics[yMetric], t }));
  const W = 720;
  const H = 480;
  const m = { l: 70, r: 20, t: 40, b: 55 };
  const xs = pts.map((p) => p.x);
  const ys = pts.map((p) => p.y);
  const [x0, x1] = pts.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  const [y0, y1] = pts.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
  const sx = (x: number) => m.l + ((x - x0) / (x1 - x0 || 1)) * (W - m.l - m.r);
  const sy = (y: number) => H - m.b - ((y - y0) / (y1 - y0 || 1)) * (H - m.t - m.b);
  // Front: sort by cost ascending; keep points strictly better in y than every cheaper one.
  const sorted = [...pts].sort((a, b) => a.x - b.x || b.y - a.y);
  const front: typeof pts = [];
  for (const p of sorted) if (!front.length || p.y > front[front.length - 1].y) front.push(p);
  const onFront = new Set(front);
  const ticks = (a: number, b: number) => Array.from({ length: 6 }, (_, i) => a + ((b - a) * i) / 5);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`);
  out.push(`<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="black"/><line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="black"/>`);
  for (const v of ticks(x0, x1)) out.push(`<text x="${sx(v).toFixed(1)}" y="${H - m.b + 16}" text-anchor="middle">${esc(fmt(v, 3))}</text>`);
  for (const v of ticks(y0, y1)) out.push(`<text x="${m.l - 6}" y="${(sy(v) + 4).toFixed(1)}" text-anchor="end">${esc(fmt(v, 3))}</text>`);
  out.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 12}" text-anchor="middle">${esc(xMetric)}</text>`);
  out.push(`<text transform="translate(16 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(yMetric)}</text>`);
  for (const p of pts) {
    if (onFront.has(p)) continue;
    out.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3" fill="${p.t.feasible ? '#7a9cc6' : '#cccccc'}"><title>${esc(p.t.arch?.arch ?? '')}</title></circle>`);
  }
  if (front.length > 1) out.push(`<polyline fill="none" stroke="#d62728" stroke-width="1.5" points="${front.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ')}"/>`);
  for (const p of front) out.push(`<circle class="pareto" cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="5" fill="#d62728"><title>${esc(p.t.arch?.arch ?? '')}</title></circle>`);
  out.push(`<text x="${W - m.r}" y="${m.t}" text-anchor="end" fill="#d62728">Pareto front (${front.length} of ${pts.length})</text>`);
  out.push('</svg>');
  return out.join('\n');
}
