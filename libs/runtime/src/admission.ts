/**
 * Which searches may run: at most `maxRunning` at once (0: no limit), later ones wait first come
 * first served. A search holds its slot from the moment it is admitted until it has finished (a
 * cancelled search still draining holds it).
 */
export class Admission {
  private readonly waiting: string[] = [];
  private readonly holding = new Set<string>();

  constructor(private readonly maxRunning = 0) {}

  hasSlot(): boolean {
    return this.maxRunning <= 0 || this.holding.size < this.maxRunning;
  }

  /** Takes a slot for `searchId` (synchronously, so that concurrent submissions count it). */
  hold(searchId: string): void {
    this.holding.add(searchId);
  }

  release(searchId: string): void {
    this.holding.delete(searchId);
  }

  /** Puts a search at the end of the line (or, `first`, back at its head). */
  wait(searchId: string, first = false): void {
    if (first) this.waiting.unshift(searchId);
    else this.waiting.push(searchId);
  }

  /** Orders the line by `key` (after a restart: by submission time). */
  sort(key: (searchId: string) => number): void {
    this.waiting.sort((a, b) => key(a) - key(b));
  }

  /** The next waiting search given a slot (held already), or undefined when none or no slot is free. */
  admitNext(): string | undefined {
    if (!this.waiting.length || !this.hasSlot()) return undefined;
    const searchId = this.waiting.shift()!;
    this.hold(searchId);
    return searchId;
  }

  /** Forgets a search (deleted). */
  forget(searchId: string): void {
    this.release(searchId);
    const i = this.waiting.indexOf(searchId);
    if (i >= 0) this.waiting.splice(i, 1);
  }
}
