import { archKey, getSpace, InvalidArgumentError } from '@hwnas/bench-core';
import type { Arch, SearchSpace } from '@hwnas/bench-core';
import { hasReferencesForAnyArch, knownDeviceReferences, referenceValuesOf } from './harness';
import type { EvalSpaceData } from './harness';
import type { ReferenceCosts } from './references';

/** Row of each table architecture by canonical key, per loaded space (the data is immutable). */
const TABLE_ROWS = new WeakMap<EvalSpaceData, Map<string, number>>();

/** The row of each architecture of `data`'s table by canonical key (built once per loaded space). */
export function tableRows(data: EvalSpaceData, space: SearchSpace = getSpace(data.space)): Map<string, number> {
  let rows = TABLE_ROWS.get(data);
  if (!rows) TABLE_ROWS.set(data, (rows = new Map(data.archs.map((a, i) => [archKey(space, a), i]))));
  return rows;
}

/**
 * The references named `names` for every architecture a screen meets: the rows of the space's
 * device table first, then, where the space has references for any architecture (FBNet: the known
 * devices' per-layer tables and the computed costs), each other architecture appended as a row when
 * first asked for. A model's column means stay those of the table's rows (`statRows`), so a refit
 * does not depend on which architectures a search has met. NB201's table holds every cell.
 */
export class SpaceReferences implements ReferenceCosts {
  readonly names: readonly string[];
  readonly statRows: number;
  private cols: Float64Array[];
  private rows: number;
  private readonly space: SearchSpace;
  private readonly appended: Arch[] = [];
  private readonly appendedRows = new Map<string, number>();

  /** `all`: {@link knownDeviceReferences} over every known device of `data`, when the caller has it already. */
  constructor(
    private readonly data: EvalSpaceData,
    names: readonly string[],
    all: ReferenceCosts = knownDeviceReferences(data, data.table.devices),
  ) {
    const missing = names.filter((n) => !all.names.includes(n));
    if (missing.length) throw new InvalidArgumentError(`references: ${missing.join(', ')} not among the ${data.space} references (${all.names.join(', ')})`);
    // The order of `all`, as a model fitted on a subset of it expects.
    this.names = all.names.filter((n) => names.includes(n));
    this.cols = this.names.map((n) => all.columns[all.names.indexOf(n)]);
    this.rows = all.size;
    this.statRows = all.size;
    this.space = getSpace(data.space);
  }

  get columns(): readonly Float64Array[] {
    return this.cols;
  }

  get size(): number {
    return this.rows;
  }

  /** The architecture of `row`. */
  archAt(row: number): Arch {
    if (!Number.isInteger(row) || row < 0 || row >= this.rows) throw new InvalidArgumentError(`references: row ${row} is outside 0..${this.rows - 1}`);
    return row < this.statRows ? this.data.archs[row] : this.appended[row - this.statRows];
  }

  /**
   * The row of `arch`: its table row, or (where the space has references for any architecture) a
   * row appended with its references; throws InvalidArgumentError where neither applies.
   */
  rowOf(arch: Arch): number {
    const key = archKey(this.space, arch);
    const row = tableRows(this.data, this.space).get(key) ?? this.appendedRows.get(key);
    if (row !== undefined) return row;
    if (!hasReferencesForAnyArch(this.data)) throw new InvalidArgumentError(`references: "${key}" is not an architecture of the ${this.data.space} table`);
    const values = referenceValuesOf(this.data, this.names, arch);
    if (this.rows === this.cols[0].length) this.cols = this.cols.map((c) => grow(c, Math.max(64, c.length >> 2)));
    values.forEach((v, k) => (this.cols[k][this.rows] = v));
    this.appended.push(arch.slice());
    this.appendedRows.set(key, this.rows);
    return this.rows++;
  }
}

/** A copy of `column` with room for `extra` more rows. */
function grow(column: Float64Array, extra: number): Float64Array {
  const out = new Float64Array(column.length + extra);
  out.set(column);
  return out;
}
