import { BadRequestError, InvalidValueError, PreconditionFailedError } from '../errors/scim-error';

export interface EntityTag {
  readonly weak: boolean;
  readonly opaque: string;
}

/** RFC 7232 etagc: printable ASCII except `"`. */
const ETAGC = /^[\x21\x23-\x7e]*$/;
const MAX_HEADER = 8192;

/** `W/"<version>"` (RFC 7644 §3.14: SCIM versions are weak entity tags). */
export function formatETag(version: string | number): string {
  const v = String(version);
  if (!ETAGC.test(v) || v.length > 256)
    throw new InvalidValueError('Version contains characters not allowed in an ETag');
  return `W/"${v}"`;
}

export function parseETag(text: string): EntityTag | undefined {
  const m = /^(W\/)?"([\x21\x23-\x7e]*)"$/.exec(text.trim());
  return m ? { weak: m[1] !== undefined, opaque: m[2]! } : undefined;
}

/** An `If-Match`/`If-None-Match` value: `*` or a list of entity tags. Malformed → 400. */
export function parseETagList(header: string): '*' | EntityTag[] {
  if (header.length > MAX_HEADER) throw new BadRequestError('Precondition header is too long');
  const trimmed = header.trim();
  if (trimmed === '*') return '*';
  const tags: EntityTag[] = [];
  const re = /\s*(W\/)?"([\x21\x23-\x7e]*)"\s*(,|$)/y;
  let pos = 0;
  while (pos < trimmed.length) {
    re.lastIndex = pos;
    const m = re.exec(trimmed);
    if (!m || m[0].length === 0) throw new BadRequestError('Malformed entity tag list');
    tags.push({ weak: m[1] !== undefined, opaque: m[2]! });
    pos = re.lastIndex;
  }
  if (tags.length === 0) throw new BadRequestError('Empty entity tag list');
  return tags;
}

/**
 * RFC 7232 §3.1 with weak comparison, because SCIM issues weak tags (RFC 7644 §3.14 sends
 * `If-Match: W/"..."`). `currentVersion` undefined means the resource does not exist.
 */
export function ifMatchPasses(
  header: string | undefined,
  currentVersion: string | number | undefined,
): boolean {
  if (header === undefined) return true;
  const list = parseETagList(header);
  if (currentVersion === undefined) return false;
  if (list === '*') return true;
  const v = String(currentVersion);
  return list.some((t) => t.opaque === v);
}

/** RFC 7232 §3.2: passes when no listed tag matches (or, for `*`, when there is no resource). */
export function ifNoneMatchPasses(
  header: string | undefined,
  currentVersion: string | number | undefined,
): boolean {
  if (header === undefined) return true;
  const list = parseETagList(header);
  if (currentVersion === undefined) return true;
  if (list === '*') return false;
  const v = String(currentVersion);
  return !list.some((t) => t.opaque === v);
}

/** For PUT/PATCH/DELETE: throws 412 when `If-Match` does not hold. */
export function assertIfMatch(header: string | undefined, currentVersion: string | number | undefined): void {
  if (!ifMatchPasses(header, currentVersion)) throw new PreconditionFailedError();
}
