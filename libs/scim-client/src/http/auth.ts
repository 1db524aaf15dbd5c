import { request, type Dispatcher } from 'undici';
import { HttpRequestError } from './http-error';

export type AuthConfig =
  | { readonly type: 'none' }
  | { readonly type: 'bearer'; readonly token: string }
  | { readonly type: 'basic'; readonly username: string; readonly password: string }
  | { readonly type: 'apiKey'; readonly header: string; readonly value: string }
  | {
      readonly type: 'oauth2ClientCredentials';
      readonly tokenUrl: string;
      readonly clientId: string;
      readonly clientSecret: string;
      readonly scope?: string;
      readonly audience?: string;
      /** RFC 6749 §2.3.1: HTTP Basic (default, what servers must support) or form body. */
      readonly clientAuth?: 'basic' | 'body';
    };

/** Produces the Authorization (or API key) header for each request. */
export interface AuthProvider {
  headers(): Promise<Record<string, string>>;
  /** After a 401: forget cached credentials; true when a retry with fresh ones makes sense. */
  invalidate(): boolean;
}

export function createAuthProvider(config: AuthConfig | undefined, dispatcher?: Dispatcher): AuthProvider {
  switch (config?.type ?? 'none') {
    case 'none':
      return { headers: async () => ({}), invalidate: () => false };
    case 'bearer': {
      const c = config as Extract<AuthConfig, { type: 'bearer' }>;
      return { headers: async () => ({ authorization: `Bearer ${c.token}` }), invalidate: () => false };
    }
    case 'basic': {
      const c = config as Extract<AuthConfig, { type: 'basic' }>;
      const value = `Basic ${Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')}`;
      return { headers: async () => ({ authorization: value }), invalidate: () => false };
    }
    case 'apiKey': {
      const c = config as Extract<AuthConfig, { type: 'apiKey' }>;
      if (!/^[A-Za-z0-9-]+$/.test(c.header))
        throw new RangeError('The API key header name is not a valid header name');
      return { headers: async () => ({ [c.header.toLowerCase()]: c.value }), invalidate: () => false };
    }
    case 'oauth2ClientCredentials':
      return new ClientCredentialsAuth(
        config as Extract<AuthConfig, { type: 'oauth2ClientCredentials' }>,
        dispatcher,
      );
    default:
      throw new RangeError(`Unknown auth type ${JSON.stringify((config as { type: unknown }).type)}`);
  }
}

/**
 * OAuth 2.0 client credentials (RFC 6749 §4.4). The token is cached until 30 s before it
 * expires; concurrent callers share one token request.
 */
export class ClientCredentialsAuth implements AuthProvider {
  private token: { value: string; expiresAt: number } | undefined;
  private pending: Promise<string> | undefined;
  /** Token requests made (for tests and metrics). */
  fetches = 0;

  constructor(
    private readonly config: Extract<AuthConfig, { type: 'oauth2ClientCredentials' }>,
    private readonly dispatcher?: Dispatcher,
    private readonly now: () => number = Date.now,
  ) {}

  async headers(): Promise<Record<string, string>> {
    if (this.token && this.token.expiresAt > this.now())
      return { authorization: `Bearer ${this.token.value}` };
    this.pending ??= this.fetchToken().finally(() => (this.pending = undefined));
    return { authorization: `Bearer ${await this.pending}` };
  }

  invalidate(): boolean {
    const had = this.token !== undefined;
    this.token = undefined;
    return had;
  }

  private async fetchToken(): Promise<string> {
    this.fetches += 1;
    const c = this.config;
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (c.scope) form.set('scope', c.scope);
    if (c.audience) form.set('audience', c.audience);
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if ((c.clientAuth ?? 'basic') === 'basic') {
      // RFC 6749 §2.3.1: form-urlencode id and secret before Basic encoding.
      const id = encodeURIComponent(c.clientId);
      const secret = encodeURIComponent(c.clientSecret);
      headers.authorization = `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
    } else {
      form.set('client_id', c.clientId);
      form.set('client_secret', c.clientSecret);
    }
    const where = safeUrl(c.tokenUrl);
    let status: number;
    let body: unknown;
    try {
      const res = await request(c.tokenUrl, {
        method: 'POST',
        headers,
        body: form.toString(),
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
        ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
      });
      status = res.statusCode;
      const text = await res.body.text();
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
    } catch (e) {
      throw new HttpRequestError('unreachable', `Token endpoint ${where} failed: ${(e as Error).message}`, {
        cause: e,
      });
    }
    const json = (body ?? {}) as { access_token?: unknown; expires_in?: unknown; error?: unknown };
    if (status >= 400 || typeof json.access_token !== 'string') {
      const code = typeof json.error === 'string' ? ` (${json.error.slice(0, 60)})` : '';
      throw new HttpRequestError(
        status === 400 || status === 401 || status === 403 ? 'auth' : 'remote',
        `Token endpoint ${where} refused the client credentials: HTTP ${status}${code}`,
        { status },
      );
    }
    const lifetime =
      typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in * 1000 : 3_600_000;
    this.token = {
      value: json.access_token,
      expiresAt: this.now() + Math.max(lifetime - 30_000, lifetime / 2),
    };
    return json.access_token;
  }
}

/** Origin and path only: query strings may hold personal data or keys. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
