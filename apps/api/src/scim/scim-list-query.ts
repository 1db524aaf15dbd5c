import { createHash } from 'node:crypto';
import {
  InvalidSyntaxError,
  InvalidValueError,
  SEARCH_REQUEST_URN,
  parsePagination,
  parseSortOrder,
  type SortOrder,
} from '@hub/scim';
import { PaginationError } from './scim-errors';
import { SCIM_LIMITS } from './scim-constants';

/** A list request from GET query parameters or a POST /.search body (RFC 7644 §3.4.2, §3.4.3; RFC 9865). */
export interface ListRequest {
  filter?: string;
  sortBy?: string;
  sortOrder: SortOrder;
  attributes?: string[];
  excludedAttributes?: string[];
  pagination:
    | { mode: 'index'; startIndex: number; count: number }
    | { mode: 'cursor'; cursor: CursorPosition | null; count: number };
  /** A delta query (ADR 0701): changes since this token ('' = from the beginning). */
  deltaToken?: string;
}

export interface CursorPosition {
  key: string | null;
  id: string;
  before: boolean;
}

const CURSOR_VERSION = 1;

/** Own property, name matched case-insensitively (message attribute names are, RFC 7643 §2.1). */
export function getOwnCiSafe(obj: Record<string, unknown>, name: string): unknown {
  const lower = name.toLowerCase();
  for (const key of Object.keys(obj)) if (key.toLowerCase() === lower) return obj[key];
  return undefined;
}

/** GET: every parameter appears at most once and is a string. */
export function listRequestFromQuery(query: Record<string, unknown>): ListRequest {
  const get = (name: string): string | undefined => {
    const key = Object.keys(query).find((k) => k.toLowerCase() === name.toLowerCase());
    if (key === undefined) return undefined;
    const value = query[key];
    if (typeof value !== 'string') throw new InvalidValueError(`${name} must be given once`);
    return value;
  };
  return build({
    filter: get('filter'),
    sortBy: get('sortBy'),
    sortOrder: get('sortOrder'),
    attributes: get('attributes'),
    excludedAttributes: get('excludedAttributes'),
    startIndex: get('startIndex'),
    count: get('count'),
    cursor: get('cursor'),
    deltaToken: get('deltaToken'),
  });
}

/** POST /.search: a SearchRequest message (RFC 7644 §3.4.3), with RFC 9865's `cursor`. */
export function listRequestFromSearch(body: unknown): ListRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new InvalidSyntaxError('The search request must be a JSON object');
  const b = body as Record<string, unknown>;
  const schemas = getOwnCiSafe(b, 'schemas');
  if (!Array.isArray(schemas) || !schemas.includes(SEARCH_REQUEST_URN))
    throw new InvalidSyntaxError(`"schemas" must contain ${SEARCH_REQUEST_URN}`);
  const str = (name: string): string | undefined => {
    const v = getOwnCiSafe(b, name);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw new InvalidValueError(`${name} must be a string`);
    return v;
  };
  const list = (name: string): string | undefined => {
    const v = getOwnCiSafe(b, name);
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.join(',');
    throw new InvalidValueError(`${name} must be a list of attribute paths`);
  };
  const num = (name: string): unknown => getOwnCiSafe(b, name) ?? undefined;
  return build({
    filter: str('filter'),
    sortBy: str('sortBy'),
    sortOrder: str('sortOrder'),
    attributes: list('attributes'),
    excludedAttributes: list('excludedAttributes'),
    startIndex: num('startIndex'),
    count: num('count'),
    cursor: str('cursor') ?? (getOwnCiSafe(b, 'cursor') === null ? '' : undefined),
    deltaToken: str('deltaToken'),
  });
}

function build(raw: {
  filter?: string;
  sortBy?: string;
  sortOrder?: string;
  attributes?: string;
  excludedAttributes?: string;
  startIndex?: unknown;
  count?: unknown;
  cursor?: string;
  deltaToken?: string;
}): ListRequest {
  const split = (v: string | undefined) =>
    v === undefined
      ? undefined
      : v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  const base = {
    ...(raw.filter !== undefined && raw.filter.trim() !== '' ? { filter: raw.filter } : {}),
    ...(raw.sortBy !== undefined && raw.sortBy.trim() !== '' ? { sortBy: raw.sortBy.trim() } : {}),
    sortOrder: parseSortOrder(raw.sortOrder),
    ...(raw.attributes !== undefined ? { attributes: split(raw.attributes) } : {}),
    ...(raw.excludedAttributes !== undefined ? { excludedAttributes: split(raw.excludedAttributes) } : {}),
  };
  if (raw.deltaToken !== undefined) {
    if (raw.startIndex !== undefined || raw.cursor !== undefined)
      throw new InvalidValueError('deltaToken pages by itself; do not combine it with startIndex or cursor');
    if (base.sortBy)
      throw new InvalidValueError(
        'Changes come in the order they happened; sortBy cannot be combined with deltaToken',
      );
    return {
      ...base,
      deltaToken: raw.deltaToken,
      pagination: { mode: 'index', startIndex: 1, count: pageCount(raw.count) },
    };
  }
  if (raw.cursor !== undefined) {
    if (raw.startIndex !== undefined)
      throw new InvalidValueError('Use either cursor or startIndex pagination, not both');
    const count = pageCount(raw.count);
    return withCursorText({ ...base, pagination: { mode: 'cursor', cursor: null, count } }, raw.cursor);
  }
  const page = parsePagination(
    { startIndex: raw.startIndex, count: raw.count },
    { defaultCount: SCIM_LIMITS.defaultPageSize, maxCount: SCIM_LIMITS.maxPageSize },
  );
  return { ...base, pagination: { mode: 'index', ...page } };
}

/** A page size for cursor and delta paging: 1..max (a page of 0 would never move on). */
function pageCount(raw: unknown): number {
  if (raw === undefined) return SCIM_LIMITS.defaultPageSize;
  const { count } = parsePagination({ count: raw }, { defaultCount: 0, maxCount: SCIM_LIMITS.maxPageSize });
  if (count < 1)
    throw new PaginationError('invalidCount', `count must be between 1 and ${SCIM_LIMITS.maxPageSize}`);
  return count;
}

/** Cursor text is decoded later (it needs the query fingerprint); kept on the request until then. */
const CURSOR_TEXT = Symbol('cursorText');
function withCursorText(request: ListRequest, text: string): ListRequest {
  Object.defineProperty(request, CURSOR_TEXT, { value: text, enumerable: false });
  return request;
}
export function cursorTextOf(request: ListRequest): string {
  return ((request as unknown as Record<symbol, unknown>)[CURSOR_TEXT] as string | undefined) ?? '';
}

/** What a cursor is bound to: the same endpoint, filter and sort (RFC 9865 §2: only the cursor may change). */
export function queryFingerprint(scope: string, request: ListRequest): string {
  return createHash('sha256')
    .update(JSON.stringify([scope, request.filter ?? '', request.sortBy ?? '', request.sortOrder]))
    .digest('base64url')
    .slice(0, 16);
}

/** Opaque cursor: base64url JSON (RFC 3986 unreserved characters only, as RFC 9865 requires). */
export function encodeCursor(fingerprint: string, position: CursorPosition, now = Date.now()): string {
  return Buffer.from(
    JSON.stringify({
      v: CURSOR_VERSION,
      f: fingerprint,
      k: position.key,
      i: position.id,
      b: position.before ? 1 : 0,
      t: Math.floor(now / 1000),
    }),
  ).toString('base64url');
}

export function decodeCursor(text: string, fingerprint: string, now = Date.now()): CursorPosition | null {
  if (text === '') return null;
  if (text.length > 2048 || !/^[A-Za-z0-9_-]+$/.test(text))
    throw new PaginationError('invalidCursor', 'The cursor is not one this server issued');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw new PaginationError('invalidCursor', 'The cursor is not one this server issued');
  }
  const c = parsed as { v?: unknown; f?: unknown; k?: unknown; i?: unknown; b?: unknown; t?: unknown };
  if (
    c === null ||
    typeof c !== 'object' ||
    c.v !== CURSOR_VERSION ||
    typeof c.f !== 'string' ||
    !(c.k === null || typeof c.k === 'string') ||
    typeof c.i !== 'string' ||
    !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(c.i) ||
    typeof c.t !== 'number'
  ) {
    throw new PaginationError('invalidCursor', 'The cursor is not one this server issued');
  }
  if (c.f !== fingerprint)
    throw new PaginationError(
      'invalidCursor',
      'The cursor belongs to a different query (filter or sort changed)',
    );
  if (now / 1000 - c.t > SCIM_LIMITS.cursorTimeoutSeconds)
    throw new PaginationError(
      'expiredCursor',
      `The cursor has expired; request pages within ${SCIM_LIMITS.cursorTimeoutSeconds} s`,
    );
  return { key: c.k as string | null, id: c.i, before: c.b === 1 };
}
