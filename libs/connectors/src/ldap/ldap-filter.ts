import { FilterParser } from 'ldapts';
import { ConnectorError } from '../connector.error';

/**
 * RFC 4515 §3 value escaping for every value the connector places in a filter: `*`, `(`, `)`,
 * `\` and NUL always, plus every non-ASCII or control byte (as `\XX` of its UTF-8 encoding), so a
 * DN or a watermark can never change the structure of a filter.
 */
export function escapeFilterValue(value: string | Buffer): string {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  let out = '';
  for (const byte of bytes) {
    if (byte === 0x2a || byte === 0x28 || byte === 0x29 || byte === 0x5c || byte < 0x20 || byte > 0x7e) {
      out += '\\' + byte.toString(16).padStart(2, '0');
    } else {
      out += String.fromCharCode(byte);
    }
  }
  return out;
}

/** `(attr=value)` with the value escaped; the attribute name is checked, never escaped. */
export function equalityFilter(attribute: string, value: string | Buffer): string {
  return `(${checkAttributeName(attribute)}=${escapeFilterValue(value)})`;
}

export function greaterOrEqualFilter(attribute: string, value: string): string {
  return `(${checkAttributeName(attribute)}>=${escapeFilterValue(value)})`;
}

/** `(&a b …)`, dropping empties; one operand is returned as is. */
export function andFilter(...filters: (string | undefined)[]): string {
  const parts = filters.filter((f): f is string => !!f);
  return parts.length === 1 ? parts[0]! : `(&${parts.join('')})`;
}

/** Checks an admin-written filter parses (RFC 4515) and returns it in parentheses. */
export function checkAdminFilter(filter: string | undefined, what: string): string {
  const text = (filter ?? '').trim() || '(objectClass=*)';
  const wrapped = text.startsWith('(') ? text : `(${text})`;
  try {
    checkBalanced(wrapped);
    FilterParser.parseString(wrapped);
  } catch (e) {
    throw new ConnectorError(
      'config',
      `The ${what} filter is not a valid LDAP filter: ${(e as Error).message.slice(0, 200)}`,
      {
        cause: e,
      },
    );
  }
  return wrapped;
}

/** ldapts accepts `(&(a=b)`; in RFC 4515 every literal parenthesis in a value is escaped, so counting is exact. */
function checkBalanced(filter: string): void {
  let depth = 0;
  for (let i = 0; i < filter.length; i++) {
    const c = filter[i];
    if (depth === 0 && i > 0) throw new Error('text after the closing parenthesis');
    if (c === '(') depth++;
    else if (c === ')' && --depth < 0) throw new Error('unbalanced parentheses');
  }
  if (depth !== 0) throw new Error('unbalanced parentheses');
}

const ATTRIBUTE_NAME = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)(?:;[A-Za-z0-9-]+)*$/;

export function checkAttributeName(name: string): string {
  if (!ATTRIBUTE_NAME.test(name))
    throw new ConnectorError('config', `${JSON.stringify(name.slice(0, 80))} is not an LDAP attribute name`);
  return name;
}

/** GeneralizedTime (RFC 4517 §3.3.13) at second precision, UTC: `20240102030405Z`. */
export function toGeneralizedTime(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}
