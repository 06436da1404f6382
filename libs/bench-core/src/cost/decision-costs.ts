import { InvalidArgumentError } from '../errors';
import type { Arch, SearchSpace } from '../space/space';

/**
 * A per-decision, per-choice cost table of a space ([decision][choice]), the input of a
 * differentiable expected cost (sum over decisions of p_d . table_d) in one-shot searches.
 *
 * Costs are taken by difference: table[d][c] = cost(base with decision d set to c) - cost(base).
 * When a network's cost is a sum of per-decision terms (an FBNet lookup table) this is exact for
 * any base; otherwise (a measured latency over a whole NB201 network) it is the first-order
 * approximation around `base`, which should then be the cheapest architecture (all `none`), so
 * that each entry is what that one choice adds.
 */
export function decisionCostTable(space: SearchSpace, base: Arch, costOf: (arch: Arch) => number): number[][] {
  if (base.length !== space.decisions.length) {
    throw new InvalidArgumentError(`decisionCostTable: base architecture has ${base.length} decisions, ${space.id} has ${space.decisions.length}`);
  }
  const baseCost = costOf(base);
  if (!Number.isFinite(baseCost)) throw new InvalidArgumentError(`decisionCostTable: the base architecture's cost is ${baseCost}`);
  return space.decisions.map((decision, d) =>
    Array.from({ length: decision.options.length }, (_, c) => {
      if (base[d] === c) return 0;
      const arch = base.slice();
      arch[d] = c;
      const v = costOf(arch) - baseCost;
      if (!Number.isFinite(v)) throw new InvalidArgumentError(`decisionCostTable: cost of decision ${d} = ${decision.options[c]} is ${v}`);
      return v;
    }),
  );
}
