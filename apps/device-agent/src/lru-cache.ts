/**
 * A least-recently-used map with a fixed capacity: `get` refreshes an entry, `set` evicts the
 * oldest entry once `capacity` is exceeded. Capacity 0 disables caching. Not thread-safe (single
 * event loop); values are stored as given.
 */
export class LruCache<V> {
  private readonly map = new Map<string, V>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`LruCache capacity must be a non-negative integer, got ${capacity}`);
  }

  /** Number of entries held. */
  get size(): number {
    return this.map.size;
  }

  /** The value of `key` (and marks it most recently used), or undefined. */
  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    // Re-insertion moves the key to the end of Map's insertion order: the most recent position.
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }

  /** Stores `value` under `key` as the most recently used entry, evicting the least recent one if full. */
  set(key: string, value: V): void {
    if (this.capacity === 0) return;
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as string);
  }
}
