/**
 * Axis arithmetic of the charts: nice tick steps, tick labels, and axis ranges that outliers do
 * not squash. Pure and DOM-free: the same code runs in the browser bundle and in the CLI.
 */

/** A closed numeric interval, `lo <= hi`. */
export interface Domain {
  readonly lo: number;
  readonly hi: number;
}

/** The ticks of an axis: values, the step between them and the labels to print. */
export interface Ticks {
  readonly values: readonly number[];
  readonly step: number;
  readonly labels: readonly string[];
}

/** The 1-2-5 step (times a power of ten) that divides `span` into at most `maxTicks` intervals. */
export function niceStep(span: number, maxTicks: number): number {
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / Math.max(1, maxTicks);
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

/** Decimals that print every multiple of `step` exactly (2.5 -> 1, 0.02 -> 2, 50 -> 0). */
export function stepDecimals(step: number): number {
  for (let d = 0; d < 12; d++) {
    const scaled = step * 10 ** d;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-9 * Math.max(1, scaled)) return d;
  }
  return 12;
}

/** A value as printed on an axis whose ticks are `step` apart (thousands grouped by a thin space). */
export function formatTick(v: number, step: number): string {
  const d = stepDecimals(step);
  const text = (Math.abs(v) < step / 1e6 ? 0 : v).toFixed(d);
  const [int, frac] = text.split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, '\u2009');
  return frac === undefined ? grouped : `${grouped}.${frac}`;
}

/**
 * Ticks on `domain` at a nice step, at most `maxTicks` intervals, every tick inside the domain.
 * `integer` keeps the step at 1 or more (counts such as evaluations).
 */
export function niceTicks(domain: Domain, maxTicks: number, integer = false): Ticks {
  let step = niceStep(domain.hi - domain.lo, maxTicks);
  if (integer) step = Math.max(1, Math.round(step));
  const first = Math.ceil(domain.lo / step - 1e-9) * step;
  const values: number[] = [];
  for (let v = first; v <= domain.hi + step * 1e-9; v += step) values.push(Number(v.toFixed(12)));
  return { values, step, labels: values.map((v) => formatTick(v, step)) };
}

/** The `q`-quantile (0..1) of ascending `sorted` values, linearly interpolated. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const i = Math.floor(pos);
  const frac = pos - i;
  return i + 1 < sorted.length ? sorted[i] + frac * (sorted[i + 1] - sorted[i]) : sorted[i];
}

/** Options of {@link robustDomain}. */
export interface RobustDomainOptions {
  /** Values to keep inside the range when they are near the data (a constraint bound). */
  readonly include?: readonly number[];
  /** Fewest values before outliers are clipped at all (default 10). */
  readonly minForClipping?: number;
}

/**
 * An axis range for `values` that outliers do not squash: the 5th to 95th percentile widened by
 * half its width on each side, but never beyond the data; values outside are clipped (drawn at the
 * edge by the chart). `include` values (a constraint bound) are added when they lie within one
 * width of that range, so that a far-away bound does not squash the axis either. A 4% margin is
 * added on each side; an empty or constant series gets a unit-wide range around its value.
 */
export function robustDomain(values: readonly number[], opts: RobustDomainOptions = {}): Domain {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length === 0) {
    const inc = (opts.include ?? []).filter(Number.isFinite);
    return inc.length ? pad({ lo: Math.min(...inc), hi: Math.max(...inc) }) : { lo: 0, hi: 1 };
  }
  const min = finite[0];
  const max = finite[finite.length - 1];
  let lo = min;
  let hi = max;
  if (finite.length >= (opts.minForClipping ?? 10)) {
    const q05 = quantile(finite, 0.05);
    const q95 = quantile(finite, 0.95);
    const width = q95 - q05;
    if (width > 0) {
      lo = Math.max(min, q05 - width / 2);
      hi = Math.min(max, q95 + width / 2);
    }
  }
  const width = hi - lo || Math.abs(hi) || 1;
  for (const v of opts.include ?? []) {
    if (!Number.isFinite(v) || v < lo - width || v > hi + width) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return pad({ lo, hi });
}

function pad(d: Domain): Domain {
  if (d.hi === d.lo) {
    const half = Math.abs(d.lo) > 0 ? Math.abs(d.lo) * 0.05 : 0.5;
    return { lo: d.lo - half, hi: d.hi + half };
  }
  const m = (d.hi - d.lo) * 0.04;
  return { lo: d.lo - m, hi: d.hi + m };
}
