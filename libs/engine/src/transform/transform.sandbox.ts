import jsonata from 'jsonata';
import { EngineError } from '../engine.errors';
import {
  createFunctionLibrary,
  JSONATA_BUILTINS,
  TRANSFORM_FUNCTIONS,
  type TransformFunction,
} from './transform.functions';

/**
 * Bounds of one transform evaluation. JSONata checks the time and depth at every step; strings
 * and sequences are bounded as they are built; input and output are measured as JSON.
 */
export interface TransformLimits {
  /** Wall time of one evaluation (JSONata `timeout`). */
  readonly timeoutMs: number;
  /** Evaluation depth (JSONata `stack`). */
  readonly maxDepth: number;
  /** Items in one sequence (JSONata `sequence`), parts from `$split`, values given to `$join`. */
  readonly maxSequence: number;
  /** Any string built during evaluation. */
  readonly maxStringLength: number;
  readonly maxExpressionLength: number;
  /** The record (plus `$config`) as JSON. */
  readonly maxInputBytes: number;
  /** The result as JSON. */
  readonly maxOutputBytes: number;
}

export const DEFAULT_TRANSFORM_LIMITS: TransformLimits = {
  timeoutMs: 50,
  maxDepth: 200,
  maxSequence: 1000,
  maxStringLength: 8192,
  maxExpressionLength: 4096,
  maxInputBytes: 256 * 1024,
  maxOutputBytes: 16 * 1024,
};

export class TransformCompileError extends EngineError {
  constructor(
    message: string,
    readonly position?: number,
  ) {
    super(message);
  }
}

export type TransformOutcome =
  | { readonly ok: true; readonly value: unknown }
  /** `empty`: the expression ran but produced nothing (no failure when there was nothing to compute from). */
  | { readonly ok: false; readonly reason: string; readonly empty?: boolean };

/** Variables an expression may read besides the record (its input `$`) and its own `:=` bindings. */
export const TRANSFORM_VARIABLES: readonly string[] = ['config', 'value', 'element'];

/** Node types that bring unbounded work or code: user functions (and so recursion), regexes, partial application, the clone-and-modify operator. */
const REFUSED_NODES: Readonly<Record<string, string>> = {
  lambda: 'function definitions are not allowed',
  partial: 'partial application is not allowed',
  regex: 'regular expressions are not allowed',
  transform: 'the |…|…| transform operator is not allowed',
};

/**
 * A JSONata expression checked for the transform sandbox and compiled once. Evaluation sees the
 * record and the variables it is given, nothing else: no `$eval`, no clock, no randomness, no I/O.
 */
export class CompiledExpression {
  private readonly expr: jsonata.Expression;

  constructor(
    readonly text: string,
    readonly limits: TransformLimits = DEFAULT_TRANSFORM_LIMITS,
  ) {
    if (typeof text !== 'string' || text.trim().length === 0)
      throw new TransformCompileError('expression is empty');
    if (text.length > limits.maxExpressionLength)
      throw new TransformCompileError(`expression is longer than ${limits.maxExpressionLength} characters`);
    try {
      this.expr = jsonata(text, {
        timeout: limits.timeoutMs,
        stack: limits.maxDepth,
        sequence: limits.maxSequence,
        RegexEngine: RefusedRegex as unknown as RegExpConstructor,
      });
    } catch (err) {
      const e = err as { message?: string; position?: number };
      throw new TransformCompileError(
        `${e.position !== undefined ? `position ${e.position}: ` : ''}${e.message ?? String(err)}`,
        e.position,
      );
    }
    checkAst(this.expr.ast());
    for (const [name, fn] of Object.entries(libraryFor(limits))) this.expr.assign(name, fn);
    // Every step's result passes here: no string grows past the bound, whatever builds it (`&` too).
    (this.expr as unknown as { assign(name: symbol, value: unknown): void }).assign(
      Symbol.for('jsonata.__evaluate_exit'),
      (_expr: unknown, _input: unknown, _env: unknown, result: unknown) => {
        if (typeof result === 'string' && result.length > limits.maxStringLength) {
          throw new Error(`a string longer than ${limits.maxStringLength} characters was built`);
        }
      },
    );
  }

  /**
   * Evaluates against a record that is already plain JSON within `maxInputBytes` (see
   * prepareInput). Never throws: failures come back with a reason.
   */
  async evaluate(
    input: unknown,
    variables: Readonly<Record<string, unknown>> = {},
  ): Promise<TransformOutcome> {
    let raw: unknown;
    try {
      raw = await this.expr.evaluate(input, variables);
    } catch (err) {
      return { ok: false, reason: describeError(err, this.limits) };
    }
    return toJson(raw, this.limits);
  }
}

/** Deep copy of the record as JSON, refused past `maxInputBytes`; one per record, shared by its transforms. */
export function prepareInput(
  record: unknown,
  limits: TransformLimits = DEFAULT_TRANSFORM_LIMITS,
): TransformOutcome {
  const text = JSON.stringify(record);
  if (text === undefined) return { ok: false, reason: 'the record is not JSON' };
  if (text.length > limits.maxInputBytes)
    return { ok: false, reason: `the record is larger than ${limits.maxInputBytes} bytes of JSON` };
  return { ok: true, value: JSON.parse(text) };
}

const libraries = new WeakMap<TransformLimits, Readonly<Record<string, TransformFunction>>>();
function libraryFor(limits: TransformLimits): Readonly<Record<string, TransformFunction>> {
  let lib = libraries.get(limits);
  if (!lib) libraries.set(limits, (lib = createFunctionLibrary(limits)));
  return lib;
}

class RefusedRegex {
  constructor() {
    throw new Error('regular expressions are not allowed');
  }
}

const RESERVED = new Set<string>([
  '',
  '$',
  ...TRANSFORM_VARIABLES,
  ...JSONATA_BUILTINS,
  ...TRANSFORM_FUNCTIONS,
]);

interface AstNode {
  readonly type?: string;
  readonly value?: unknown;
  readonly position?: number;
  readonly procedure?: AstNode;
  readonly lhs?: unknown;
  readonly focus?: string;
  readonly index?: string;
  readonly [key: string]: unknown;
}

/** Static checks over the parsed expression: refused node types, callable names, variables. */
function checkAst(root: unknown): void {
  const userVars = new Set<string>();
  const fail = (node: AstNode, message: string): never => {
    const at = node.position !== undefined ? `position ${node.position}: ` : '';
    throw new TransformCompileError(`${at}${message}`, node.position);
  };
  const declare = (node: AstNode, name: unknown) => {
    if (typeof name !== 'string') return;
    if (RESERVED.has(name)) fail(node, `$${name} is reserved and cannot be assigned`);
    userVars.add(name);
  };
  // Pass 1: the names the expression binds itself ($x := …, @$o, #$i).
  const collect = (value: unknown): void => {
    forEachNode(value, (node) => {
      if (node.type === 'bind') declare(node, (node.lhs as AstNode | undefined)?.value);
      if (node.focus !== undefined) declare(node, node.focus);
      if (node.index !== undefined) declare(node, node.index);
    });
  };
  // Pass 2: what it does.
  const check = (value: unknown): void => {
    forEachNode(value, (node) => {
      const refused = node.type !== undefined ? REFUSED_NODES[node.type] : undefined;
      if (refused) fail(node, refused);
      if (node.type === 'function') {
        const proc = node.procedure;
        if (
          !proc ||
          proc.type !== 'variable' ||
          typeof proc.value !== 'string' ||
          !TRANSFORM_FUNCTIONS.has(proc.value)
        ) {
          const name = proc && proc.type === 'variable' ? `$${String(proc.value)}` : 'this expression';
          fail(node, `${name} cannot be called in a transform`);
        }
      } else if (node.type === 'variable') {
        const name = node.value as string;
        if (name === '' || name === '$' || TRANSFORM_VARIABLES.includes(name) || userVars.has(name)) return;
        if (RESERVED.has(name)) fail(node, `$${name} can only be called, not used as a value`);
        fail(node, `unknown variable $${name}`);
      }
    });
  };
  collect(root);
  check(root);
}

/** Visits every AST node (objects with a string `type`) depth-first; a call's procedure is not visited as a variable. */
function forEachNode(value: unknown, visit: (node: AstNode) => void): void {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const v of value) forEachNode(v, visit);
    return;
  }
  const node = value as AstNode;
  if (typeof node.type === 'string') visit(node);
  for (const key of Object.keys(node)) {
    if (key === 'procedure' && node.type === 'function') continue;
    if (key === 'value' && node.type === 'regex') continue;
    forEachNode(node[key], visit);
  }
}

function describeError(err: unknown, limits: TransformLimits): string {
  const e = err as { code?: string; message?: string; position?: number };
  switch (e?.code) {
    case 'D1012':
      return `timed out after ${limits.timeoutMs} ms`;
    case 'D1011':
      return `nested deeper than ${limits.maxDepth}`;
    case 'D2014':
    case 'D2015':
      return `a sequence longer than ${limits.maxSequence} was built`;
  }
  if (err instanceof RangeError) return 'a value too large to build';
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return `${e?.code ? `${e.code}: ` : ''}${message}`.slice(0, 300);
}

/** The result as plain JSON within `maxOutputBytes`; `undefined` (nothing matched) is a failure too. */
function toJson(raw: unknown, limits: TransformLimits): TransformOutcome {
  if (raw === undefined) return { ok: false, reason: 'the expression produced no value', empty: true };
  // Measure before serialising, so a huge value is refused without being flattened.
  if (!withinBudget(raw, limits.maxOutputBytes, 64)) {
    return { ok: false, reason: `the result is larger than ${limits.maxOutputBytes} bytes` };
  }
  const text = JSON.stringify(raw);
  if (text === undefined) return { ok: false, reason: 'the result is not JSON' };
  if (text.length > limits.maxOutputBytes)
    return { ok: false, reason: `the result is larger than ${limits.maxOutputBytes} bytes` };
  return { ok: true, value: JSON.parse(text) };
}

function withinBudget(value: unknown, budget: number, depth: number): boolean {
  let left = budget;
  const visit = (v: unknown, d: number): boolean => {
    if (d <= 0) return false;
    if (typeof v === 'string') left -= v.length;
    else if (Array.isArray(v)) {
      left -= v.length;
      for (const x of v) if (left < 0 || !visit(x, d - 1)) return false;
    } else if (v !== null && typeof v === 'object') {
      for (const k of Object.keys(v)) {
        left -= k.length;
        if (left < 0 || !visit((v as Record<string, unknown>)[k], d - 1)) return false;
      }
    } else left -= 4;
    return left >= 0;
  };
  return visit(value, depth);
}
