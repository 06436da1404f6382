import { LruCache } from './lru-cache';

describe('LruCache', () => {
  it('LruCache - evicts the least recently used entry; get refreshes an entry', () => {
    const c = new LruCache<number>(2);
    c.set('a', 1);
    c.set('b', 2);
    expect(c.get('a')).toBe(1);
    c.set('c', 3);
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBe(1);
    expect(c.get('c')).toBe(3);
    expect(c.size).toBe(2);
  });

  it('LruCache - capacity 0 caches nothing; a bad capacity throws', () => {
    const c = new LruCache<number>(0);
    c.set('a', 1);
    expect(c.get('a')).toBeUndefined();
    expect(() => new LruCache(-1)).toThrow(RangeError);
  });
});
