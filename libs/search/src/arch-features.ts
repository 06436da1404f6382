import { NB201_EDGES, nb201Code, NB201_SIZE } from '@hwnas/bench-core';
import type { Arch, SearchSpace } from '@hwnas/bench-core';

/**
 * An architecture as a surrogate model sees it: its decisions with the choices that cannot
 * affect the network neutralised (`arch`), and a few numeric summaries of the whole network
 * (`features`) that the decisions only say indirectly.
 */
export interface ArchEncoding {
  readonly arch: Arch;
  readonly features: readonly number[];
}

/**
 * The encoder of a space's architectures for {@link ArchEncoding}.
 *
 * - NAS-Bench-201 cells: an edge whose op cannot lie on a path from the cell input to its output
 *   (through non-`none` edges) computes nothing the network uses, so it is set to `none`: two
 *   cells that differ only there are the same network, and a Hamming kernel should say so.
 *   Features: the count of each op on the live edges, whether input and output are connected at
 *   all (a disconnected cell is broken, whatever its edges hold) and the most convolutions on one
 *   input -> output path (effective depth).
 * - Any other space: the decisions unchanged; features are the count of each option over the
 *   decisions that share one option list (FBNet's 22 layers: how many of each block), a
 *   permutation-invariant summary of width and depth.
 */
export function archEncoder(space: SearchSpace): (arch: Arch) => ArchEncoding {
  if (space.id === 'nb201') return nb201Encoder(space);
  const groups = new Map<string, number[]>();
  space.decisions.forEach((d, i) => {
    const key = d.options.join('\u0000');
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const shared = [...groups.values()].filter((g) => g.length > 1);
  const widths = shared.map((g) => space.decisions[g[0]].options.length);
  return (arch) => {
    const features: number[] = [];
    shared.forEach((g, k) => {
      const counts = new Array<number>(widths[k]).fill(0);
      for (const i of g) counts[arch[i]]++;
      features.push(...counts);
    });
    return { arch, features };
  };
}

function nb201Encoder(space: SearchSpace): (arch: Arch) => ArchEncoding {
  const ops = space.decisions[0].options;
  const none = ops.indexOf('none');
  const isConv = ops.map((name) => name.includes('conv'));
  const nodes = 1 + Math.max(...NB201_EDGES.map(([, to]) => to));
  const output = nodes - 1;
  // Edges by destination node, so that one pass sees every node's inputs before its outputs.
  const byDestination = NB201_EDGES.map((_, e) => e).sort((a, b) => NB201_EDGES[a][1] - NB201_EDGES[b][1]);
  const bySource = NB201_EDGES.map((_, e) => e).sort((a, b) => NB201_EDGES[b][0] - NB201_EDGES[a][0]);
  // A search scores the same neighbourhoods round after round: encode each cell once.
  const cache: (ArchEncoding | undefined)[] = new Array(NB201_SIZE);
  const encode = (arch: Arch): ArchEncoding => {
    const fromInput = new Array<boolean>(nodes).fill(false);
    fromInput[0] = true;
    for (const e of byDestination) if (arch[e] !== none && fromInput[NB201_EDGES[e][0]]) fromInput[NB201_EDGES[e][1]] = true;
    const toOutput = new Array<boolean>(nodes).fill(false);
    toOutput[output] = true;
    for (const e of bySource) if (arch[e] !== none && toOutput[NB201_EDGES[e][1]]) toOutput[NB201_EDGES[e][0]] = true;
    const effective = arch.map((op, e) => (op !== none && fromInput[NB201_EDGES[e][0]] && toOutput[NB201_EDGES[e][1]] ? op : none));
    const counts = new Array<number>(ops.length).fill(0);
    for (const op of effective) counts[op]++;
    // Most convolutions on a path from the input to each node (-1: unreachable).
    const depth = new Array<number>(nodes).fill(-1);
    depth[0] = 0;
    for (const e of byDestination) {
      const [from, to] = NB201_EDGES[e];
      if (effective[e] !== none && depth[from] >= 0) depth[to] = Math.max(depth[to], depth[from] + (isConv[effective[e]] ? 1 : 0));
    }
    const features = [...counts.filter((_, op) => op !== none), depth[output] >= 0 ? 1 : 0, Math.max(depth[output], 0)];
    return { arch: effective, features };
  };
  return (arch) => {
    const code = nb201Code(arch);
    return (cache[code] ??= encode(arch));
  };
}
