import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { HttpRequest } from '../common/http';
import type { Principal } from '@hub/auth';
import { asTenantId, TenantSettingsRepository, type TenantId } from '@hub/persistence';
import { RateLimitedError, UnsupportedMediaTypeError } from './scim-errors';
import { DEFAULT_RATE_LIMIT } from './scim-constants';

interface Bucket {
  tokens: number;
  at: number;
}

const SETTINGS_TTL_MS = 5_000;
const MAX_BUCKETS = 50_000;

/** Token bucket per API client. Buckets are per replica: N replicas admit up to N × the rate (ADR 0301). */
@Injectable()
export class ScimRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly limits = new Map<
    string,
    { value: Promise<{ rate: number; burst: number }>; until: number }
  >();

  constructor(private readonly settings: TenantSettingsRepository) {}

  /** Forgets the cached limits of a tenant (after an admin changed them). */
  forget(tenantId: TenantId): void {
    this.limits.delete(tenantId);
  }

  async take(tenantId: TenantId, clientId: string): Promise<void> {
    const { rate, burst } = await this.limitFor(tenantId);
    const now = Date.now();
    let bucket = this.buckets.get(clientId);
    if (!bucket) {
      if (this.buckets.size >= MAX_BUCKETS) this.buckets.clear();
      bucket = { tokens: burst, at: now };
      this.buckets.set(clientId, bucket);
    }
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    if (bucket.tokens < 1) {
      throw new RateLimitedError(Math.max(1, Math.ceil((1 - bucket.tokens) / rate)));
    }
    bucket.tokens -= 1;
  }

  private limitFor(tenantId: TenantId): Promise<{ rate: number; burst: number }> {
    const now = Date.now();
    const hit = this.limits.get(tenantId);
    if (hit && hit.until > now) return hit.value;
    const value = this.settings.get(tenantId).then((s) => rateLimitOf(s));
    this.limits.set(tenantId, { value, until: now + SETTINGS_TTL_MS });
    value.catch(() => this.limits.delete(tenantId));
    return value;
  }
}

/**
 * Runs after authentication on every SCIM route: per-client rate limit (over the tenant's
 * configured rate → 429 with Retry-After) and the media type of request bodies (415).
 */
@Injectable()
export class ScimRequestGuard implements CanActivate {
  constructor(private readonly limiter: ScimRateLimiter) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<HttpRequest & { principal?: Principal }>();
    const principal = req.principal;
    if (principal) await this.limiter.take(asTenantId(principal.tenantId), principal.clientId);
    if (['POST', 'PUT', 'PATCH'].includes(req.method)) {
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      const length = Number(req.headers['content-length'] ?? 0);
      const hasBody = length > 0 || req.headers['transfer-encoding'] !== undefined;
      if (hasBody && type !== '' && !/^application\/([a-z0-9.+-]+\+)?json$/.test(type))
        throw new UnsupportedMediaTypeError(
          `Content-Type ${type} is not accepted; send application/scim+json`,
        );
    }
    return true;
  }
}

export function rateLimitOf(settings: Record<string, unknown>): { rate: number; burst: number } {
  const scim = settings.scim as { rateLimit?: { requestsPerSecond?: unknown; burst?: unknown } } | undefined;
  const rps = Number(scim?.rateLimit?.requestsPerSecond);
  const burst = Number(scim?.rateLimit?.burst);
  const rate = Number.isFinite(rps) && rps > 0 ? rps : DEFAULT_RATE_LIMIT.requestsPerSecond;
  const fallbackBurst = Number.isFinite(rps) && rps > 0 ? Math.max(1, rate) : DEFAULT_RATE_LIMIT.burst;
  return { rate, burst: Number.isFinite(burst) && burst >= 1 ? burst : fallbackBurst };
}
