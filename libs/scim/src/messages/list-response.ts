import { LIST_RESPONSE_URN } from '../constants';
import { InvalidValueError } from '../errors/scim-error';

/** RFC 7644 §3.4.2 ListResponse. */
export interface ListResponse<T> {
  schemas: [typeof LIST_RESPONSE_URN];
  totalResults: number;
  itemsPerPage: number;
  startIndex: number;
  Resources: T[];
}

export function buildListResponse<T>(
  resources: T[],
  page: { totalResults: number; startIndex: number },
): ListResponse<T> {
  return {
    schemas: [LIST_RESPONSE_URN],
    totalResults: page.totalResults,
    itemsPerPage: resources.length,
    startIndex: page.startIndex,
    Resources: resources,
  };
}

export interface Pagination {
  /** 1-based. */
  startIndex: number;
  count: number;
}

/**
 * RFC 7644 §3.4.2.4: startIndex below 1 is read as 1, a negative count as 0, and count is
 * capped at the server maximum. Non-integers are `invalidValue`.
 */
export function parsePagination(
  query: { startIndex?: unknown; count?: unknown },
  limits: { defaultCount: number; maxCount: number },
): Pagination {
  const startIndex = toInt(query.startIndex, 'startIndex') ?? 1;
  const count = toInt(query.count, 'count') ?? limits.defaultCount;
  return { startIndex: Math.max(1, startIndex), count: Math.min(Math.max(0, count), limits.maxCount) };
}

function toInt(v: unknown, name: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n =
    typeof v === 'number'
      ? v
      : typeof v === 'string' && /^-?\d{1,15}$/.test(v.trim())
        ? Number(v.trim())
        : NaN;
  if (!Number.isSafeInteger(n)) throw new InvalidValueError(`${name} must be an integer`);
  return n;
}
