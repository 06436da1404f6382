import { bestSoFarChartSvg, learningCurvesChartSvg } from './curves';
import { textWidth } from './frame';
import { front2d, scatterChartSvg } from './scatter';
import type { ScatterPoint } from './scatter';

const count = (svg: string, re: RegExp) => (svg.match(re) ?? []).length;

/** Tick labels of one axis with their x or y positions. */
function ticks(svg: string, axis: 'x' | 'y'): { pos: number; text: string }[] {
  const re = new RegExp(`<text class="tick-${axis}" x="([\\d.]+)" y="([\\d.]+)"[^>]*>([^<]*)</text>`, 'g');
  return [...svg.matchAll(re)].map((m) => ({ pos: Number(axis === 'x' ? m[1] : m[2]), text: m[3] }));
}

const points: ScatterPoint[] = [
  ...Array.from({ length: 60 }, (_, i) => ({ id: i, x: 2 + (i % 20), y: 80 + (i % 13), feasible: 2 + (i % 20) <= 15 })),
  { id: 100, x: 400, y: 91, feasible: false },
  { id: 101, x: 1, y: 10, feasible: true },
];

describe('charts', () => {
  test('scatterChartSvg - one element per evaluation, outliers clipped to the edge and marked', () => {
    const svg = scatterChartSvg({ x: { label: 'raspi4_latency', unit: 'ms', direction: 'min' }, y: { label: 'accuracy', unit: '%', direction: 'max' }, points, constraints: [{ axis: 'x', bound: 15 }], bestId: 5 });
    expect(count(svg, /class="pt[ "]/g)).toBe(points.length);
    expect(count(svg, /class="pt[^"]*clipped/g)).toBe(2);
    expect(svg).toContain('outside the axes (2)');
    expect(svg).toContain('raspi4_latency (ms)');
    expect(svg).toContain('accuracy (%)');
    expect(svg).toContain('class="constraint"');
    expect(svg).toContain('class="feasible-region"');
    expect(svg).toContain('class="best-marker"');
    expect(svg).toContain('class="front"');
    // The x axis is not squashed by the 400 ms outlier.
    expect(Math.max(...ticks(svg, 'x').map((t) => Number(t.text)))).toBeLessThan(40);
  });

  test('scatterChartSvg - tick labels do not overlap', () => {
    for (const width of [360, 560, 900]) {
      const svg = scatterChartSvg({ width, x: { label: 'flops', unit: 'M', direction: 'min' }, y: { label: 'accuracy', unit: '%', direction: 'max' }, points: points.map((p) => ({ ...p, x: p.x * 1234.5 })) });
      const xs = ticks(svg, 'x');
      for (let i = 1; i < xs.length; i++) expect(xs[i].pos - xs[i - 1].pos).toBeGreaterThan((textWidth(xs[i].text) + textWidth(xs[i - 1].text)) / 2);
      const ys = ticks(svg, 'y');
      for (let i = 1; i < ys.length; i++) expect(Math.abs(ys[i].pos - ys[i - 1].pos)).toBeGreaterThan(12);
    }
  });

  test('scatterChartSvg - a constraint bound far off the data is named, not drawn', () => {
    const svg = scatterChartSvg({ x: { label: 'lat', unit: 'ms', direction: 'min' }, y: { label: 'acc', unit: '%', direction: 'max' }, points, constraints: [{ axis: 'x', bound: 5000 }] });
    expect(svg).toContain('right of the chart');
    expect(svg).not.toContain('class="constraint"');
  });

  test('scatterChartSvg - escapes labels', () => {
    const svg = scatterChartSvg({ x: { label: 'a<b', direction: 'min' }, y: { label: 'c&d', direction: 'max' }, points: [{ id: 1, x: 1, y: 1, feasible: true, label: '"x"' }] });
    expect(svg).toContain('a&lt;b');
    expect(svg).toContain('c&amp;d');
    expect(svg).not.toContain('"x"');
  });

  test('front2d - keeps the non-dominated points for each pair of directions', () => {
    const p = (id: number, x: number, y: number) => ({ id, x, y, feasible: true });
    const pts = [p(1, 1, 1), p(2, 2, 3), p(3, 3, 2), p(4, 4, 4), p(5, 2, 3)];
    expect(front2d(pts, 'min', 'max').sort()).toEqual([1, 2, 4, 5]);
    expect(front2d(pts, 'max', 'max')).toEqual([4]);
    expect(front2d(pts, 'min', 'min')).toEqual([1]);
  });

  test('bestSoFarChartSvg - draws every evaluation and a best-so-far line that only improves', () => {
    const evaluations = [70, 75, 72, 80, 10, 79, 85].map((value, id) => ({ id, value, feasible: id !== 6 }));
    const svg = bestSoFarChartSvg({ metric: { label: 'accuracy', unit: '%', direction: 'max' }, evaluations, budget: 20 });
    expect(count(svg, /class="pt[ "]/g)).toBe(7);
    // The infeasible 85 does not count; the best feasible is 80.
    expect(svg).toContain('best feasible so far: 80');
    expect(svg).toContain('class="best-line"');
    expect(svg).toContain('>evaluations</text>');
    expect(ticks(svg, 'x').map((t) => t.text)).toContain('20');
  });

  test('learningCurvesChartSvg - one line per trial', () => {
    const svg = learningCurvesChartSvg({ metric: { label: 'valid_accuracy', unit: '%' }, series: [{ label: 'trial 1', points: [[1, 40], [2, 60], [3, 70]] }, { label: 'trial 2', points: [[1, 35], [2, 50]] }] });
    expect(count(svg, /class="curve"/g)).toBe(2);
    expect(svg).toContain('>epoch</text>');
  });
});
