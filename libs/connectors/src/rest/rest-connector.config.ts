import type { AuthConfig, RateLimit, RetryPolicy, TlsOptions } from '@hub/scim-client';
import type { ResourceTypeSchemas } from '@hub/scim';
import type { AttributeMapping, TransformHook } from '../mapping/mapping.types';

/** How the API pages. Every style stops on an empty page; `maxPages` guards against loops. */
export type RestPagination =
  | { readonly style: 'none' }
  /** `?page=1&size=100`; stops when a page has fewer than `pageSize` records. */
  | {
      readonly style: 'page';
      readonly pageParam?: string;
      readonly sizeParam?: string;
      readonly pageSize?: number;
      readonly firstPage?: number;
    }
  /** `?offset=0&limit=100`; stops on a short page or when `offset >= total` (`totalPath`). */
  | {
      readonly style: 'offset';
      readonly offsetParam?: string;
      readonly limitParam?: string;
      readonly limit?: number;
      readonly totalPath?: string;
    }
  /** The body names the next cursor (`cursorPath`, e.g. `meta.next`), sent back as `cursorParam`. */
  | {
      readonly style: 'cursor';
      readonly cursorPath: string;
      readonly cursorParam?: string;
      readonly sizeParam?: string;
      readonly pageSize?: number;
    }
  /** RFC 8288 `Link: <…>; rel="next"` (same origin only). */
  | { readonly style: 'link'; readonly sizeParam?: string; readonly pageSize?: number };

export interface RestResourceConfig {
  readonly resourceType: string;
  /** Path below the base URL, e.g. `/v1/employees`. */
  readonly path: string;
  /** Fixed query parameters. */
  readonly query?: Readonly<Record<string, string>>;
  /** Dot path to the array of records in the body; the body itself when omitted. */
  readonly recordsPath?: string;
  /** Dot path of the record's stable key. */
  readonly keyField: string;
  readonly externalIdField?: string;
  /** Groups: dot path of the member keys (an array of keys, or of objects read with `memberKeyField`). */
  readonly membersField?: string;
  readonly memberKeyField?: string;
  readonly mapping: AttributeMapping;
  readonly pagination: RestPagination;
  /** Records the API still lists but that mean "gone" (e.g. `status` in `["terminated"]`) are reported as deletions. */
  readonly deletedWhen?: { readonly field: string; readonly values: readonly (string | number | boolean)[] };
  /**
   * Deltas: a query parameter taking the watermark (`updated_since`). Without it every delta is a
   * full pull.
   */
  readonly delta?: { readonly param: string; readonly format?: 'iso' | 'epochSeconds' | 'epochMillis' };
}

export interface RestConnectorConfig {
  readonly baseUrl: string;
  readonly auth?: AuthConfig;
  readonly tls?: TlsOptions;
  readonly resources: readonly RestResourceConfig[];
  readonly rateLimit?: RateLimit;
  readonly retry?: RetryPolicy;
  readonly timeouts?: { readonly connectMs?: number; readonly headersMs?: number; readonly bodyMs?: number };
  /** Upper bound on pages per resource per pull (a loop guard). Default 100 000. */
  readonly maxPages?: number;
  /** Overlap subtracted from the pull start to form the next watermark. Default 5 minutes. */
  readonly deltaOverlapMs?: number;
  readonly keepRaw?: boolean;
}

export interface RestConnectorDeps {
  readonly schemas?: Readonly<Record<string, ResourceTypeSchemas>>;
  readonly transform?: TransformHook;
  readonly now?: () => Date;
  /** Waits between retries and for the rate limit (tests). */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}
