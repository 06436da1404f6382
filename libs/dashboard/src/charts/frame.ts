import { niceTicks, robustDomain } from './scale';
import type { Domain, Ticks } from './scale';

/** An axis of a chart: what it shows and in which unit. */
export interface AxisSpec {
  /** Metric name, e.g. `raspi4_latency`. */
  readonly label: string;
  /** Unit printed after the label (`ms`, `%`, ``: none). */
  readonly unit?: string;
  /** Integer ticks only (counts). */
  readonly integer?: boolean;
}

/** Size and title of a chart (pixels). */
export interface ChartSize {
  /** Default 720. */
  readonly width?: number;
  /** Default 440. */
  readonly height?: number;
  /** Printed above the plot; none by default. */
  readonly title?: string;
}

/** Colours of the charts (one palette for the dashboard and the CLI's SVG files). */
export const COLORS = {
  feasible: '#4c78a8',
  infeasible: '#a8a8a8',
  front: '#d9480f',
  best: '#f2a900',
  region: '#e7f5ec',
  constraint: '#2f9e44',
  grid: '#e9ecef',
  axis: '#495057',
  text: '#212529',
  series: ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac', '#eeca3b'],
} as const;

/** Escapes text for SVG/HTML content and attribute values. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A coordinate with one decimal (SVG text stays small). */
export const px = (v: number): string => (Math.round(v * 10) / 10).toString();

/** Approximate width of `text` at `fontPx` in a sans-serif font (for layout without a DOM). */
export function textWidth(text: string, fontPx = 12): number {
  let w = 0;
  for (const ch of text) w += /[il.,:;|'!\u2009 ]/.test(ch) ? 0.3 : /[mwMW%]/.test(ch) ? 0.85 : /[A-Z0-9]/.test(ch) ? 0.62 : 0.55;
  return w * fontPx;
}

/** `label (unit)`, or the label alone without a unit. */
export const axisTitle = (a: AxisSpec): string => (a.unit ? `${a.label} (${a.unit})` : a.label);

/** A plot area with its scales, as laid out by {@link layoutFrame}. */
export interface Frame {
  readonly width: number;
  readonly height: number;
  /** Plot area, pixels. */
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
  readonly x: Domain;
  readonly y: Domain;
  readonly xTicks: Ticks;
  readonly yTicks: Ticks;
  sx(v: number): number;
  sy(v: number): number;
}

const FONT_PX = 12;
const TITLE_PX = 15;

/** Picks the most ticks (at most `cap`) whose labels fit `room` pixels without touching. */
function fittingTicks(domain: Domain, room: number, cap: number, labelRoom: (labels: readonly string[]) => number, integer?: boolean): Ticks {
  for (let n = cap; n >= 1; n--) {
    const t = niceTicks(domain, n, integer);
    if (t.values.length <= 1 || labelRoom(t.labels) * t.values.length <= room) return t;
  }
  return niceTicks(domain, 1, integer);
}

/**
 * Lays out a plot: margins sized to the tick labels, ticks that do not overlap (x labels need
 * their width plus a gap, y labels a line height plus a gap), `legendRows` lines of legend
 * between the title and the plot.
 */
export function layoutFrame(size: ChartSize, x: Domain, y: Domain, xAxis: AxisSpec, yAxis: AxisSpec, legendRows: number): Frame {
  const width = size.width ?? 720;
  const height = size.height ?? 440;
  const top = (size.title ? TITLE_PX + 16 : 8) + legendRows * 18 + 8;
  const bottom = height - 46;
  const yTicks = fittingTicks(y, bottom - top, 10, () => FONT_PX + 14, yAxis.integer);
  const left = 28 + Math.max(...yTicks.labels.map((l) => textWidth(l, FONT_PX)), 10) + 8;
  const right = width - 18;
  const xTicks = fittingTicks(x, right - left, 12, (labels) => Math.max(...labels.map((l) => textWidth(l, FONT_PX))) + 18, xAxis.integer);
  const sx = (v: number) => left + ((v - x.lo) / (x.hi - x.lo || 1)) * (right - left);
  const sy = (v: number) => bottom - ((v - y.lo) / (y.hi - y.lo || 1)) * (bottom - top);
  return { width, height, left, right, top, bottom, x, y, xTicks, yTicks, sx, sy };
}

/** The SVG opening, background, title, grid, axes, tick labels and axis titles of a frame. */
export function drawFrame(f: Frame, size: ChartSize, xAxis: AxisSpec, yAxis: AxisSpec): string[] {
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" font-family="Helvetica, Arial, sans-serif" font-size="${FONT_PX}" fill="${COLORS.text}">`,
  );
  out.push(`<rect width="${f.width}" height="${f.height}" fill="white"/>`);
  if (size.title) out.push(`<text x="${px(f.width / 2)}" y="${TITLE_PX + 4}" text-anchor="middle" font-size="${TITLE_PX}" font-weight="600">${esc(size.title)}</text>`);
  for (const v of f.xTicks.values) out.push(`<line x1="${px(f.sx(v))}" y1="${f.top}" x2="${px(f.sx(v))}" y2="${f.bottom}" stroke="${COLORS.grid}"/>`);
  for (const v of f.yTicks.values) out.push(`<line x1="${f.left}" y1="${px(f.sy(v))}" x2="${f.right}" y2="${px(f.sy(v))}" stroke="${COLORS.grid}"/>`);
  out.push(`<rect x="${f.left}" y="${f.top}" width="${px(f.right - f.left)}" height="${px(f.bottom - f.top)}" fill="none" stroke="${COLORS.axis}"/>`);
  f.xTicks.values.forEach((v, i) => {
    out.push(`<line x1="${px(f.sx(v))}" y1="${f.bottom}" x2="${px(f.sx(v))}" y2="${f.bottom + 4}" stroke="${COLORS.axis}"/>`);
    out.push(`<text class="tick-x" x="${px(f.sx(v))}" y="${f.bottom + 17}" text-anchor="middle">${esc(f.xTicks.labels[i])}</text>`);
  });
  f.yTicks.values.forEach((v, i) => {
    out.push(`<line x1="${f.left - 4}" y1="${px(f.sy(v))}" x2="${f.left}" y2="${px(f.sy(v))}" stroke="${COLORS.axis}"/>`);
    out.push(`<text class="tick-y" x="${f.left - 7}" y="${px(f.sy(v) + 4)}" text-anchor="end">${esc(f.yTicks.labels[i])}</text>`);
  });
  out.push(`<text x="${px((f.left + f.right) / 2)}" y="${f.height - 10}" text-anchor="middle" font-weight="600">${esc(axisTitle(xAxis))}</text>`);
  out.push(`<text transform="translate(15 ${px((f.top + f.bottom) / 2)}) rotate(-90)" text-anchor="middle" font-weight="600">${esc(axisTitle(yAxis))}</text>`);
  return out;
}

/** One legend entry: a small SVG symbol drawn at (0,0) and its text. */
export interface LegendItem {
  readonly symbol: string;
  readonly text: string;
}

/** Packs legend items into rows that fit `width` (left to right), returning the rows. */
export function legendRows(items: readonly LegendItem[], width: number): LegendItem[][] {
  const rows: LegendItem[][] = [[]];
  let used = 0;
  for (const item of items) {
    const w = 22 + textWidth(item.text) + 18;
    if (used + w > width && rows[rows.length - 1].length) {
      rows.push([]);
      used = 0;
    }
    rows[rows.length - 1].push(item);
    used += w;
  }
  return rows.filter((r) => r.length);
}

/** Draws legend rows right-aligned above the plot area of `f`. */
export function drawLegend(rows: readonly (readonly LegendItem[])[], f: Frame, title: boolean): string[] {
  const out: string[] = [];
  const y0 = (title ? TITLE_PX + 16 : 8) + 10;
  rows.forEach((row, r) => {
    const total = row.reduce((s, it) => s + 22 + textWidth(it.text) + 18, 0) - 18;
    let x = Math.max(f.left, f.right - total);
    for (const it of row) {
      out.push(`<g class="legend" transform="translate(${px(x + 7)} ${px(y0 + r * 18)})">${it.symbol}<text x="13" y="4">${esc(it.text)}</text></g>`);
      x += 22 + textWidth(it.text) + 18;
    }
  });
  return out;
}

/** A robust domain over values (see {@link robustDomain}), re-exported for the charts. */
export { robustDomain };
