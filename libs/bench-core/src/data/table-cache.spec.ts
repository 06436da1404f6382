import { digest128 } from './table-cache';

describe('digest128', () => {
  it('digest128 - 32 hex digits, the same for the same text', () => {
    expect(digest128('hwnas')).toMatch(/^[0-9a-f]{32}$/);
    expect(digest128('hwnas')).toBe(digest128('hwnas'));
  });

  it('digest128 - texts one character or one mtime apart get different digests in every 32-bit word', () => {
    const base = '/data/hw-nas-bench/nb201-cifar10.json:1234567:1733400000000.123';
    const texts = [base, `${base}x`, base.slice(1), '', 'a', 'b', 'ab', 'ba'];
    for (let t = 0; t < 5000; t++) texts.push(base.replace('1733400000000.123', String(1733400000000 + t)));
    const words = new Set<string>();
    for (const text of texts) for (let w = 0; w < 4; w++) words.add(`${w}:${digest128(text).slice(8 * w, 8 * w + 8)}`);
    expect(words.size).toBe(texts.length * 4);
  });
});
