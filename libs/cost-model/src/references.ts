import { InvalidArgumentError } from '@hwnas/bench-core';

/**
 * Costs hwnas already knows for a fixed list of architectures (rows): the latency of known
 * devices, MACs, the simulators' latency. A new device is described as a combination of these.
 * Every column has one positive value per row.
 */
export interface ReferenceCosts {
  readonly names: readonly string[];
  readonly columns: readonly Float64Array[];
  /** Number of rows (architectures). */
  readonly size: number;
  /**
   * The rows each column's mean (a model's scale for that reference) is taken over: the first
   * `statRows` (default all). References that grow as a search meets new architectures keep it at
   * the table's rows, so that a refit does not depend on which architectures were met.
   */
  readonly statRows?: number;
}

/** Builds a {@link ReferenceCosts} from named columns, checking lengths, names and values. */
export function referenceCosts(columns: readonly { readonly name: string; readonly values: ArrayLike<number> }[]): ReferenceCosts {
  if (columns.length === 0) throw new InvalidArgumentError('reference costs: at least one reference column is needed');
  const size = columns[0].values.length;
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c.name)) throw new InvalidArgumentError(`reference costs: column "${c.name}" appears twice`);
    seen.add(c.name);
    if (c.values.length !== size) throw new InvalidArgumentError(`reference costs: column "${c.name}" has ${c.values.length} rows, the first has ${size}`);
    for (let i = 0; i < size; i++) {
      const v = c.values[i];
      if (!(Number.isFinite(v) && v > 0)) throw new InvalidArgumentError(`reference costs: column "${c.name}" row ${i} must be a positive number, got ${v}`);
    }
  }
  return { names: columns.map((c) => c.name), columns: columns.map((c) => Float64Array.from(c.values)), size };
}

/** The same references without the columns named in `drop`. */
export function withoutReferences(refs: ReferenceCosts, drop: readonly string[]): ReferenceCosts {
  const keep = refs.names.map((n, i) => [n, i] as const).filter(([n]) => !drop.includes(n));
  return { names: keep.map(([n]) => n), columns: keep.map(([, i]) => refs.columns[i]), size: refs.size, ...(refs.statRows !== undefined ? { statRows: refs.statRows } : {}) };
}
