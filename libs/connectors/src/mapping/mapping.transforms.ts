import { ConnectorError } from '../connector.error';
import type { SourceView, TransformHook } from './mapping.types';

export type CompiledTransform = (value: unknown, record: SourceView) => unknown;

const onStrings =
  (f: (s: string) => string): CompiledTransform =>
  (value) =>
    Array.isArray(value)
      ? value.map((v) => (typeof v === 'string' ? f(v) : v))
      : typeof value === 'string'
        ? f(value)
        : value;

/** Built-ins that need no expression language; anything else goes to the hook. */
const BUILT_INS: Readonly<Record<string, CompiledTransform>> = {
  lower: onStrings((s) => s.toLowerCase()),
  upper: onStrings((s) => s.toUpperCase()),
  trim: onStrings((s) => s.trim()),
  first: (value) => (Array.isArray(value) ? value[0] : value),
};

const JOIN_RE = /^join(?:\(\s*("(?:[^"\\]|\\.)*")\s*\))?$/;

export function compileTransform(expression: string, hook: TransformHook | undefined): CompiledTransform {
  const name = expression.trim();
  const builtIn = BUILT_INS[name];
  if (builtIn && Object.prototype.hasOwnProperty.call(BUILT_INS, name)) return builtIn;
  const join = JOIN_RE.exec(name);
  if (join) {
    const separator = join[1] ? (JSON.parse(join[1]) as string) : ' ';
    return (value) =>
      Array.isArray(value) ? value.filter((v) => v !== null && v !== undefined).join(separator) : value;
  }
  if (!hook) {
    throw new ConnectorError(
      'config',
      `Unknown transform ${JSON.stringify(name.slice(0, 80))}: built-ins are lower, upper, trim, first, join("sep")`,
    );
  }
  return (value, record) => hook(name, { value, record });
}
