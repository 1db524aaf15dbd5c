/**
 * The only functions a transform may call. Each one is plain, synchronous, bounded code: string
 * arguments and results longer than `maxStringLength` are refused, so no call can build a large
 * value (JSONata's own `$pad("", 1e8)` runs for a second; `$length` of a huge string kills the
 * process). Every JSONata built-in not listed here is shadowed by a function that refuses.
 * `undefined` (a missing attribute) passes through string functions, as in JSONata.
 */
export type TransformFunction = (...args: unknown[]) => unknown;

export class TransformFunctionError extends Error {}

/** JSONata 2.2 built-ins (static frame plus `$now`/`$millis`), shadowed unless re-implemented below. */
export const JSONATA_BUILTINS: readonly string[] = [
  'sum',
  'count',
  'max',
  'min',
  'average',
  'string',
  'substring',
  'substringBefore',
  'substringAfter',
  'lowercase',
  'uppercase',
  'length',
  'trim',
  'pad',
  'match',
  'contains',
  'replace',
  'split',
  'join',
  'formatNumber',
  'formatBase',
  'formatInteger',
  'parseInteger',
  'number',
  'floor',
  'ceil',
  'round',
  'abs',
  'sqrt',
  'power',
  'random',
  'boolean',
  'not',
  'map',
  'zip',
  'filter',
  'single',
  'reduce',
  'sift',
  'keys',
  'lookup',
  'append',
  'exists',
  'spread',
  'merge',
  'reverse',
  'each',
  'error',
  'assert',
  'type',
  'sort',
  'shuffle',
  'distinct',
  'base64encode',
  'base64decode',
  'encodeUrlComponent',
  'encodeUrl',
  'decodeUrlComponent',
  'decodeUrl',
  'eval',
  'toMillis',
  'fromMillis',
  'clone',
  'now',
  'millis',
];

// Letters NFKD does not decompose into ASCII.
const FOLD_SPECIAL: Readonly<Record<string, string>> = {
  ß: 'ss',
  ẞ: 'SS',
  æ: 'ae',
  Æ: 'AE',
  œ: 'oe',
  Œ: 'OE',
  ø: 'o',
  Ø: 'O',
  ł: 'l',
  Ł: 'L',
  đ: 'd',
  Đ: 'D',
  ð: 'd',
  Ð: 'D',
  þ: 'th',
  Þ: 'TH',
  ı: 'i',
  ĸ: 'k',
  ŋ: 'n',
  Ŋ: 'N',
  ħ: 'h',
  Ħ: 'H',
};

/** Latin letters with diacritics to ASCII (`Zoë Ærø` → `Zoe AEro`); other characters are kept. */
export function asciiFold(s: string): string {
  let out = '';
  for (const ch of s.normalize('NFKD')) {
    const code = ch.codePointAt(0)!;
    if (code >= 0x300 && code <= 0x36f) continue; // combining diacritical marks
    out += FOLD_SPECIAL[ch] ?? ch;
  }
  return out;
}

export interface FunctionLimits {
  readonly maxStringLength: number;
  readonly maxSequence: number;
}

/** The functions a transform may call, plus refusing stand-ins for every other JSONata built-in. */
export function createFunctionLibrary(limits: FunctionLimits): Readonly<Record<string, TransformFunction>> {
  const library: Record<string, TransformFunction> = { ...allowedFunctions(limits) };
  for (const name of JSONATA_BUILTINS) {
    if (!(name in library)) {
      library[name] = () => {
        throw new TransformFunctionError(`$${name} is not available in transforms`);
      };
    }
  }
  return library;
}

function allowedFunctions(limits: FunctionLimits): Record<string, TransformFunction> {
  const fail = (message: string): never => {
    throw new TransformFunctionError(message);
  };
  const str = (fn: string, v: unknown, i = 1): string => {
    if (typeof v !== 'string') fail(`$${fn}: argument ${i} must be a string, got ${kind(v)}`);
    if ((v as string).length > limits.maxStringLength)
      fail(`$${fn}: argument ${i} is longer than ${limits.maxStringLength}`);
    return v as string;
  };
  const out = (fn: string, s: string): string => {
    if (s.length > limits.maxStringLength) fail(`$${fn}: result is longer than ${limits.maxStringLength}`);
    return s;
  };
  const int = (fn: string, v: unknown, i: number): number => {
    if (typeof v !== 'number' || !Number.isFinite(v))
      fail(`$${fn}: argument ${i} must be a number, got ${kind(v)}`);
    return Math.trunc(v as number);
  };
  /** String functions return undefined for a missing input, as JSONata's do. */
  const onString =
    (fn: string, f: (s: string, ...rest: unknown[]) => unknown): TransformFunction =>
    (s, ...rest) =>
      s === undefined ? undefined : f(str(fn, s), ...rest);

  const num = (fn: string, v: unknown): number => {
    if (typeof v !== 'number' || !Number.isFinite(v))
      fail(`$${fn}: argument 1 must be a number, got ${kind(v)}`);
    return v as number;
  };
  return {
    lowercase: onString('lowercase', (s) => s.toLowerCase()),
    uppercase: onString('uppercase', (s) => out('uppercase', s.toUpperCase())),
    trim: onString('trim', (s) => s.replace(/\s+/g, ' ').trim()),
    length: onString('length', (s) => [...s].length),
    asciiFold: onString('asciiFold', (s) => out('asciiFold', asciiFold(s))),
    digits: onString('digits', (s) => s.replace(/[^0-9]/g, '')),
    keepChars: onString('keepChars', (s, allowed) => {
      const set = new Set(str('keepChars', allowed, 2));
      let r = '';
      for (const ch of s) if (set.has(ch)) r += ch;
      return r;
    }),
    substring: onString('substring', (s, start, length) => {
      const chars = [...s];
      const from = int('substring', start, 2);
      const begin = from < 0 ? Math.max(0, chars.length + from) : from;
      const end = length === undefined ? chars.length : begin + Math.max(0, int('substring', length, 3));
      return chars.slice(begin, end).join('');
    }),
    substringBefore: onString('substringBefore', (s, chars) => {
      const i = s.indexOf(str('substringBefore', chars, 2));
      return i < 0 ? s : s.slice(0, i);
    }),
    substringAfter: onString('substringAfter', (s, chars) => {
      const c = str('substringAfter', chars, 2);
      const i = s.indexOf(c);
      return i < 0 ? s : s.slice(i + c.length);
    }),
    contains: onString('contains', (s, token) => s.includes(str('contains', token, 2))),
    startsWith: onString('startsWith', (s, prefix) => s.startsWith(str('startsWith', prefix, 2))),
    endsWith: onString('endsWith', (s, suffix) => s.endsWith(str('endsWith', suffix, 2))),
    replace: onString('replace', (s, pattern, replacement) => {
      const p = str('replace', pattern, 2);
      if (p.length === 0) fail('$replace: the pattern must not be empty');
      const r = str('replace', replacement, 3);
      // Bound before building: every occurrence may grow the string.
      const count = s.split(p).length - 1;
      if (s.length + count * (r.length - p.length) > limits.maxStringLength)
        fail(`$replace: result is longer than ${limits.maxStringLength}`);
      return s.split(p).join(r);
    }),
    split: onString('split', (s, separator) => {
      const parts = s.split(str('split', separator, 2));
      if (parts.length > limits.maxSequence) fail(`$split: more than ${limits.maxSequence} parts`);
      return parts;
    }),
    join: (values, separator) => {
      if (values === undefined) return undefined;
      const list = Array.isArray(values) ? values : [values];
      if (list.length > limits.maxSequence) fail(`$join: more than ${limits.maxSequence} values`);
      const sep = separator === undefined ? '' : str('join', separator, 2);
      // Missing and empty parts are skipped, so "given middle family" joins without double spaces.
      const parts = list
        .filter((v) => v !== undefined && v !== null && v !== '')
        .map((v, i) => str('join', v, i + 1));
      return out('join', parts.join(sep));
    },
    pad: onString('pad', (s, width, char) => {
      const w = int('pad', width, 2);
      if (Math.abs(w) > limits.maxStringLength) fail(`$pad: width is larger than ${limits.maxStringLength}`);
      const c = char === undefined ? ' ' : str('pad', char, 3) || ' ';
      return w < 0 ? s.padStart(-w, c) : s.padEnd(w, c);
    }),
    string: (v) => {
      if (v === undefined) return undefined;
      if (typeof v === 'string') return str('string', v);
      if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
      fail(`$string: cannot turn ${kind(v)} into a string`);
    },
    number: (v) => {
      if (v === undefined) return undefined;
      if (typeof v === 'number') return v;
      const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      if (!Number.isFinite(n)) fail(`$number: ${JSON.stringify(String(v).slice(0, 40))} is not a number`);
      return n;
    },
    boolean: (v) => (v === undefined ? undefined : truthy(v)),
    not: (v) => (v === undefined ? undefined : !truthy(v)),
    exists: (v) => v !== undefined,
    count: (v) => (v === undefined ? 0 : Array.isArray(v) ? v.length : 1),
    coalesce: (...values) => values.find((v) => v !== undefined && v !== null && v !== ''),
    lookup: (table, key) => {
      if (table === undefined || key === undefined) return undefined;
      if (table === null || typeof table !== 'object' || Array.isArray(table))
        fail(`$lookup: argument 1 must be an object`);
      const k = typeof key === 'number' ? String(key) : str('lookup', key, 2);
      return Object.prototype.hasOwnProperty.call(table, k)
        ? (table as Record<string, unknown>)[k]
        : undefined;
    },
    abs: (v) => (v === undefined ? undefined : Math.abs(num('abs', v))),
    floor: (v) => (v === undefined ? undefined : Math.floor(num('floor', v))),
    ceil: (v) => (v === undefined ? undefined : Math.ceil(num('ceil', v))),
    round: (v) => (v === undefined ? undefined : Math.round(num('round', v))),
    error: (message) =>
      fail(typeof message === 'string' ? message.slice(0, 200) : 'transform raised an error'),
  };
}

/** Names a transform may call. */
export const TRANSFORM_FUNCTIONS: ReadonlySet<string> = new Set(
  Object.keys(allowedFunctions({ maxStringLength: 1, maxSequence: 1 })),
);

function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(truthy);
  if (typeof v === 'string') return v.length > 0;
  if (typeof v === 'number') return v !== 0;
  if (v === null) return false;
  if (typeof v === 'object') return Object.keys(v as object).length > 0;
  return Boolean(v);
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : typeof v;
}
