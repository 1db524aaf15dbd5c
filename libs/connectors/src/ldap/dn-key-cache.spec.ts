import { DnKeyCache } from './dn-key-cache';

describe('DnKeyCache', () => {
  it('never holds more than its capacity, dropping the least recently used', () => {
    const cache = new DnKeyCache(3);
    cache.set('a', '1');
    cache.set('b', '2');
    cache.set('c', '3');
    expect(cache.get('a')).toBe('1'); // a is now the most recently used
    cache.set('d', '4');
    expect(cache.size).toBe(3);
    expect(cache.get('b')).toBeUndefined();
    expect([cache.get('a'), cache.get('c'), cache.get('d')]).toEqual(['1', '3', '4']);
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
