import { NB201_OPS, nb201Space } from '../space/nb201';
import type { Arch, DatasetSpec } from '../space/space';
import { checkArch } from '../space/space';
import { networkCost } from './cost';
import { nb201NetworkIR } from './nb201';

/** Per dataset: cost of the all-`none` network, and what each (edge, op) adds to it. */
interface EdgeCostTable {
  readonly baseMacs: number;
  readonly baseParams: number;
  /** Indexed `edge * ops + op`. */
  readonly macs: Float64Array;
  readonly params: Float64Array;
}

const tables = new Map<string, EdgeCostTable>();

function edgeCostTable(dataset: DatasetSpec): EdgeCostTable {
  let t = tables.get(dataset.name);
  if (t) return t;
  const edges = nb201Space.decisions.length;
  const ops = NB201_OPS.length;
  const none = new Array<number>(edges).fill(0);
  const base = networkCost(nb201NetworkIR(none, dataset));
  const macs = new Float64Array(edges * ops);
  const params = new Float64Array(edges * ops);
  for (let e = 0; e < edges; e++) {
    for (let op = 1; op < ops; op++) {
      const one = none.slice();
      one[e] = op;
      const c = networkCost(nb201NetworkIR(one, dataset));
      macs[e * ops + op] = c.macs - base.macs;
      params[e * ops + op] = c.params - base.params;
    }
  }
  t = { baseMacs: base.macs, baseParams: base.params, macs, params };
  tables.set(dataset.name, t);
  return t;
}

/**
 * MACs and parameters of an NB201 network, equal to `networkCost(nb201NetworkIR(arch, dataset))`
 * but in O(edges) instead of building a 200-layer graph. It can be, because that cost is a sum
 * over layers, and a cell's layers are the layers of the ops on its non-`none` edges, which do not
 * depend on the other edges (every cell of a stage has the same shape): so the network costs what
 * the all-`none` network costs plus what each edge's op adds. The table (25 graphs per dataset) is
 * built on first use; nb201-cost.spec.ts checks the identity on all 15,625 architectures.
 */
export function nb201ModelCost(arch: Arch, dataset: DatasetSpec): { macs: number; params: number } {
  const a = checkArch(nb201Space, arch);
  const t = edgeCostTable(dataset);
  const ops = NB201_OPS.length;
  let macs = t.baseMacs;
  let params = t.baseParams;
  for (let e = 0; e < a.length; e++) {
    macs += t.macs[e * ops + a[e]];
    params += t.params[e * ops + a[e]];
  }
  return { macs, params };
}
