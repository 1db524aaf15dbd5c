import { Agent, Pool } from 'undici';
import { createAuthProvider, safeUrl, type AuthConfig, type AuthProvider } from './auth';
import { HttpRequestError } from './http-error';
import { classifyNetworkError } from './network-errors';
import { backoffDelay, DEFAULT_RETRY, parseRetryAfter, sleep, type RetryPolicy } from './retry';
import { TokenBucket, type RateLimit } from './token-bucket';

export interface TlsOptions {
  /** PEM of the CA(s) to trust instead of the system store. */
  readonly caPem?: string;
  /** mTLS: client certificate and key (PEM). */
  readonly certPem?: string;
  readonly keyPem?: string;
  readonly keyPassphrase?: string;
  readonly serverName?: string;
  /** Default true; false accepts any certificate (a lab target with a self-signed one only). */
  readonly rejectUnauthorized?: boolean;
}

export interface HttpClientOptions {
  /** Origin plus optional path prefix, e.g. `https://hr.example.com/api/v2`. */
  readonly baseUrl: string;
  readonly auth?: AuthConfig;
  readonly tls?: TlsOptions;
  readonly timeouts?: { readonly connectMs?: number; readonly headersMs?: number; readonly bodyMs?: number };
  readonly retry?: RetryPolicy;
  readonly rateLimit?: RateLimit;
  /** Pooled connections to the origin. Default 8. */
  readonly connections?: number;
  /** Responses larger than this fail as `protocol`. Default 64 MiB. */
  readonly maxResponseBytes?: number;
  readonly userAgent?: string;
  /** Extra headers on every request (e.g. `accept: application/scim+json`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Waits between attempts, injectable for tests. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the base URL (`/Users`), or an absolute URL on the same origin (a `Link` next page). */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly headers?: Readonly<Record<string, string>>;
  /** Serialised as JSON. */
  readonly json?: unknown;
  readonly contentType?: string;
  readonly signal?: AbortSignal;
  /** Statuses the caller handles itself (no error thrown). */
  readonly accept?: readonly number[];
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Parsed JSON, or undefined for an empty body. */
  readonly body: unknown;
  readonly url: string;
}

const IDEMPOTENT = new Set(['GET', 'PUT', 'DELETE']);

/**
 * JSON over HTTP on one undici `Pool` per origin: auth headers (refreshing an OAuth2 token once
 * on 401), a token bucket per client, timeouts, and retries — 429/503 for any method after
 * `Retry-After` (the server did not process the request), network errors and 502/504 only for
 * idempotent methods, with exponential backoff and full jitter.
 */
export class HttpClient {
  readonly origin: string;
  private readonly prefix: string;
  private readonly pool: Pool;
  private readonly auth: AuthProvider;
  private readonly retry: Required<RetryPolicy>;
  private readonly bucket: TokenBucket | undefined;
  private readonly wait: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly tokenAgent: Agent | undefined;

  constructor(private readonly options: HttpClientOptions) {
    let base: URL;
    try {
      base = new URL(options.baseUrl);
    } catch {
      throw new HttpRequestError(
        'protocol',
        `${JSON.stringify(String(options.baseUrl).slice(0, 200))} is not a URL`,
      );
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:')
      throw new HttpRequestError('protocol', 'The base URL must start with http:// or https://');
    this.origin = base.origin;
    this.prefix = base.pathname.replace(/\/+$/, '');
    const t = options.timeouts ?? {};
    const connect = {
      timeout: t.connectMs ?? 10_000,
      ...(options.tls?.caPem ? { ca: options.tls.caPem } : {}),
      ...(options.tls?.certPem ? { cert: options.tls.certPem } : {}),
      ...(options.tls?.keyPem ? { key: options.tls.keyPem } : {}),
      ...(options.tls?.keyPassphrase ? { passphrase: options.tls.keyPassphrase } : {}),
      ...(options.tls?.serverName ? { servername: options.tls.serverName } : {}),
      ...(options.tls?.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
    };
    this.pool = new Pool(this.origin, {
      connections: options.connections ?? 8,
      connect,
      headersTimeout: t.headersMs ?? 30_000,
      bodyTimeout: t.bodyMs ?? 60_000,
    });
    // The token endpoint may live elsewhere but is trusted with the same CA and client certificate.
    this.tokenAgent = options.auth?.type === 'oauth2ClientCredentials' ? new Agent({ connect }) : undefined;
    this.auth = createAuthProvider(options.auth, this.tokenAgent);
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.bucket = options.rateLimit ? new TokenBucket(options.rateLimit) : undefined;
    this.wait = options.sleep ?? sleep;
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    const target = this.resolve(req.path, req.query);
    const label = `${req.method} ${safeUrl(target.toString())}`;
    let refreshedAuth = false;
    for (let attempt = 1; ; attempt++) {
      if (this.bucket) await this.wait(this.bucket.reserve(), req.signal);
      let status: number;
      let headers: Record<string, string | string[] | undefined>;
      let text: string;
      try {
        const res = await this.pool.request({
          method: req.method,
          path: target.pathname + target.search,
          headers: {
            accept: 'application/json',
            ...(this.options.userAgent ? { 'user-agent': this.options.userAgent } : {}),
            ...this.options.headers,
            ...(req.json !== undefined ? { 'content-type': req.contentType ?? 'application/json' } : {}),
            ...req.headers,
            ...(await this.auth.headers()),
          },
          ...(req.json !== undefined ? { body: JSON.stringify(req.json) } : {}),
          ...(req.signal ? { signal: req.signal } : {}),
        });
        status = res.statusCode;
        headers = res.headers;
        text = await this.readBody(res.body, label);
      } catch (e) {
        if (e instanceof HttpRequestError) throw e;
        const network = classifyNetworkError(e);
        if (network?.kind === 'tls')
          throw new HttpRequestError('tls', `${label}: TLS failed (${network.reason})`, { cause: e });
        if (req.signal?.aborted) throw e;
        if (network && IDEMPOTENT.has(req.method) && attempt < this.retry.maxAttempts) {
          await this.wait(backoffDelay(attempt, this.retry), req.signal);
          continue;
        }
        throw new HttpRequestError('unreachable', `${label}: ${network?.reason ?? (e as Error).message}`, {
          cause: e,
        });
      }
      const body = parseBody(text, headers);
      if (req.accept?.includes(status) || (status >= 200 && status < 300)) {
        if (body === INVALID_JSON)
          throw new HttpRequestError('protocol', `${label}: the answer is not JSON`, { status });
        return { status, headers, body, url: target.toString() };
      }
      const parsed = body === INVALID_JSON ? undefined : body;
      if (status === 401 && !refreshedAuth && this.auth.invalidate()) {
        refreshedAuth = true;
        attempt -= 1;
        continue;
      }
      const retryAfter = parseRetryAfter(headers['retry-after']);
      if (status === 429 || status === 503) {
        if (retryAfter !== undefined && retryAfter > this.retry.maxRetryAfterMs)
          throw errorFor('rateLimited', label, status, parsed, retryAfter);
        if (attempt < this.retry.maxAttempts) {
          await this.wait(retryAfter ?? backoffDelay(attempt, this.retry), req.signal);
          continue;
        }
        throw errorFor('rateLimited', label, status, parsed, retryAfter);
      }
      if (
        (status === 502 || status === 504) &&
        IDEMPOTENT.has(req.method) &&
        attempt < this.retry.maxAttempts
      ) {
        await this.wait(backoffDelay(attempt, this.retry), req.signal);
        continue;
      }
      throw errorFor(status === 401 || status === 403 ? 'auth' : 'remote', label, status, parsed, retryAfter);
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.close(), this.tokenAgent?.close()]);
  }

  /** Never lets a path or a next link move credentials to another origin. */
  private resolve(path: string, query: HttpRequest['query']): URL {
    const absolute = /^https?:\/\//i.test(path);
    const url = absolute
      ? new URL(path)
      : new URL(this.prefix + (path.startsWith('/') ? path : `/${path}`), this.origin);
    if (url.origin !== this.origin)
      throw new HttpRequestError(
        'protocol',
        `Refusing to follow ${safeUrl(url.toString())}: not on ${this.origin}`,
      );
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  private async readBody(body: AsyncIterable<Buffer>, label: string): Promise<string> {
    const max = this.options.maxResponseBytes ?? 64 * 1024 * 1024;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      size += chunk.length;
      if (size > max)
        throw new HttpRequestError('protocol', `${label}: the answer is larger than ${max} bytes`);
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}

const INVALID_JSON = Symbol('invalid JSON');

function parseBody(text: string, headers: Record<string, string | string[] | undefined>): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    const type = String(headers['content-type'] ?? '');
    return /json/i.test(type) || /^\s*[[{]/.test(text) ? INVALID_JSON : text;
  }
}

/** Builds the error, reading RFC 7644 §3.12 fields when the body is a SCIM error. */
function errorFor(
  kind: HttpRequestError['kind'],
  label: string,
  status: number,
  body: unknown,
  retryAfterMs: number | undefined,
): HttpRequestError {
  const json = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const scimType = typeof json.scimType === 'string' ? json.scimType.slice(0, 60) : undefined;
  const detail = typeof json.detail === 'string' ? json.detail.slice(0, 500) : undefined;
  const suffix = [scimType, detail].filter(Boolean).join(': ');
  return new HttpRequestError(kind, `${label}: HTTP ${status}${suffix ? ` (${suffix})` : ''}`, {
    status,
    ...(scimType ? { scimType } : {}),
    ...(detail ? { detail } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    body,
  });
}
