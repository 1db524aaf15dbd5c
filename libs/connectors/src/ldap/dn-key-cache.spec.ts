import { DnKeyCache } from './dn-key-cache';

describe('DnKeyCache', () => {
  it('never holds more than its capacity, and always the last capacity/2 entries set', () => {
    const cache = new DnKeyCache(1_000);
    for (let i = 0; i < 10_003; i++) {
      cache.set(`dn${i}`, `k${i}`);
      expect(cache.size).toBeLessThanOrEqual(1_000);
    }
    for (let i = 10_003 - 500; i < 10_003; i++) expect(cache.get(`dn${i}`)).toBe(`k${i}`);
    expect(cache.get('dn5000')).toBeUndefined(); // long gone
  });

  it('keeps an entry that is used again and again, however many others pass through', () => {
    const cache = new DnKeyCache(100);
    cache.set('amy', 'k-amy');
    for (let i = 0; i < 5_000; i++) {
      cache.set(`dn${i}`, `k${i}`);
      if (i % 40 === 0) expect(cache.get('amy')).toBe('k-amy');
    }
    expect(cache.get('dn0')).toBeUndefined();
  });

  it('updates a key in place without growing', () => {
    const cache = new DnKeyCache(2);
    cache.set('a', '1');
    cache.set('a', '2');
    expect(cache.size).toBe(1);
    expect(cache.get('a')).toBe('2');
  });

  it('caches nothing with a capacity of 0', () => {
    const cache = new DnKeyCache(0);
    cache.set('a', '1');
    expect(cache.get('a')).toBeUndefined();
  });
});
