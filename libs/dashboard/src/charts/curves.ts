import { COLORS, drawFrame, drawLegend, esc, layoutFrame, legendRows, px, robustDomain } from './frame';
import type { AxisSpec, ChartSize, LegendItem } from './frame';
import { formatTick, niceStep } from './scale';

/** What {@link bestSoFarChartSvg} draws. */
export interface BestSoFarChart extends ChartSize {
  /** The objective (y axis). */
  readonly metric: AxisSpec & { readonly direction: 'min' | 'max' };
  /** Full evaluations in the order they were told: value of the objective and feasibility. */
  readonly evaluations: readonly { readonly id: number; readonly value: number; readonly feasible: boolean }[];
  /** Evaluations the search will make (the x axis reaches it); default the evaluations so far. */
  readonly budget?: number;
}

/**
 * The best-so-far curve as SVG text: every evaluation as a dot (x: its position in tell order),
 * and the best feasible value so far as a step line. Outliers beyond the robust range sit on the
 * edge as triangles. Each evaluation is one element of class `pt`. Pure.
 */
export function bestSoFarChartSvg(c: BestSoFarChart): string {
  const evs = c.evaluations.filter((e) => Number.isFinite(e.value));
  const better = (a: number, b: number) => (c.metric.direction === 'max' ? a > b : a < b);
  const steps: { n: number; value: number }[] = [];
  let best: number | undefined;
  c.evaluations.forEach((e, i) => {
    if (!e.feasible || !Number.isFinite(e.value)) return;
    if (best === undefined || better(e.value, best)) {
      best = e.value;
      steps.push({ n: i + 1, value: e.value });
    }
  });
  const n = Math.max(c.budget ?? 0, c.evaluations.length, 1);
  const xd = { lo: 0, hi: n };
  // The axis follows the best-so-far line and the bulk of the evaluations, not their outliers.
  const yd = robustDomain([...evs.map((e) => e.value), ...steps.map((s) => s.value)]);
  const legend: LegendItem[] = [
    { symbol: `<circle r="3" fill="${COLORS.feasible}" fill-opacity="0.55"/>`, text: 'evaluation' },
    { symbol: `<line x1="-8" x2="8" stroke="${COLORS.front}" stroke-width="2.5"/>`, text: `best feasible so far${best !== undefined ? `: ${formatTick(best, niceStep(yd.hi - yd.lo, 50) / 10)}${c.metric.unit ? ' ' + c.metric.unit : ''}` : ''}` },
  ];
  const rows = legendRows(legend, (c.width ?? 720) - 100);
  const xAxis: AxisSpec = { label: 'evaluations', integer: true };
  const f = layoutFrame(c, xd, yd, xAxis, c.metric, rows.length);
  const out = drawFrame(f, c, xAxis, c.metric);
  const clampY = (v: number) => Math.min(f.bottom, Math.max(f.top, f.sy(v)));
  c.evaluations.forEach((e, i) => {
    if (!Number.isFinite(e.value)) return;
    const x = f.sx(i + 1);
    const fill = e.feasible ? COLORS.feasible : COLORS.infeasible;
    const tip = `<title>evaluation ${i + 1} (trial ${e.id}): ${esc(c.metric.label)} ${e.value}${e.feasible ? '' : ' (infeasible)'}</title>`;
    if (e.value >= yd.lo && e.value <= yd.hi) out.push(`<circle class="pt" data-trial="${e.id}" cx="${px(x)}" cy="${px(f.sy(e.value))}" r="2.6" fill="${fill}" fill-opacity="0.55">${tip}</circle>`);
    else {
      const y = clampY(e.value);
      out.push(`<path class="pt clipped" data-trial="${e.id}" d="M${px(x)},${px(y)}${e.value < yd.lo ? 'l-4,-7h8Z' : 'l-4,7h8Z'}" fill="${fill}" fill-opacity="0.7">${tip}</path>`);
    }
  });
  if (steps.length) {
    const d: string[] = [`M${px(f.sx(steps[0].n))},${px(clampY(steps[0].value))}`];
    for (const s of steps.slice(1)) d.push(`H${px(f.sx(s.n))}V${px(clampY(s.value))}`);
    d.push(`H${px(f.sx(c.evaluations.length))}`);
    out.push(`<path class="best-line" d="${d.join('')}" fill="none" stroke="${COLORS.front}" stroke-width="2.5"/>`);
  }
  if (c.evaluations.length === 0) out.push(`<text x="${px((f.left + f.right) / 2)}" y="${px((f.top + f.bottom) / 2)}" text-anchor="middle" fill="${COLORS.axis}">no evaluations yet</text>`);
  out.push(...drawLegend(rows, f, Boolean(c.title)));
  out.push('</svg>');
  return out.join('\n');
}

/** One learning curve: a metric per epoch of one trial. */
export interface CurveSeries {
  readonly label: string;
  /** `[epoch, value]` pairs, epochs ascending. */
  readonly points: readonly (readonly [number, number])[];
}

/** What {@link learningCurvesChartSvg} draws. */
export interface LearningCurvesChart extends ChartSize {
  readonly metric: AxisSpec;
  readonly series: readonly CurveSeries[];
}

/** Learning curves (value per epoch, one line per trial) as SVG text; at most 10 in the legend. Pure. */
export function learningCurvesChartSvg(c: LearningCurvesChart): string {
  const all = c.series.flatMap((s) => s.points);
  const xd = { lo: Math.min(0, ...all.map((p) => p[0])), hi: Math.max(1, ...all.map((p) => p[0])) };
  const yd = robustDomain(all.map((p) => p[1]));
  const legend: LegendItem[] = c.series.slice(0, 10).map((s, i) => ({ symbol: `<line x1="-8" x2="8" stroke="${COLORS.series[i % COLORS.series.length]}" stroke-width="2"/>`, text: s.label }));
  if (c.series.length > 10) legend.push({ symbol: '', text: `and ${c.series.length - 10} more` });
  const rows = legendRows(legend, (c.width ?? 720) - 100);
  const xAxis: AxisSpec = { label: 'epoch', integer: true };
  const f = layoutFrame(c, xd, yd, xAxis, c.metric, rows.length);
  const out = drawFrame(f, c, xAxis, c.metric);
  const clampY = (v: number) => Math.min(f.bottom, Math.max(f.top, f.sy(v)));
  c.series.forEach((s, i) => {
    if (!s.points.length) return;
    const d = s.points.map((p, k) => `${k ? 'L' : 'M'}${px(f.sx(p[0]))},${px(clampY(p[1]))}`).join('');
    out.push(`<path class="curve" d="${d}" fill="none" stroke="${COLORS.series[i % COLORS.series.length]}" stroke-width="1.8"><title>${esc(s.label)}</title></path>`);
  });
  out.push(...drawLegend(rows, f, Boolean(c.title)));
  out.push('</svg>');
  return out.join('\n');
}
