import { LIMITS } from '../constants';
import { InvalidFilterError, InvalidPathError } from '../errors/scim-error';
import type { AttrPath, PatchPath } from '../path/path.types';
import { isAttrName } from '../schema/schema.parser';
import { COMPARE_OPS, type CompValue, type CompareOp, type FilterNode } from './filter.types';
import { Lexer, type Token } from './filter.lexer';

export interface ParseOptions {
  maxLength?: number;
  maxDepth?: number;
}

/**
 * Parses an RFC 7644 §3.4.2.2 filter. Precedence: `not` binds tightest, then `and`, then `or`;
 * attribute names and operators are case-insensitive. Errors are `invalidFilter` with the
 * character position in the detail.
 */
export function parseFilter(text: unknown, options: ParseOptions = {}): FilterNode {
  if (typeof text !== 'string') throw new InvalidFilterError('Filter must be a string');
  checkLength(text, options, (m) => new InvalidFilterError(m));
  const p = new Parser(text, 'filter', options.maxDepth ?? LIMITS.maxFilterDepth);
  return p.parseWholeFilter();
}

/** RFC 7644 §3.5.2 `PATH = attrPath / valuePath [subAttr]`. Structure errors are `invalidPath`, filter errors `invalidFilter`. */
export function parsePath(text: unknown, options: ParseOptions = {}): PatchPath {
  if (typeof text !== 'string') throw new InvalidPathError('Path must be a string');
  checkLength(text, options, (m) => new InvalidPathError(m));
  const p = new Parser(text, 'path', options.maxDepth ?? LIMITS.maxFilterDepth);
  return p.parseWholePath();
}

/** A plain `attrPath` as used by `sortBy`, `attributes` and `excludedAttributes` (RFC 7644 §3.10). */
export function parseAttrPath(text: unknown): AttrPath {
  if (typeof text !== 'string') throw new InvalidPathError('Attribute path must be a string');
  checkLength(text, {}, (m) => new InvalidPathError(m));
  const path = parsePath(text.trim());
  if (path.filter || path.subAttr)
    throw new InvalidPathError(`A value filter is not allowed here: ${JSON.stringify(text.slice(0, 80))}`);
  return path.attrPath;
}

function checkLength(text: string, options: ParseOptions, err: (m: string) => Error): void {
  const max = options.maxLength ?? LIMITS.maxFilterLength;
  if (text.length > max) throw err(`Longer than ${max} characters`);
  if (text.trim().length === 0) throw err('Empty expression');
}

class Parser {
  private readonly lexer: Lexer;
  private depth = 0;
  /** > 0 while inside `[...]`: nested value paths are not allowed and errors are invalidFilter. */
  private inValuePath = 0;

  constructor(
    text: string,
    private readonly mode: 'filter' | 'path',
    private readonly maxDepth: number,
  ) {
    this.lexer = new Lexer(text, (m, pos) => this.error(m, pos));
  }

  parseWholeFilter(): FilterNode {
    const node = this.orExpr();
    this.expect('eof', 'end of filter');
    return node;
  }

  parseWholePath(): PatchPath {
    const first = this.lexer.next();
    if (first.kind !== 'word')
      throw this.error(`Expected an attribute path at position ${first.pos}`, first.pos);
    const attrPath = this.attrPath(first);
    if (this.lexer.peek().kind === 'eof') return { attrPath };
    const open = this.expect('lbracket', '"[" or end of path');
    if (attrPath.subAttr !== undefined)
      throw this.error(
        `A value filter must follow a multi-valued attribute at position ${open.pos}`,
        open.pos,
      );
    const filter = this.bracketed(open);
    const after = this.lexer.next();
    if (after.kind === 'eof') return { attrPath, filter };
    if (after.kind !== 'dot')
      throw this.error(`Expected "." or end of path at position ${after.pos}`, after.pos);
    const sub = this.lexer.next();
    if (sub.kind !== 'word' || !isAttrName(sub.text))
      throw this.error(`Expected a sub-attribute name at position ${sub.pos}`, sub.pos);
    this.expect('eof', 'end of path');
    return { attrPath, filter, subAttr: sub.text };
  }

  private orExpr(): FilterNode {
    let node = this.andExpr();
    while (this.isKeyword(this.lexer.peek(), 'or')) {
      this.lexer.next();
      node = { kind: 'or', left: node, right: this.andExpr() };
    }
    return node;
  }

  private andExpr(): FilterNode {
    let node = this.unary();
    while (this.isKeyword(this.lexer.peek(), 'and')) {
      this.lexer.next();
      node = { kind: 'and', left: node, right: this.unary() };
    }
    return node;
  }

  private unary(): FilterNode {
    const t = this.lexer.peek();
    if (t.kind === 'lparen') {
      this.lexer.next();
      this.enter(t);
      const inner = this.orExpr();
      this.expect('rparen', '")"');
      this.depth--;
      return inner;
    }
    // `not` is an operator only before "(": RFC 7644 writes `"not" "(" FILTER ")"`.
    if (this.isKeyword(t, 'not') && this.lexer.peek(1).kind === 'lparen') {
      this.lexer.next();
      const open = this.lexer.next();
      this.enter(open);
      const inner = this.orExpr();
      this.expect('rparen', '")"');
      this.depth--;
      return { kind: 'not', filter: inner };
    }
    if (t.kind === 'word') return this.attrExp(this.lexer.next());
    throw this.error(
      `Expected an attribute path, "(" or "not" at position ${t.pos}${t.kind === 'eof' ? ' (end of input)' : ''}`,
      t.pos,
    );
  }

  private attrExp(word: Token): FilterNode {
    const path = this.attrPath(word);
    const t = this.lexer.peek();
    if (t.kind === 'lbracket') {
      if (this.inValuePath > 0) throw this.error(`Value filters cannot be nested (position ${t.pos})`, t.pos);
      if (path.subAttr !== undefined)
        throw this.error(`A value filter must follow a multi-valued attribute at position ${t.pos}`, t.pos);
      this.lexer.next();
      const filter = this.bracketed(t);
      if (this.lexer.peek().kind === 'dot') {
        const dot = this.lexer.peek();
        throw this.error(
          `A sub-attribute after "]" is only allowed in PATCH paths (position ${dot.pos})`,
          dot.pos,
        );
      }
      return { kind: 'valuePath', path, filter };
    }
    if (t.kind !== 'word') throw this.error(`Expected an operator at position ${t.pos}`, t.pos);
    const op = t.text.toLowerCase();
    this.lexer.next();
    if (op === 'pr') return { kind: 'present', path };
    if (!(COMPARE_OPS as readonly string[]).includes(op)) {
      throw this.error(`Unknown operator ${JSON.stringify(t.text.slice(0, 20))} at position ${t.pos}`, t.pos);
    }
    return { kind: 'compare', path, op: op as CompareOp, value: this.compValue() };
  }

  private compValue(): CompValue {
    const t = this.lexer.next();
    switch (t.kind) {
      case 'string':
        try {
          return JSON.parse(t.text) as string;
        } catch {
          throw this.error(`Invalid string escape at position ${t.pos}`, t.pos);
        }
      case 'number': {
        const n = Number(t.text);
        if (!Number.isFinite(n)) throw this.error(`Number out of range at position ${t.pos}`, t.pos);
        return n === 0 ? 0 : n; // -0 prints as 0; keep parse → print → parse an identity
      }
      case 'word':
        if (t.text === 'true') return true;
        if (t.text === 'false') return false;
        if (t.text === 'null') return null;
        break;
    }
    throw this.error(`Expected a value (string, number, true, false or null) at position ${t.pos}`, t.pos);
  }

  private bracketed(open: Token): FilterNode {
    this.enter(open);
    this.inValuePath++;
    const filter = this.orExpr();
    this.expect('rbracket', '"]"');
    this.inValuePath--;
    this.depth--;
    return filter;
  }

  private attrPath(word: Token): AttrPath {
    const text = word.text;
    const colon = text.lastIndexOf(':');
    let uri: string | undefined;
    let rest = text;
    if (colon >= 0) {
      uri = text.slice(0, colon);
      rest = text.slice(colon + 1);
      if (!/^urn:[A-Za-z0-9]/i.test(uri))
        throw this.error(`Expected a schema URN before ":" at position ${word.pos}`, word.pos);
    }
    const dot = rest.indexOf('.');
    const attr = dot < 0 ? rest : rest.slice(0, dot);
    const subAttr = dot < 0 ? undefined : rest.slice(dot + 1);
    if (!isAttrName(attr) || (subAttr !== undefined && !isAttrName(subAttr))) {
      throw this.error(
        `Invalid attribute path ${JSON.stringify(text.slice(0, 80))} at position ${word.pos}`,
        word.pos,
      );
    }
    return { ...(uri !== undefined ? { uri } : {}), attr, ...(subAttr !== undefined ? { subAttr } : {}) };
  }

  private enter(t: Token): void {
    if (++this.depth > this.maxDepth)
      throw this.error(`Nested deeper than ${this.maxDepth} levels at position ${t.pos}`, t.pos);
  }

  private expect(kind: Token['kind'], what: string): Token {
    const t = this.lexer.next();
    if (t.kind !== kind) throw this.error(`Expected ${what} at position ${t.pos}`, t.pos);
    return t;
  }

  private isKeyword(t: Token, word: string): boolean {
    return t.kind === 'word' && t.text.length === word.length && t.text.toLowerCase() === word;
  }

  private error(message: string, pos: number): Error {
    return this.mode === 'filter' || this.inValuePath > 0
      ? new InvalidFilterError(message, pos)
      : new InvalidPathError(message, pos);
  }
}
