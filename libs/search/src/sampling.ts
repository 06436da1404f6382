import { enumerateArchs, spaceSize } from '@hwnas/bench-core';
import type { Arch, Rng, SearchSpace } from '@hwnas/bench-core';

/** Spaces up to this size are enumerated when rejection sampling stops finding unseen architectures. */
const ENUMERABLE = 1_000_000n;

/**
 * A uniformly random architecture for which `seen` is false, or undefined when every one is seen.
 * Rejection sampling first (`tries` draws); spaces of at most a million architectures are then
 * enumerated so that the last unseen ones are still found. Deterministic given the Rng state
 * (the same draws as bench-core's `sampleArch`). `seen` may get a scratch array it must not keep:
 * rejected draws are not copied, which matters once most of a small space is seen.
 */
export function sampleUnseen(space: SearchSpace, rng: Rng, seen: (arch: Arch) => boolean, tries = 200): Arch | undefined {
  const decisions = space.decisions;
  const draw = new Array<number>(decisions.length);
  for (let i = 0; i < tries; i++) {
    for (let d = 0; d < decisions.length; d++) draw[d] = rng.int(decisions[d].options.length);
    if (!seen(draw)) return Object.freeze(draw.slice());
  }
  if (spaceSize(space) > ENUMERABLE) return undefined;
  const rest: Arch[] = [];
  for (const a of enumerateArchs(space)) if (!seen(a)) rest.push(a);
  return rest.length === 0 ? undefined : rest[rng.int(rest.length)];
}

/** `arch` with one uniformly chosen decision changed to a different, uniformly chosen option. */
export function mutateOne(space: SearchSpace, rng: Rng, arch: Arch): Arch {
  const out = arch.slice();
  const d = rng.int(space.decisions.length);
  const n = space.decisions[d].options.length;
  if (n > 1) out[d] = (arch[d] + 1 + rng.int(n - 1)) % n;
  return Object.freeze(out);
}

/**
 * A mutant of `arch` (one decision changed) for which `seen` is false, trying up to `tries`
 * random mutants; undefined when none was found.
 */
export function mutateUnseen(space: SearchSpace, rng: Rng, arch: Arch, seen: (arch: Arch) => boolean, tries = 30): Arch | undefined {
  for (let i = 0; i < tries; i++) {
    const a = mutateOne(space, rng, arch);
    if (!seen(a)) return a;
  }
  return undefined;
}
