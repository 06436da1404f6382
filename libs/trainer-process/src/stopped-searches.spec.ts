import { DEFAULT_STOPPED_SEARCHES, StoppedSearches } from './stopped-searches';

describe('StoppedSearches', () => {
  it('StoppedSearches - remembers the last 10,000 stopped searches by default, forgetting the oldest first', () => {
    const stopped = new StoppedSearches();
    expect(stopped.capacity).toBe(DEFAULT_STOPPED_SEARCHES);
    for (let i = 0; i < 10_000; i++) stopped.add(`s-${i}`);
    expect(stopped.size).toBe(10_000);
    expect(stopped.has('s-0')).toBe(true);
    stopped.add('s-10000');
    expect(stopped.size).toBe(10_000);
    expect(stopped.has('s-0')).toBe(false);
    expect(stopped.has('s-1')).toBe(true);
    expect(stopped.has('s-10000')).toBe(true);
    expect(stopped.has('never')).toBe(false);
  });

  it('StoppedSearches - an id ordered stopped again becomes the newest', () => {
    const stopped = new StoppedSearches(2);
    stopped.add('a');
    stopped.add('b');
    stopped.add('a');
    stopped.add('c');
    expect([stopped.has('a'), stopped.has('b'), stopped.has('c')]).toEqual([true, false, true]);
  });

  it('StoppedSearches - a capacity that is not a positive integer is refused, naming it', () => {
    expect(() => new StoppedSearches(0)).toThrow(/stopped-search capacity must be a positive integer; got 0/);
  });
});
