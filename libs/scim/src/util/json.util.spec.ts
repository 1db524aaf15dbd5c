import { setOwn } from './json.util';

describe('setOwn', () => {
  it('writes an own enumerable property, replacing an existing value', () => {
    const obj: Record<string, unknown> = { a: 1 };
    setOwn(obj, 'a', 2);
    setOwn(obj, 'toString', 'x');
    expect(obj).toEqual({ a: 2, toString: 'x' });
    expect(Object.keys(obj)).toEqual(['a', 'toString']);
  });

  it('keeps `__proto__` an ordinary key: no prototype change, nothing polluted', () => {
    const obj: Record<string, unknown> = {};
    setOwn(obj, '__proto__', { polluted: true });
    expect(Object.getPrototypeOf(obj)).toBe(Object.prototype);
    expect(Object.keys(obj)).toEqual(['__proto__']);
    expect(JSON.stringify(obj)).toBe('{"__proto__":{"polluted":true}}');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
