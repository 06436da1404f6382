/** Renders rows as an aligned plain-text table (first row = header). */
export function renderTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: readonly string[]) => r.map((cell, c) => (cell ?? '').padEnd(widths[c])).join('  ').trimEnd();
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** A number printed with up to `digits` significant decimals, without trailing noise. */
export function fmt(v: number | undefined, digits = 4): string {
  if (v === undefined || Number.isNaN(v)) return '-';
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(Math.max(digits, 1) + Math.max(0, Math.floor(Math.log10(Math.abs(v))) + 1))));
}

/**
 * A number for machine-readable output (CSV): every digit a double holds (15 significant), none
 * of the binary noise past them (0.1 + 0.2 prints 0.3, not 0.30000000000000004).
 */
export function plainNumber(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(15))) : String(v);
}
