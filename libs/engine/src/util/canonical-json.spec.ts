import { canonicalJson } from './canonical-json';

/** The definition, written the slow and obvious way: the fast writer must give the same text. */
function reference(value: unknown): string | undefined {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value !== 'object') return undefined;
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map((v) => reference(v) ?? 'null').join(',')}]`;
  const parts = Object.keys(value)
    .sort()
    .flatMap((k) => {
      const v = reference((value as Record<string, unknown>)[k]);
      return v === undefined ? [] : [`${JSON.stringify(k)}:${v}`];
    });
  return `{${parts.join(',')}}`;
}

/** A small deterministic generator (no dependency on Math.random: failures reproduce). */
function generator(seed: number) {
  let s = seed;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const strings = [
    '',
    'plain',
    'quote"d',
    'back\\slash',
    'tab\tnew\nline',
    '\u0001ctl',
    'é ü 中文',
    '😀 pair',
    '\ud800 lone high',
    'lone low \udc00',
    '\u2028sep',
    '__proto__',
    'Zeta',
    'alpha',
  ];
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
  const value = (depth: number): unknown => {
    const r = next();
    if (depth <= 0 || r < 0.5) {
      return pick<unknown>([
        null,
        true,
        false,
        0,
        -1.5,
        1e21,
        NaN,
        Infinity,
        undefined,
        pick(strings),
        new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
      ]);
    }
    if (r < 0.7) return Array.from({ length: Math.floor(next() * 4) }, () => value(depth - 1));
    const o: Record<string, unknown> = {};
    for (let i = Math.floor(next() * 5); i > 0; i--)
      Object.defineProperty(o, pick(strings), {
        value: value(depth - 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return o;
  };
  return value;
}

describe('canonicalJson', () => {
  it('gives the reference text for 5,000 generated values (escapes, surrogates, undefined, dates, key order)', () => {
    const value = generator(7);
    for (let i = 0; i < 5_000; i++) {
      const v = value(4);
      expect(canonicalJson(v)).toBe(reference(v) ?? 'null');
    }
  });

  it('keeps the text stored hashes were made from', () => {
    expect(canonicalJson({ b: [1, 'x"y', { d: undefined, c: null }], a: '😀\u0001' })).toBe(
      '{"a":"😀\\u0001","b":[1,"x\\"y",{"c":null}]}',
    );
  });
});
