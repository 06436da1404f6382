import { InvalidArgumentError } from '@hwnas/bench-core';

/** Default of {@link StoppedSearches}' capacity: searches remembered as stopped. */
export const DEFAULT_STOPPED_SEARCHES = 10_000;

/**
 * The ids of the searches a worker was ordered to stop, so that a task of one that arrives later
 * (published before the order, redelivered, or taken while the order was on its way) is refused
 * at once. Bounded: past `capacity` ids the oldest order is forgotten first (a search id is
 * unique, and its tasks stop arriving soon after its order). Ordering an id again makes it the
 * newest. Not thread-safe beyond Node's one thread.
 */
export class StoppedSearches {
  private readonly ids = new Set<string>();

  constructor(readonly capacity = DEFAULT_STOPPED_SEARCHES) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new InvalidArgumentError(`stopped-search capacity must be a positive integer; got ${capacity}`);
  }

  /** Remembers `searchId` as stopped (the newest). */
  add(searchId: string): void {
    // A Set iterates in insertion order: deleting first moves the id to the end.
    this.ids.delete(searchId);
    this.ids.add(searchId);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.values().next().value as string);
  }

  has(searchId: string): boolean {
    return this.ids.has(searchId);
  }

  get size(): number {
    return this.ids.size;
  }
}
