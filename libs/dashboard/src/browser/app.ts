/**
 * The dashboard in the browser: renders the page the server's shell names (the list of searches,
 * or one search) from the JSON API, and keeps it live with Server-Sent Events. Bundled by esbuild
 * (see ../assets.ts); the charts are the same code the CLI writes SVG files with.
 */
import { bestSoFarChartSvg, learningCurvesChartSvg } from '../charts/curves';
import { esc } from '../charts/frame';
import { scatterChartSvg } from '../charts/scatter';
import { formatTick } from '../charts/scale';
import type { DevicesView, SearchDetail, SearchSummary, TrialRow } from '../model';
import type { PageConfig } from '../pages';

const app = document.getElementById('app') as HTMLElement;
const cfg = JSON.parse(app.dataset.config ?? '{}') as PageConfig;
const live = document.getElementById('live') as HTMLElement;

function setLive(state: 'live' | 'done' | 'retrying') {
  live.className = `live ${state}`;
  live.textContent = state === 'live' ? 'live' : state === 'done' ? 'finished' : 'reconnecting…';
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (res.status === 401) {
    // The cookie expired or the token changed: the page itself shows the 401 form.
    location.reload();
    throw new Error('unauthorized');
  }
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

// ---- formatting -------------------------------------------------------------------------------

/** A value with four significant digits (whole numbers from 1000 on, grouped) and its unit. */
function num(v: number | undefined, unit = ''): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  const text = Math.abs(v) >= 1000 ? formatTick(Math.round(v), 1) : String(Number(v.toPrecision(4)));
  return unit ? `${text} ${unit}` : text;
}

function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h} h ${String(m).padStart(2, '0')} min` : `${m} min ${String(s % 60).padStart(2, '0')} s`;
}

function ago(ms: number): string {
  return `${duration(Date.now() - ms)} ago`;
}

const stateBadge = (state: string) => `<span class="badge state-${esc(state)}" data-state="${esc(state)}">${esc(state)}</span>`;

function progress(s: SearchSummary): string {
  const frac = s.budget > 0 ? Math.min(1, s.evaluationsDone / s.budget) : 0;
  return `<div class="progress" title="${s.evaluationsDone} of ${s.budget} evaluations"><div class="bar" style="width:${(frac * 100).toFixed(1)}%"></div></div><span class="progress-text">${s.evaluationsDone} / ${s.budget}</span>`;
}

function bestText(s: SearchSummary): string {
  if (s.frontSize !== undefined) return `<strong>${s.frontSize}</strong> <span class="muted">on the Pareto front</span>`;
  if (!s.best) return '<span class="muted">–</span>';
  return `<strong>${esc(num(s.best.value, s.objective.unit))}</strong> <span class="muted">${esc(s.objective.metric)}</span>`;
}

// ---- the list of searches -----------------------------------------------------------------------

function renderDevices(v: DevicesView | undefined): string {
  if (!v) return '';
  const queues = v.queues.map((q) => `<span class="chip">${esc(q.name)}: <strong>${q.waiting}</strong> waiting</span>`).join(' ');
  const rows = v.devices
    .map(
      (d) =>
        `<tr><td><strong>${esc(d.deviceId)}</strong><div class="muted small">${esc(d.description)}</div></td><td>${esc(d.kind)}</td><td class="num">${d.agents}</td><td class="num">${d.queued ?? '–'}</td><td>${d.metrics.map((m) => `<code>${esc(m)}</code>`).join(' ')}</td><td>${d.lastSeenAtMs ? esc(ago(d.lastSeenAtMs)) : '–'}</td></tr>`,
    )
    .join('');
  return `<section class="card" id="devices"><h2>Devices and queues</h2>${queues ? `<p>${queues}</p>` : ''}${
    v.devices.length
      ? `<table class="grid"><thead><tr><th>device</th><th>kind</th><th class="num">agents</th><th class="num">queued</th><th>metrics</th><th>last heartbeat</th></tr></thead><tbody>${rows}</tbody></table>`
      : '<p class="muted">No device agents or backends are registered.</p>'
  }</section>`;
}

function renderList(searches: readonly SearchSummary[], devices?: DevicesView) {
  const rows = searches
    .map(
      (s) => `<tr data-search="${esc(s.searchId)}">
<td><a href="/searches/${encodeURIComponent(s.searchId)}"><code>${esc(s.searchId.slice(0, 8))}</code></a></td>
<td>${stateBadge(s.state)}</td>
<td>${esc(s.space)} · ${esc(s.dataset)}</td>
<td>${esc(s.strategy)}</td>
<td class="progress-cell">${progress(s)}</td>
<td>${bestText(s)}</td>
<td class="num">${s.evaluationsPerSecond > 0 ? num(s.evaluationsPerSecond) : '–'}</td>
<td class="num">${s.finishedAtMs !== undefined ? esc(s.finishReason ?? 'done') : duration(s.etaMs)}</td>
<td>${esc(ago(s.submittedAtMs))}</td>
</tr>`,
    )
    .join('');
  app.innerHTML = `<section class="card" id="searches"><h2>Searches <span class="muted">(${searches.length})</span></h2>${
    searches.length
      ? `<table class="grid"><thead><tr><th>search</th><th>state</th><th>space · dataset</th><th>strategy</th><th>progress</th><th>best so far</th><th class="num">eval/s</th><th class="num">ETA / end</th><th>submitted</th></tr></thead><tbody>${rows}</tbody></table>`
      : '<p class="muted">No searches yet. Submit one with <code>hwnas search … --coordinator HOST:PORT</code>.</p>'
  }</section>${renderDevices(devices)}`;
}

async function listPage() {
  let searches = await getJson<SearchSummary[]>('/api/searches');
  let devices = await getJson<DevicesView>('/api/devices').catch(() => undefined);
  renderList(searches, devices);
  const events = new EventSource('/api/events');
  events.addEventListener('open', () => setLive('live'));
  events.addEventListener('error', () => setLive('retrying'));
  events.addEventListener('searches', (e) => {
    searches = JSON.parse((e as MessageEvent).data) as SearchSummary[];
    renderList(searches, devices);
  });
  setInterval(async () => {
    devices = await getJson<DevicesView>('/api/devices').catch(() => devices);
    renderList(searches, devices);
  }, 5000);
}

// ---- one search ---------------------------------------------------------------------------------

interface SearchState {
  detail?: SearchDetail;
  trials: TrialRow[];
  devices?: DevicesView;
  x?: string;
  y?: string;
  sortKey: string;
  sortDir: 1 | -1;
  rowsShown: number;
}

const st: SearchState = { trials: [], sortKey: 'tell', sortDir: 1, rowsShown: 200 };

/** Merges an update (the search with the trials from `trialsFrom` on) into the page's state. */
function merge(d: SearchDetail) {
  if (d.trialsFrom <= st.trials.length) st.trials.splice(d.trialsFrom, st.trials.length - d.trialsFrom, ...d.trials);
  st.detail = d;
}

function metricNames(d: SearchDetail): string[] {
  const lead = [...d.objectives.map((o) => o.metric), ...d.constraints.map((c) => c.metric)];
  const all = new Set<string>(Object.keys(d.units));
  for (const t of st.trials) for (const m of Object.keys(t.metrics)) all.add(m);
  const first = [...new Set(lead)].filter((m) => all.has(m) || lead.includes(m));
  return [...first, ...[...all].filter((m) => !first.includes(m)).sort()];
}

function defaultAxes(d: SearchDetail, names: readonly string[]): { x: string; y: string } {
  const y = d.objectives[0]?.metric ?? 'accuracy';
  const x = d.objectives[1]?.metric ?? d.constraints[0]?.metric ?? names.find((m) => m !== y && /latency|energy|flops|params/.test(m)) ?? names.find((m) => m !== y) ?? y;
  return { x, y };
}

const unitOf = (d: SearchDetail, m: string) => d.units[m] ?? d.constraints.find((c) => c.metric === m)?.unit ?? d.objectives.find((o) => o.metric === m)?.unit ?? '';
const directionOf = (d: SearchDetail, m: string): 'min' | 'max' => d.objectives.find((o) => o.metric === m)?.direction ?? (d.higherIsBetter.includes(m) ? 'max' : 'min');

function chartWidth(id: string, fallback: number): number {
  const el = document.getElementById(id);
  return Math.max(360, Math.floor(el?.clientWidth ?? fallback) - 2);
}

function renderCharts() {
  const d = st.detail!;
  const names = metricNames(d);
  const axes = defaultAxes(d, names);
  const x = st.x ?? axes.x;
  const y = st.y ?? axes.y;
  const full = st.trials.filter((t) => t.need === 'full' && t.status === 'ok');
  const best = document.getElementById('chart-best');
  if (best) {
    const o = d.objectives[0] ?? { metric: y, unit: unitOf(d, y), direction: 'max' as const };
    best.innerHTML = bestSoFarChartSvg({
      width: chartWidth('chart-best', 560),
      height: 360,
      metric: { label: o.metric, unit: o.unit, direction: o.direction ?? 'max' },
      evaluations: full.filter((t) => t.metrics[o.metric] !== undefined).map((t) => ({ id: t.trialId, value: t.metrics[o.metric], feasible: t.feasible })),
      budget: d.summary.budget,
    });
  }
  const scatter = document.getElementById('chart-scatter');
  if (scatter) {
    const constraints = d.constraints.filter((c) => c.metric === x || c.metric === y).map((c) => ({ axis: c.metric === x ? ('x' as const) : ('y' as const), bound: c.bound }));
    scatter.innerHTML = scatterChartSvg({
      width: chartWidth('chart-scatter', 560),
      height: 360,
      x: { label: x, unit: unitOf(d, x), direction: directionOf(d, x) },
      y: { label: y, unit: unitOf(d, y), direction: directionOf(d, y) },
      points: full.filter((t) => t.metrics[x] !== undefined && t.metrics[y] !== undefined).map((t) => ({ id: t.trialId, x: t.metrics[x], y: t.metrics[y], feasible: t.feasible, label: t.arch })),
      constraints,
      ...(d.bestId !== undefined ? { bestId: d.bestId } : {}),
      ...(d.frontIds.length && d.objectives.length === 2 && d.objectives.every((o) => o.metric === x || o.metric === y) ? { frontIds: d.frontIds } : {}),
    });
  }
  const curves = document.getElementById('chart-curves');
  const withCurves = st.trials.filter((t) => t.learningCurves && Object.keys(t.learningCurves).length);
  if (curves) {
    curves.parentElement!.hidden = withCurves.length === 0;
    if (withCurves.length) {
      const metric = Object.keys(withCurves[0].learningCurves!)[0];
      curves.innerHTML = learningCurvesChartSvg({
        width: chartWidth('chart-curves', 1100),
        height: 320,
        metric: { label: metric, unit: unitOf(d, metric) },
        series: withCurves.slice(-20).map((t) => ({ label: `trial ${t.trialId}`, points: t.learningCurves![metric] ?? [] })),
      });
    }
  }
}

function sortValue(t: TrialRow, key: string): number | string {
  if (key === 'tell') return t.tellIndex ?? t.trialId;
  if (key === 'trial') return t.trialId;
  if (key === 'status') return `${t.status}${t.feasible ? 1 : 0}`;
  if (key === 'arch') return t.arch;
  return t.metrics[key] ?? (st.sortDir === 1 ? Infinity : -Infinity);
}

function renderTable() {
  const d = st.detail!;
  const cols = metricNames(d);
  const rows = [...st.trials].sort((a, b) => {
    const va = sortValue(a, st.sortKey);
    const vb = sortValue(b, st.sortKey);
    return (va < vb ? -1 : va > vb ? 1 : 0) * st.sortDir;
  });
  const head = (key: string, label: string, cls = '') =>
    `<th class="sortable ${cls}${st.sortKey === key ? ' sorted' : ''}" data-sort="${esc(key)}" aria-sort="${st.sortKey === key ? (st.sortDir === 1 ? 'ascending' : 'descending') : 'none'}">${esc(label)}${st.sortKey === key ? (st.sortDir === 1 ? ' ▲' : ' ▼') : ''}</th>`;
  const front = new Set(d.frontIds);
  const body = rows
    .slice(0, st.rowsShown)
    .map((t) => {
      const mark = t.trialId === d.bestId ? '<span class="badge best">best</span>' : front.has(t.trialId) ? '<span class="badge front">Pareto</span>' : '';
      const status = t.status === 'failed' ? `<span class="badge failed" title="${esc(t.error ?? '')}">failed</span>` : t.feasible ? '<span class="badge ok">feasible</span>' : '<span class="badge infeasible">infeasible</span>';
      const cells = cols
        .map((m) => {
          const v = t.metrics[m];
          if (v === undefined) return '<td class="num muted">–</td>';
          const measured = t.measured.includes(m);
          if (t.predicted?.includes(m)) return `<td class="num" title="predicted by the device's cost model, not measured">${esc(num(v))} <span class="origin predicted">pred.</span></td>`;
          return `<td class="num" title="${measured ? 'measured on a device' : 'from the benchmark tables (predicted)'}">${esc(num(v))}${measured ? ' <span class="origin measured">meas.</span>' : ''}</td>`;
        })
        .join('');
      return `<tr data-trial="${t.trialId}"${t.trialId === d.bestId ? ' class="best-row"' : ''}><td class="num">${t.tellIndex ?? ''}</td><td class="num">${t.trialId}</td><td>${status} ${mark}${t.need === 'costs' ? ' <span class="badge">costs</span>' : ''}${t.cached ? ' <span class="badge">cached</span>' : ''}</td>${cells}<td><code class="arch">${esc(t.arch)}</code></td></tr>`;
    })
    .join('');
  const more = rows.length > st.rowsShown ? `<p><button id="more">Show all ${rows.length} trials</button></p>` : '';
  const el = document.getElementById('trials')!;
  el.innerHTML = `<table class="grid trials"><thead><tr>${head('tell', 'tell', 'num')}${head('trial', 'trial', 'num')}${head('status', 'status')}${cols.map((m) => head(m, unitOf(d, m) ? `${m} (${unitOf(d, m)})` : m, 'num')).join('')}${head('arch', 'architecture')}</tr></thead><tbody>${body}</tbody></table>${more}`;
}

function renderSearchHeader() {
  const d = st.detail!;
  const s = d.summary;
  const trace = d.traceId ? `<a class="trace" href="${esc(cfg.traceUrlTemplate.replace('{traceId}', d.traceId))}" target="_blank" rel="noopener">trace ${esc(d.traceId.slice(0, 8))}… ↗</a>` : '<span class="muted" title="the search was not traced (no OpenTelemetry SDK)">no trace</span>';
  const constraints = d.constraints.map((c) => `<code>${esc(c.metric)} ≤ ${c.bound}${c.unit ? ' ' + esc(c.unit) : ''}</code>`).join(' ');
  document.getElementById('summary')!.innerHTML = `
<div class="title-row"><h1>Search <code>${esc(s.searchId)}</code></h1>${stateBadge(s.state)}${trace}</div>
<p class="muted">${esc(s.strategy)} on ${esc(s.space)} · ${esc(s.dataset)} — objectives ${d.objectives.map((o) => `<code>${esc(o.metric)}${o.direction ? ':' + o.direction : ''}</code>`).join(' ')}${constraints ? ` — constraints ${constraints}` : ''}${d.devices.length ? ` — devices ${d.devices.map((x) => `<code>${esc(x)}</code>`).join(' ')}` : ''}</p>
<div class="stats">
<div class="stat"><div class="label">progress</div><div class="value" id="progress">${s.evaluationsDone} / ${s.budget}</div>${progress(s)}</div>
${
    d.objectives.length > 1
      ? `<div class="stat"><div class="label">Pareto front</div><div class="value" id="front-size">${d.frontIds.length}</div><div class="muted small">feasible non-dominated architectures</div></div>`
      : `<div class="stat"><div class="label">best so far</div><div class="value" id="best-value">${esc(num(s.best?.value, s.objective.unit))}</div><div class="muted small">${esc(s.objective.metric)}${s.best ? ` · trial ${s.best.trialId}` : ''}</div></div>`
  }
<div class="stat"><div class="label">rate</div><div class="value">${s.evaluationsPerSecond > 0 ? esc(num(s.evaluationsPerSecond)) : '–'}</div><div class="muted small">evaluations / s</div></div>
<div class="stat"><div class="label">${s.finishedAtMs !== undefined ? 'finished' : 'ETA'}</div><div class="value">${s.finishedAtMs !== undefined ? esc(s.finishReason ?? s.state) : esc(duration(s.etaMs))}</div><div class="muted small">${s.evaluationsFailed} failed · ${s.inFlight} in flight</div></div>
</div>
${s.best ? `<p class="best-arch">best architecture <code>${esc(s.best.arch)}</code></p>` : ''}`;
}

function axisOptions(selected: string, names: readonly string[]): string {
  return names.map((m) => `<option value="${esc(m)}"${m === selected ? ' selected' : ''}>${esc(m)}</option>`).join('');
}

function renderAxisPickers() {
  const d = st.detail!;
  const names = metricNames(d);
  const axes = defaultAxes(d, names);
  const el = document.getElementById('axes')!;
  el.innerHTML = `<label>y <select id="axis-y">${axisOptions(st.y ?? axes.y, names)}</select></label> <label>x <select id="axis-x">${axisOptions(st.x ?? axes.x, names)}</select></label> <button id="download" title="the scatter as an SVG file">SVG ↓</button>`;
}

let frame = 0;
function renderSearch() {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    renderSearchHeader();
    const names = metricNames(st.detail!).join(',');
    if (document.getElementById('axes')!.dataset.names !== names) {
      renderAxisPickers();
      document.getElementById('axes')!.dataset.names = names;
    }
    renderCharts();
    renderTable();
    const devices = st.detail!.devices;
    const dv = st.devices ? { ...st.devices, devices: st.devices.devices.filter((x) => devices.length === 0 || devices.includes(x.deviceId)) } : undefined;
    document.getElementById('search-devices')!.innerHTML = renderDevices(dv);
  });
}

async function searchPage(searchId: string) {
  app.innerHTML = `<section class="card" id="summary"></section>
<div class="charts">
<section class="card"><h2>Best so far</h2><div class="chart" id="chart-best"></div></section>
<section class="card"><div class="title-row"><h2>Accuracy and cost</h2><span id="axes" class="axes"></span></div><div class="chart" id="chart-scatter"></div></section>
</div>
<section class="card" hidden><h2>Learning curves</h2><div class="chart" id="chart-curves"></div></section>
<section class="card"><h2>Trials</h2><div id="trials"></div></section>
<div id="search-devices"></div>`;
  merge(await getJson<SearchDetail>(`/api/searches/${encodeURIComponent(searchId)}`));
  st.devices = await getJson<DevicesView>('/api/devices').catch(() => undefined);
  renderSearch();
  app.addEventListener('click', (e) => {
    const target = e.target as HTMLElement;
    const th = target.closest('th[data-sort]') as HTMLElement | null;
    if (th) {
      const key = th.dataset.sort!;
      st.sortDir = st.sortKey === key ? (-st.sortDir as 1 | -1) : 1;
      st.sortKey = key;
      renderTable();
    } else if (target.id === 'more') {
      st.rowsShown = Infinity;
      renderTable();
    } else if (target.id === 'download') {
      const svg = document.querySelector('#chart-scatter svg')?.outerHTML ?? '';
      const a = document.createElement('a');
      a.href = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
      a.download = `search-${searchId.slice(0, 8)}-scatter.svg`;
      a.click();
    }
  });
  app.addEventListener('change', (e) => {
    const target = e.target as HTMLSelectElement;
    if (target.id === 'axis-x') st.x = target.value;
    if (target.id === 'axis-y') st.y = target.value;
    renderCharts();
  });
  window.addEventListener('resize', () => renderCharts());
  const events = new EventSource(`/api/searches/${encodeURIComponent(searchId)}/events`);
  events.addEventListener('open', () => setLive(st.detail?.summary.finishedAtMs !== undefined ? 'done' : 'live'));
  events.addEventListener('error', () => setLive('retrying'));
  events.addEventListener('search', (e) => {
    const d = JSON.parse((e as MessageEvent).data) as SearchDetail;
    // A reconnected stream starts from the first trial again.
    if (d.trialsFrom === 0) st.trials = [];
    merge(d);
    setLive(d.summary.finishedAtMs !== undefined ? 'done' : 'live');
    renderSearch();
  });
}

// ---- start -------------------------------------------------------------------------------------

const started = cfg.page === 'search' && cfg.searchId ? searchPage(cfg.searchId) : listPage();
started.catch((e: unknown) => {
  app.innerHTML = `<section class="card"><h2>The dashboard could not load</h2><p>${esc(String(e instanceof Error ? e.message : e))}</p></section>`;
});
