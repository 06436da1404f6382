import { InvalidArchitectureError, UnknownDatasetError } from '../errors';
import type { Rng } from '../rng';

/**
 * An architecture: the chosen option index for every decision of its space, in decision order.
 * It is the encoding every strategy works on; spaces turn it into their canonical string form.
 * Treat it as frozen.
 */
export type Arch = readonly number[];

/** Canonical, collision-free key of an architecture within its space (its canonical string). */
export type ArchKey = string & { readonly __brand: 'ArchKey' };

/** Identifiers of the built-in search spaces. */
export type SpaceId = 'nb201' | 'fbnet';

/** One categorical decision of a search space: a name and its options (names, in index order). */
export interface Decision {
  readonly name: string;
  readonly options: readonly string[];
}

/** A dataset a space is defined on: input resolution (square) and class count. */
export interface DatasetSpec {
  readonly name: string;
  readonly inputHw: number;
  readonly inputChannels: number;
  readonly numClasses: number;
}

/**
 * A search space of categorical decisions. Everything generic (size, sampling, neighbours,
 * enumeration, one-hot encoding) is a free function over `decisions`, so a space only says what
 * is particular to it: its decisions, datasets and string form.
 */
export interface SearchSpace {
  readonly id: SpaceId;
  readonly decisions: readonly Decision[];
  readonly datasets: readonly DatasetSpec[];
  /** Canonical string form of a valid architecture. */
  format(arch: Arch): string;
  /** Parses the user-facing string form(s); throws {@link InvalidArchitectureError} saying what and where. */
  parse(text: string): Arch;
}

/** Canonical key of `arch` (its canonical string form). */
export function archKey(space: SearchSpace, arch: Arch): ArchKey {
  return space.format(arch) as ArchKey;
}

const RANKABLE = new WeakMap<SearchSpace, boolean>();

/** Whether every architecture of the space has an exact {@link archRank} (size at most 2^53). */
export function isRankable(space: SearchSpace): boolean {
  let r = RANKABLE.get(space);
  if (r === undefined) RANKABLE.set(space, (r = spaceSize(space) <= BigInt(Number.MAX_SAFE_INTEGER)));
  return r;
}

/**
 * Position of `arch` in {@link enumerateArchs} order (mixed radix, first decision most
 * significant): a numeric identity that is much cheaper to hash than {@link archKey}, for
 * membership tests in hot loops. Only for {@link isRankable} spaces (NB201, not FBNet); throws
 * {@link InvalidArchitectureError} for an invalid architecture, RangeError for a space too large.
 */
export function archRank(space: SearchSpace, arch: Arch): number {
  if (!isRankable(space)) throw new RangeError(`${space.id} is too large to rank architectures exactly`);
  const ds = space.decisions;
  if (arch.length !== ds.length) checkArch(space, arch);
  let rank = 0;
  for (let i = 0; i < ds.length; i++) {
    const n = ds[i].options.length;
    const v = arch[i];
    if (!Number.isInteger(v) || v < 0 || v >= n) checkArch(space, arch);
    rank = rank * n + v;
  }
  return rank;
}

/** Number of architectures in the space (a bigint: FBNet's 9^22 does not fit a double exactly). */
export function spaceSize(space: SearchSpace): bigint {
  let n = 1n;
  for (const d of space.decisions) n *= BigInt(d.options.length);
  return n;
}

/**
 * Checks that `arch` has one in-range integer per decision and returns it frozen.
 * Throws {@link InvalidArchitectureError} naming the offending position.
 */
export function checkArch(space: SearchSpace, arch: readonly unknown[]): Arch {
  // Already-frozen valid architectures (everything spaces and strategies produce) are returned
  // as they are: this check sits on every lookup and format, so it must not copy.
  if (Array.isArray(arch) && Object.isFrozen(arch) && isValidArch(space, arch)) return arch as Arch;
  if (!Array.isArray(arch)) throw new InvalidArchitectureError(`${space.id} architecture must be an array of ${space.decisions.length} option indices`);
  if (arch.length !== space.decisions.length) {
    throw new InvalidArchitectureError(
      `${space.id} architecture must have ${space.decisions.length} decisions, got ${arch.length}`,
    );
  }
  for (let i = 0; i < arch.length; i++) {
    const v = arch[i];
    const n = space.decisions[i].options.length;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= n) {
      throw new InvalidArchitectureError(
        `${space.id} architecture: decision ${i} (${space.decisions[i].name}) must be an integer in 0..${n - 1}, got ${JSON.stringify(v)}`,
      );
    }
  }
  return Object.freeze(arch.slice()) as Arch;
}

/** True when `arch` has one in-range integer per decision (no allocation). */
function isValidArch(space: SearchSpace, arch: readonly unknown[]): boolean {
  const d = space.decisions;
  if (arch.length !== d.length) return false;
  for (let i = 0; i < arch.length; i++) {
    const v = arch[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= d[i].options.length) return false;
  }
  return true;
}

/** A uniformly random architecture. */
export function sampleArch(space: SearchSpace, rng: Rng): Arch {
  return Object.freeze(space.decisions.map((d) => rng.int(d.options.length)));
}

/**
 * All architectures at Hamming distance 1 (exactly one decision changed), in decision order then
 * option order. NB201 has 6 x 4 = 24 of them, FBNet 22 x 8 = 176.
 */
export function neighbours(space: SearchSpace, arch: Arch): Arch[] {
  const out: Arch[] = [];
  for (let i = 0; i < space.decisions.length; i++) {
    const n = space.decisions[i].options.length;
    for (let o = 0; o < n; o++) {
      if (o === arch[i]) continue;
      const next = arch.slice();
      next[i] = o;
      out.push(Object.freeze(next));
    }
  }
  return out;
}

/** Number of Hamming-1 neighbours of any architecture of the space. */
export function neighbourCount(space: SearchSpace): number {
  let n = 0;
  for (const d of space.decisions) n += d.options.length - 1;
  return n;
}

/**
 * Every architecture in lexicographic order of the option vector (the last decision varies
 * fastest). Refuses spaces with more than `limit` architectures (default 10^7).
 */
export function* enumerateArchs(space: SearchSpace, limit = 10_000_000): Generator<Arch> {
  const size = spaceSize(space);
  if (size > BigInt(limit)) throw new RangeError(`${space.id} has ${size} architectures; too many to enumerate`);
  const digits = space.decisions.map(() => 0);
  const radix = space.decisions.map((d) => d.options.length);
  for (;;) {
    yield Object.freeze(digits.slice());
    let i = digits.length - 1;
    while (i >= 0 && ++digits[i] === radix[i]) digits[i--] = 0;
    if (i < 0) return;
  }
}

/** Hamming distance between two architectures of one space. */
export function hammingDistance(a: Arch, b: Arch): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) d++;
  return d;
}

/** One-hot encoding: for each decision, a 1 at the chosen option (length = sum of option counts). */
export function oneHot(space: SearchSpace, arch: Arch): number[] {
  const out: number[] = [];
  for (let i = 0; i < space.decisions.length; i++) {
    const n = space.decisions[i].options.length;
    for (let o = 0; o < n; o++) out.push(arch[i] === o ? 1 : 0);
  }
  return out;
}

/** The dataset spec of `name` in `space`; throws {@link UnknownDatasetError}. */
export function datasetSpec(space: SearchSpace, name: string): DatasetSpec {
  const spec = space.datasets.find((d) => d.name === name);
  if (!spec) throw new UnknownDatasetError(name, space.id, space.datasets.map((d) => d.name));
  return spec;
}
