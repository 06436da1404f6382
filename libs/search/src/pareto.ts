/**
 * Multi-objective helpers on plain numeric vectors, all in MINIMISATION form (negate a maximised
 * objective before calling). Pure functions; inputs are not modified.
 */

/** True when `a` is no worse than `b` in every coordinate and strictly better in one. */
export function dominates(a: readonly number[], b: readonly number[]): boolean {
  let strictly = false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] > b[i]) return false;
    if (a[i] < b[i]) strictly = true;
  }
  return strictly;
}

/**
 * Fast non-dominated sort (Deb et al. 2002): fronts of indices into `points`, the first front
 * non-dominated. `dominatesFn` defaults to {@link dominates}; pass a constrained-domination
 * relation to rank infeasible points behind feasible ones. O(M N^2).
 */
export function nonDominatedSort<T>(points: readonly T[], dominatesFn: (a: T, b: T) => boolean): number[][];
export function nonDominatedSort(points: readonly (readonly number[])[]): number[][];
export function nonDominatedSort<T>(points: readonly T[], dominatesFn?: (a: T, b: T) => boolean): number[][] {
  const dom = dominatesFn ?? (dominates as unknown as (a: T, b: T) => boolean);
  const n = points.length;
  const dominatedBy: number[][] = Array.from({ length: n }, () => []);
  const count = new Array<number>(n).fill(0);
  const fronts: number[][] = [[]];
  for (let p = 0; p < n; p++) {
    for (let q = p + 1; q < n; q++) {
      if (dom(points[p], points[q])) {
        dominatedBy[p].push(q);
        count[q]++;
      } else if (dom(points[q], points[p])) {
        dominatedBy[q].push(p);
        count[p]++;
      }
    }
  }
  for (let p = 0; p < n; p++) if (count[p] === 0) fronts[0].push(p);
  for (let f = 0; fronts[f].length > 0; f++) {
    const next: number[] = [];
    for (const p of fronts[f]) {
      for (const q of dominatedBy[p]) if (--count[q] === 0) next.push(q);
    }
    fronts.push(next);
  }
  fronts.pop();
  return fronts;
}

/**
 * Crowding distance of each member of one front (NSGA-II): the sum over objectives of the
 * normalised gap between its neighbours; boundary points get Infinity. Returned in `front` order.
 */
export function crowdingDistance(points: readonly (readonly number[])[], front: readonly number[]): number[] {
  const n = front.length;
  const dist = new Array<number>(n).fill(0);
  if (n === 0) return dist;
  const m = points[front[0]].length;
  const order = front.map((_, k) => k);
  for (let j = 0; j < m; j++) {
    order.sort((a, b) => points[front[a]][j] - points[front[b]][j] || a - b);
    const lo = points[front[order[0]]][j];
    const hi = points[front[order[n - 1]]][j];
    dist[order[0]] = Infinity;
    dist[order[n - 1]] = Infinity;
    if (!(hi > lo)) continue;
    for (let k = 1; k < n - 1; k++) {
      dist[order[k]] += (points[front[order[k + 1]]][j] - points[front[order[k - 1]]][j]) / (hi - lo);
    }
  }
  return dist;
}

/** Indices of the non-dominated points (duplicates of a non-dominated point are all kept). */
export function nonDominated(points: readonly (readonly number[])[]): number[] {
  if (points.length > 0 && points[0].length === 2) return nonDominated2d(points);
  const out: number[] = [];
  for (let i = 0; i < points.length; i++) {
    let dominated = false;
    for (let j = 0; j < points.length && !dominated; j++) dominated = j !== i && dominates(points[j], points[i]);
    if (!dominated) out.push(i);
  }
  return out;
}

function nonDominated2d(points: readonly (readonly number[])[]): number[] {
  const order = points.map((_, i) => i).sort((a, b) => points[a][0] - points[b][0] || points[a][1] - points[b][1]);
  const out: number[] = [];
  let best = Infinity;
  let lastX = NaN;
  let lastY = NaN;
  for (const i of order) {
    const [x, y] = points[i];
    if (y < best || (x === lastX && y === lastY)) {
      out.push(i);
      best = Math.min(best, y);
      lastX = x;
      lastY = y;
    }
  }
  return out.sort((a, b) => a - b);
}

/**
 * Exact hypervolume dominated by `points` and bounded by `ref` (minimisation: the region
 * {x : p <= x <= ref} for some p). Points not strictly better than `ref` in every coordinate add
 * nothing. 2-D is a sweep, O(N log N). For 3 or more objectives it slices along the last
 * coordinate and recurses (HSO), exact and O(N^(d-1) log N): fine for fronts of a few hundred.
 */
export function hypervolume(points: readonly (readonly number[])[], ref: readonly number[]): number {
  const inside = points.filter((p) => p.every((v, i) => v < ref[i]));
  if (inside.length === 0) return 0;
  return hv(inside, ref, ref.length);
}

function hv(points: readonly (readonly number[])[], ref: readonly number[], d: number): number {
  if (d === 1) {
    let lo = Infinity;
    for (const p of points) lo = Math.min(lo, p[0]);
    return ref[0] - lo;
  }
  if (d === 2) {
    const sorted = points.slice().sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let area = 0;
    let yBest = ref[1];
    for (const p of sorted) {
      if (p[1] < yBest) {
        area += (ref[0] - p[0]) * (yBest - p[1]);
        yBest = p[1];
      }
    }
    return area;
  }
  // Slice along the last coordinate: between consecutive values, the cross-section is the
  // (d-1)-dimensional hypervolume of the points at or below the slice.
  const k = d - 1;
  const sorted = points.slice().sort((a, b) => a[k] - b[k]);
  let total = 0;
  for (let i = 0; i < sorted.length; i++) {
    const top = i + 1 < sorted.length ? sorted[i + 1][k] : ref[k];
    const depth = top - sorted[i][k];
    if (depth <= 0) continue;
    total += depth * hv(sorted.slice(0, i + 1), ref, k);
  }
  return total;
}
