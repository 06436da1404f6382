/**
 * Seeded pseudo-random numbers. Every random choice in hwnas goes through an {@link Rng} so that a
 * search is reproducible from its seed; `Math.random` is never used in libs.
 *
 * The generator is xoshiro128** seeded through splitmix32. Its whole state is four 32-bit words, so
 * it can be snapshot and restored exactly (strategies persist it with their state).
 */
export class Rng {
  private s: Uint32Array;

  /** Seeds from any integer (negative and non-integer seeds are folded into 32 bits). */
  constructor(seed: number | readonly number[]) {
    this.s = new Uint32Array(4);
    if (Array.isArray(seed)) {
      if (seed.length !== 4) throw new RangeError('Rng state must hold 4 words');
      this.s.set(seed as number[]);
      return;
    }
    let x = Math.trunc(seed as number) >>> 0;
    for (let i = 0; i < 4; i++) {
      // splitmix32
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
  }

  /** The full generator state; `new Rng(state)` continues the exact same sequence. */
  state(): number[] {
    return Array.from(this.s);
  }

  /** Next unsigned 32-bit integer. */
  nextUint32(): number {
    return this.nextInt32() >>> 0;
  }

  /**
   * The next output as a signed 32-bit integer (same bits as {@link Rng.nextUint32}). Values
   * that fit a small integer cross calls without a heap allocation, where half of all uint32s
   * would not: samplers draw millions of these.
   */
  private nextInt32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9);
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform float in [0, 1) with 32 bits of randomness. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). Unbiased (rejection sampling). */
  int(n: number): number {
    if (!(n > 0) || !Number.isInteger(n) || n > 4294967296) throw new RangeError(`Rng.int: bad bound ${n}`);
    const limit = 4294967296 - remainder(4294967296, n);
    let x: number;
    do x = this.nextInt32() >>> 0;
    while (x >= limit);
    // >>> 0 changes no value; it makes the result a small integer to V8 rather than a double, so
    // arrays of draws (architectures) keep integer elements: predictors that read them stay
    // optimised instead of deoptimising on each new elements kind.
    return remainder(x, n) >>> 0;
  }

  /** A uniformly chosen element. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** Standard normal deviate (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** In-place Fisher-Yates shuffle; returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** Index drawn with probability proportional to `weights` (non-negative, not all zero). */
  categorical(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    if (!(total > 0)) throw new RangeError('Rng.categorical: weights must have a positive sum');
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i];
      if (r < 0) return i;
    }
    return weights.length - 1;
  }
}

/**
 * `x % n` for integers 0 <= x <= 2^32 and 1 <= n <= 2^32, computed without `%`: on values above
 * 2^31 (half of all draws) V8's `%` is a floating-point fmod, several times slower. Exact: the
 * quotient x / n is off by at most 2^-21 / n from its true value, less than the 1 / n that
 * separates a non-integer quotient from the next integer, so its floor is the true quotient.
 */
export function remainder(x: number, n: number): number {
  return x - Math.floor(x / n) * n;
}

function rotl(x: number, k: number): number {
  // Signed: the caller's typed array (or >>> 0) gives the unsigned view where one is needed.
  return (x << k) | (x >>> (32 - k));
}
