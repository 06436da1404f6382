import { COLORS, drawFrame, drawLegend, esc, layoutFrame, legendRows, px, robustDomain } from './frame';
import type { AxisSpec, ChartSize, LegendItem } from './frame';
import { formatTick, niceStep } from './scale';

/** One evaluated architecture on the accuracy-cost scatter. */
export interface ScatterPoint {
  readonly id: number;
  readonly x: number;
  readonly y: number;
  /** Meets every constraint of the search. */
  readonly feasible: boolean;
  /** Tooltip text (architecture and metrics). */
  readonly label?: string;
}

/** An upper bound `metric <= bound` drawn as a line with the feasible side shaded. */
export interface ConstraintLine {
  readonly axis: 'x' | 'y';
  readonly bound: number;
}

/** What {@link scatterChartSvg} draws. */
export interface ScatterChart extends ChartSize {
  readonly x: AxisSpec & { readonly direction: 'min' | 'max' };
  readonly y: AxisSpec & { readonly direction: 'min' | 'max' };
  readonly points: readonly ScatterPoint[];
  readonly constraints?: readonly ConstraintLine[];
  /** The best trial (marked with a ring). */
  readonly bestId?: number;
  /**
   * Trials on the Pareto front. Default: the non-dominated feasible points in these two metrics
   * (with the axes' directions).
   */
  readonly frontIds?: readonly number[];
}

/** Ids of the non-dominated points among `points` for the two directions (ties: both kept). */
export function front2d(points: readonly ScatterPoint[], xDir: 'min' | 'max', yDir: 'min' | 'max'): number[] {
  const gx = (p: ScatterPoint) => (xDir === 'min' ? -p.x : p.x);
  const gy = (p: ScatterPoint) => (yDir === 'min' ? -p.y : p.y);
  // Best x first; a point is on the front when no point at least as good in x is strictly better in y.
  const sorted = [...points].sort((a, b) => gx(b) - gx(a) || gy(b) - gy(a));
  const ids: number[] = [];
  let bestY = -Infinity;
  let lastX = NaN;
  let lastY = NaN;
  for (const p of sorted) {
    if (gy(p) > bestY || (gx(p) === lastX && gy(p) === lastY)) {
      ids.push(p.id);
      bestY = Math.max(bestY, gy(p));
      lastX = gx(p);
      lastY = gy(p);
    }
  }
  return ids;
}

const dot = (fill: string, r = 4) => `<circle r="${r}" fill="${fill}" fill-opacity="0.8"/>`;

/**
 * The accuracy-cost scatter as SVG text: every point with its feasibility, the feasible region
 * and constraint line, the Pareto front as a staircase, a ring on the best, and points beyond the
 * robust axis range drawn as triangles on the edge (their tooltips give the real value). Each
 * evaluated point is one element of class `pt` with `data-trial`. Pure.
 */
export function scatterChartSvg(c: ScatterChart): string {
  const pts = c.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const xc = (c.constraints ?? []).filter((k) => k.axis === 'x').map((k) => k.bound);
  const yc = (c.constraints ?? []).filter((k) => k.axis === 'y').map((k) => k.bound);
  const xd = robustDomain(pts.map((p) => p.x), { include: xc });
  const yd = robustDomain(pts.map((p) => p.y), { include: yc });
  const inside = (p: ScatterPoint) => p.x >= xd.lo && p.x <= xd.hi && p.y >= yd.lo && p.y <= yd.hi;
  const clipped = pts.filter((p) => !inside(p));
  const frontIds = new Set(c.frontIds ?? front2d(pts.filter((p) => p.feasible), c.x.direction, c.y.direction));
  const front = pts.filter((p) => frontIds.has(p.id));
  const best = pts.find((p) => p.id === c.bestId);

  const legend: LegendItem[] = [
    { symbol: dot(COLORS.feasible), text: `feasible (${pts.filter((p) => p.feasible).length})` },
  ];
  const infeasible = pts.filter((p) => !p.feasible).length;
  if (infeasible) legend.push({ symbol: dot(COLORS.infeasible), text: `infeasible (${infeasible})` });
  if (front.length) legend.push({ symbol: `<line x1="-7" x2="7" stroke="${COLORS.front}" stroke-width="2"/>${dot(COLORS.front, 3.5)}`, text: `Pareto front (${front.length})` });
  if (best) legend.push({ symbol: `<circle r="6" fill="none" stroke="${COLORS.text}" stroke-width="2"/><circle r="3" fill="${COLORS.best}"/>`, text: 'best' });
  for (const k of c.constraints ?? []) {
    const ax = k.axis === 'x' ? c.x : c.y;
    const d = k.axis === 'x' ? xd : yd;
    const where = k.bound < d.lo ? (k.axis === 'x' ? ', left of the chart' : ', below the chart') : k.bound > d.hi ? (k.axis === 'x' ? ', right of the chart' : ', above the chart') : '';
    legend.push({
      symbol: `<rect x="-7" y="-6" width="14" height="12" fill="${COLORS.region}"/><line x1="0" x2="0" y1="-7" y2="7" stroke="${COLORS.constraint}" stroke-width="2" stroke-dasharray="3 2"/>`,
      text: `${ax.label} \u2264 ${k.bound}${ax.unit ? ` ${ax.unit}` : ''}${where}`,
    });
  }
  if (clipped.length) legend.push({ symbol: `<path d="M0,-5L5,4H-5Z" fill="${COLORS.feasible}"/>`, text: `outside the axes (${clipped.length})` });
  const width = c.width ?? 720;
  const rows = legendRows(legend, width - 100);
  const f = layoutFrame(c, xd, yd, c.x, c.y, rows.length);
  const out = drawFrame(f, c, c.x, c.y);

  // Feasible region first, under everything else.
  for (const k of c.constraints ?? []) {
    if (k.axis === 'x') {
      const b = Math.min(f.right, Math.max(f.left, f.sx(k.bound)));
      if (b > f.left) out.push(`<rect class="feasible-region" x="${px(f.left + 0.5)}" y="${px(f.top + 0.5)}" width="${px(b - f.left - 1)}" height="${px(f.bottom - f.top - 1)}" fill="${COLORS.region}" fill-opacity="0.8"/>`);
      if (k.bound >= xd.lo && k.bound <= xd.hi) out.push(`<line class="constraint" x1="${px(b)}" y1="${f.top}" x2="${px(b)}" y2="${f.bottom}" stroke="${COLORS.constraint}" stroke-width="2" stroke-dasharray="6 4"/>`);
    } else {
      const b = Math.min(f.bottom, Math.max(f.top, f.sy(k.bound)));
      if (b < f.bottom) out.push(`<rect class="feasible-region" x="${px(f.left + 0.5)}" y="${px(b)}" width="${px(f.right - f.left - 1)}" height="${px(f.bottom - b - 0.5)}" fill="${COLORS.region}" fill-opacity="0.8"/>`);
      if (k.bound >= yd.lo && k.bound <= yd.hi) out.push(`<line class="constraint" x1="${f.left}" y1="${px(b)}" x2="${f.right}" y2="${px(b)}" stroke="${COLORS.constraint}" stroke-width="2" stroke-dasharray="6 4"/>`);
    }
  }

  const cx = (p: ScatterPoint) => Math.min(f.right, Math.max(f.left, f.sx(p.x)));
  const cy = (p: ScatterPoint) => Math.min(f.bottom, Math.max(f.top, f.sy(p.y)));
  const tip = (p: ScatterPoint) => {
    const sx = niceStep(xd.hi - xd.lo, 50);
    const sy = niceStep(yd.hi - yd.lo, 50);
    return `<title>trial ${p.id}: ${esc(c.y.label)} ${formatTick(p.y, sy / 10)}${c.y.unit ? ' ' + esc(c.y.unit) : ''}, ${esc(c.x.label)} ${formatTick(p.x, sx / 10)}${c.x.unit ? ' ' + esc(c.x.unit) : ''}${p.feasible ? '' : ' (infeasible)'}${p.label ? '\n' + esc(p.label) : ''}</title>`;
  };
  // Infeasible under feasible, the front on top.
  const order = [...pts].sort((a, b) => Number(a.feasible) - Number(b.feasible) || Number(frontIds.has(a.id)) - Number(frontIds.has(b.id)));
  if (front.length > 1) {
    const s = [...front].sort((a, b) => a.x - b.x);
    const path: string[] = [];
    s.forEach((p, i) => {
      if (i === 0) path.push(`M${px(cx(p))},${px(cy(p))}`);
      // A staircase: what a budget on x attains holds its level until the next point improves it.
      else path.push(c.x.direction === 'min' ? `H${px(cx(p))}V${px(cy(p))}` : `V${px(cy(p))}H${px(cx(p))}`);
    });
    out.push(`<path class="front" d="${path.join('')}" fill="none" stroke="${COLORS.front}" stroke-width="1.8" stroke-opacity="0.85"/>`);
  }
  for (const p of order) {
    const fill = frontIds.has(p.id) ? COLORS.front : p.feasible ? COLORS.feasible : COLORS.infeasible;
    const attrs = `class="pt${frontIds.has(p.id) ? ' on-front' : ''}${p.feasible ? '' : ' infeasible'}${inside(p) ? '' : ' clipped'}" data-trial="${p.id}"`;
    if (inside(p)) {
      out.push(`<circle ${attrs} cx="${px(cx(p))}" cy="${px(cy(p))}" r="${frontIds.has(p.id) ? 4.5 : 3.5}" fill="${fill}" fill-opacity="${p.feasible ? 0.8 : 0.6}">${tip(p)}</circle>`);
    } else {
      // A triangle on the edge, pointing the way the real value lies.
      const x = cx(p);
      const y = cy(p);
      const d = p.y < yd.lo ? `M${px(x)},${px(y)}l-5,-8h10Z` : p.y > yd.hi ? `M${px(x)},${px(y)}l-5,8h10Z` : p.x < xd.lo ? `M${px(x)},${px(y)}l8,-5v10Z` : `M${px(x)},${px(y)}l-8,-5v10Z`;
      out.push(`<path ${attrs} d="${d}" fill="${fill}" fill-opacity="0.85">${tip(p)}</path>`);
    }
  }
  if (best) out.push(`<circle class="best-marker" cx="${px(cx(best))}" cy="${px(cy(best))}" r="8" fill="none" stroke="${COLORS.text}" stroke-width="2"/><circle cx="${px(cx(best))}" cy="${px(cy(best))}" r="3.5" fill="${COLORS.best}" pointer-events="none"/>`);
  if (pts.length === 0) out.push(`<text x="${px((f.left + f.right) / 2)}" y="${px((f.top + f.bottom) / 2)}" text-anchor="middle" fill="${COLORS.axis}">no evaluations yet</text>`);
  out.push(...drawLegend(rows, f, Boolean(c.title)));
  out.push('</svg>');
  return out.join('\n');
}
