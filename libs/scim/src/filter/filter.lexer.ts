export type TokenKind =
  'word' | 'string' | 'number' | 'lparen' | 'rparen' | 'lbracket' | 'rbracket' | 'dot' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** Source text of the token (for strings: with quotes). */
  readonly text: string;
  /** Offset of the first character in the input. */
  readonly pos: number;
}

export type LexErrorFactory = (message: string, pos: number) => Error;

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isAlpha = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
/** Attribute names, `$ref`, and schema URNs with their `:` and `.` (e.g. `...:2.0:User:manager.value`). */
const isWordChar = (c: number) =>
  isAlpha(c) || isDigit(c) || c === 0x5f || c === 0x2d || c === 0x24 || c === 0x3a || c === 0x2e;
const isDelimiter = (c: number) =>
  Number.isNaN(c) || isSpace(c) || c === 0x28 || c === 0x29 || c === 0x5b || c === 0x5d;

const NUMBER_RE = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/**
 * Single-pass tokenizer for RFC 7644 filters and PATCH paths. Linear in the input: one index
 * moves forward, nothing is re-sliced. Every token records its offset for error details.
 */
export class Lexer {
  private pos = 0;
  private readonly buffer: Token[] = [];

  constructor(
    private readonly text: string,
    private readonly fail: LexErrorFactory,
  ) {}

  peek(ahead = 0): Token {
    while (this.buffer.length <= ahead) this.buffer.push(this.scan());
    return this.buffer[ahead]!;
  }

  next(): Token {
    const t = this.peek();
    this.buffer.shift();
    return t;
  }

  private scan(): Token {
    const s = this.text;
    while (this.pos < s.length && isSpace(s.charCodeAt(this.pos))) this.pos++;
    const start = this.pos;
    if (start >= s.length) return { kind: 'eof', text: '', pos: start };
    const c = s.charCodeAt(start);
    const single = (kind: TokenKind): Token => {
      this.pos++;
      return { kind, text: s[start]!, pos: start };
    };
    switch (c) {
      case 0x28:
        return single('lparen');
      case 0x29:
        return single('rparen');
      case 0x5b:
        return single('lbracket');
      case 0x5d:
        return single('rbracket');
      case 0x2e:
        // Only `].sub` uses a bare dot; inside words dots are part of the word.
        if (start > 0 && s.charCodeAt(start - 1) === 0x5d) return single('dot');
        throw this.fail(`Unexpected "." at position ${start}`, start);
      case 0x22:
        return this.scanString(start);
    }
    if (c === 0x2d || isDigit(c)) {
      NUMBER_RE.lastIndex = start;
      const m = NUMBER_RE.exec(s);
      if (!m) throw this.fail(`Malformed number at position ${start}`, start);
      this.pos = start + m[0].length;
      this.expectDelimiter(start, 'number');
      return { kind: 'number', text: m[0], pos: start };
    }
    if (isAlpha(c) || c === 0x24) {
      let end = start + 1;
      while (end < s.length && isWordChar(s.charCodeAt(end))) end++;
      this.pos = end;
      this.expectDelimiter(start, 'word');
      return { kind: 'word', text: s.slice(start, end), pos: start };
    }
    throw this.fail(`Unexpected character ${JSON.stringify(s[start])} at position ${start}`, start);
  }

  private scanString(start: number): Token {
    const s = this.text;
    let i = start + 1;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === 0x22) {
        this.pos = i + 1;
        this.expectDelimiter(start, 'string');
        return { kind: 'string', text: s.slice(start, i + 1), pos: start };
      }
      if (c < 0x20) throw this.fail(`Control character in string at position ${i}`, i);
      i += c === 0x5c ? 2 : 1;
    }
    throw this.fail(`Unterminated string starting at position ${start}`, start);
  }

  /** `userName eq "a"and ...` or `1x`: a token must end at a space, bracket, parenthesis or the end. */
  private expectDelimiter(start: number, what: string): void {
    const c = this.text.charCodeAt(this.pos);
    if (!isDelimiter(c))
      throw this.fail(`Unexpected character after ${what} at position ${this.pos}`, this.pos);
    void start;
  }
}
