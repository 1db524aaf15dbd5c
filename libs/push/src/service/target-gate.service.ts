import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { HUB_CONFIG, type HubConfig } from '@hub/config';
import { redisConnectionOptions } from '@hub/queue';

/**
 * Per-target rate limit and concurrency, shared by every worker replica through Redis (ADR 0602).
 *
 * Rate: GCRA ("theoretical arrival time") in one Lua script on Redis' clock: a reservation moves
 * the target's TAT on by one emission interval and says how long the caller waits before sending.
 * A caller that would wait longer than it may does not reserve (so it never blocks the slot of
 * a worker: its job is delayed instead). The interval is the configured rate with 5 % headroom,
 * so network jitter between send and arrival does not push a one-second window over the limit.
 *
 * Concurrency: a sorted set of leases (holder → expiry) per target; a SIGKILLed worker's lease
 * expires instead of leaking a slot.
 */
const RATE_HEADROOM = 0.95;
const LEASE_MS = 60_000;

const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local start = math.max(now, tat)
local wait = start - now
if wait > tonumber(ARGV[2]) * 1000 then return -1 - math.floor(wait / 1000) end
redis.call('SET', KEYS[1], string.format('%.0f', start + tonumber(ARGV[1])), 'PX', 60000 + math.floor(wait / 1000))
return math.floor(wait / 1000)
`;

const PAUSE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local until_ = now + tonumber(ARGV[1]) * 1000
if until_ > tat then redis.call('SET', KEYS[1], string.format('%.0f', until_), 'PX', 60000 + tonumber(ARGV[1])) end
return 1
`;

const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0
`;

// ACQUIRE for up to #ARGV - 2 holders (ARGV[3..]) at once: as many as there are free slots.
// Returns how many were granted (the first ones).
const ACQUIRE_MANY = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local free = tonumber(ARGV[1]) - redis.call('ZCARD', KEYS[1])
local n = math.min(free, #ARGV - 2)
for i = 1, n do redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[i + 2]) end
if n > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return math.max(n, 0)
`;

// The leases of the holders ARGV[2..] still held, extended by ARGV[1] ms; returns those holders.
const RENEW_MANY = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local kept = {}
for i = 2, #ARGV do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score and tonumber(score) > now then
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[i])
    kept[#kept + 1] = ARGV[i]
  end
end
if #kept > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return kept
`;

// ACQUIRE, then RESERVE for the same caller, in one round trip: -1 all slots taken; ≤ -2 the
// token is too far off (-2 - ms to come back; no slot taken); ≥ 0 slot and token, wait that many ms.
const ACQUIRE_WITH_TOKEN = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local nowMs = math.floor(now / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', nowMs)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return -1 end
local tat = tonumber(redis.call('GET', KEYS[2]) or '0')
local start = math.max(now, tat)
local wait = start - now
if wait > tonumber(ARGV[5]) * 1000 then return -2 - math.floor(wait / 1000) end
redis.call('ZADD', KEYS[1], nowMs + tonumber(ARGV[3]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('SET', KEYS[2], string.format('%.0f', start + tonumber(ARGV[4])), 'PX', 60000 + math.floor(wait / 1000))
return math.floor(wait / 1000)
`;

// A slot handed back, and with ARGV[2] = 1 the target's failure streak ended too (one command).
const RELEASE = `
redis.call('ZREM', KEYS[1], ARGV[1])
if ARGV[2] == '1' then redis.call('DEL', KEYS[2]) end
return 1
`;

// A lease kept only by its holder: renewed (PEXPIRE) or released (DEL) when the value is still theirs.
const RENEW_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;
const END_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export interface BackfillState {
  /** The last resource id queued (links in resource id order). */
  readonly after: string;
  /** How many were queued: the next job's position. */
  readonly queued: number;
  /** The priority level the backfill started at (`backfillPriority`). */
  readonly base: number;
}

export interface Reservation {
  /** Reserved: wait `waitMs` then send. Not reserved: come back in `waitMs`. */
  readonly reserved: boolean;
  readonly waitMs: number;
}

@Injectable()
export class TargetGate implements OnApplicationShutdown {
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(@Inject(HUB_CONFIG) config: HubConfig) {
    // Auto-pipelining: the commands of pushes that run at the same moment (they move in step
    // behind the coalesced statements of ADR 0603) go out in one write.
    this.redis = new Redis({
      ...redisConnectionOptions(config.redis.url),
      lazyConnect: false,
      enableAutoPipelining: true,
    });
    this.redis.on('error', () => undefined); // reconnects by itself; callers see failed commands
    this.prefix = `${config.redis.queuePrefix}:push-gate`;
    this.redis.defineCommand('gateReserve', { numberOfKeys: 1, lua: RESERVE });
    this.redis.defineCommand('gatePause', { numberOfKeys: 1, lua: PAUSE });
    this.redis.defineCommand('gateAcquire', { numberOfKeys: 1, lua: ACQUIRE });
    // A deprovisioning claim is a lease like a slot: the same script on its own key.
    this.redis.defineCommand('gateClaim', { numberOfKeys: 1, lua: ACQUIRE });
    this.redis.defineCommand('gateAcquireMany', { numberOfKeys: 1, lua: ACQUIRE_MANY });
    this.redis.defineCommand('gateRenewMany', { numberOfKeys: 1, lua: RENEW_MANY });
    this.redis.defineCommand('gateAcquireWithToken', { numberOfKeys: 2, lua: ACQUIRE_WITH_TOKEN });
    this.redis.defineCommand('gateRelease', { numberOfKeys: 2, lua: RELEASE });
    this.redis.defineCommand('gateRenewLease', { numberOfKeys: 1, lua: RENEW_LEASE });
    this.redis.defineCommand('gateEndLease', { numberOfKeys: 1, lua: END_LEASE });
  }

  /** One request's token at `ratePerSecond`, if the wait is at most `maxWaitMs`. */
  async reserve(targetId: string, ratePerSecond: number, maxWaitMs: number): Promise<Reservation> {
    const intervalUs = Math.ceil(1_000_000 / effectiveRate(ratePerSecond));
    const r = Number(await this.cmd().gateReserve(this.key('rate', targetId), intervalUs, maxWaitMs));
    return r >= 0 ? { reserved: true, waitMs: r } : { reserved: false, waitMs: -1 - r };
  }

  /**
   * `count` consecutive tokens at `ratePerSecond` in one round trip, if the first is at most
   * `maxWaitMs` off: the first is due after `waitMs`, each next one `intervalMs` later.
   */
  async reserveMany(
    targetId: string,
    ratePerSecond: number,
    count: number,
    maxWaitMs: number,
  ): Promise<Reservation & { intervalMs: number }> {
    const intervalUs = Math.ceil(1_000_000 / effectiveRate(ratePerSecond));
    const r = Number(await this.cmd().gateReserve(this.key('rate', targetId), intervalUs * count, maxWaitMs));
    const intervalMs = intervalUs / 1000;
    return r >= 0
      ? { reserved: true, waitMs: r, intervalMs }
      : { reserved: false, waitMs: -1 - r, intervalMs };
  }

  /** 429/503 with Retry-After: no replica sends to the target before `ms` from now. */
  async pause(targetId: string, ms: number): Promise<void> {
    await this.cmd().gatePause(this.key('rate', targetId), Math.max(0, Math.round(ms)));
  }

  /** A concurrency slot (released with `release`), or false when all are taken. */
  async acquire(targetId: string, limit: number, holder: string): Promise<boolean> {
    return (
      Number(
        await this.cmd().gateAcquire(this.key('slots', targetId), Math.max(1, limit), holder, LEASE_MS),
      ) === 1
    );
  }

  /**
   * Up to `holders.length` slots in one round trip (a batch's lanes, ADR 0604): the holders that
   * got one, in order — as many as were free, possibly none.
   */
  async acquireMany(targetId: string, limit: number, holders: readonly string[]): Promise<string[]> {
    if (!holders.length) return [];
    const n = Number(
      await this.cmd().gateAcquireMany(this.key('slots', targetId), Math.max(1, limit), LEASE_MS, ...holders),
    );
    return holders.slice(0, n);
  }

  /** Extends the leases of slots still held; resolves to the holders whose lease was still there. */
  async renewMany(targetId: string, holders: readonly string[]): Promise<string[]> {
    if (!holders.length) return [];
    return (await this.cmd().gateRenewMany(this.key('slots', targetId), LEASE_MS, ...holders)).map(String);
  }

  /**
   * A slot and a rate token at once, for a caller that sends one request under the slot (one
   * round trip instead of two). `slot: false`: all slots are taken. Not reserved: the token is
   * more than `maxWaitMs` away and no slot was taken; come back in `waitMs`.
   */
  async acquireWithToken(
    targetId: string,
    limit: number,
    holder: string,
    ratePerSecond: number,
    maxWaitMs: number,
  ): Promise<{ slot: boolean } & Reservation> {
    const intervalUs = Math.ceil(1_000_000 / effectiveRate(ratePerSecond));
    const r = Number(
      await this.cmd().gateAcquireWithToken(
        this.key('slots', targetId),
        this.key('rate', targetId),
        Math.max(1, limit),
        holder,
        LEASE_MS,
        intervalUs,
        maxWaitMs,
      ),
    );
    if (r === -1) return { slot: false, reserved: false, waitMs: 0 };
    return r >= 0
      ? { slot: true, reserved: true, waitMs: r }
      : { slot: false, reserved: false, waitMs: -2 - r };
  }

  /** Hands a slot back; `resetStreak` also ends the target's failure streak (one round trip). */
  async release(targetId: string, holder: string, resetStreak = false): Promise<void> {
    await this.cmd().gateRelease(
      this.key('slots', targetId),
      this.key('streak', targetId),
      holder,
      resetStreak ? 1 : 0,
    );
  }

  /**
   * One deprovisioning push in flight, if fewer than `room` are (room = the threshold's limit
   * minus those already logged in the window). Leases expire, so a killed worker's claim lapses.
   */
  async claimDeprovision(targetId: string, room: number, holder: string): Promise<boolean> {
    if (room <= 0) return false;
    return Number(await this.cmd().gateClaim(this.key('deprov', targetId), room, holder, LEASE_MS)) === 1;
  }

  async releaseDeprovision(targetId: string, holder: string): Promise<void> {
    await this.redis.zrem(this.key('deprov', targetId), holder);
  }

  /** Consecutive transient failures at the target (reset on success), across replicas. */
  async failureStreak(targetId: string, failed: boolean): Promise<number> {
    const key = this.key('streak', targetId);
    if (!failed) {
      await this.redis.del(key);
      return 0;
    }
    const n = await this.redis.incr(key);
    await this.redis.pexpire(key, 10 * 60_000);
    return n;
  }

  /**
   * Whether the target's links were levelled with the golden records for this configuration
   * (`stamp`) on this Redis' data set. The marker vanishes with Redis' data (queued jobs lost) and
   * does not match after a configuration change, and a new target has none: each case levels.
   */
  async levelled(targetId: string, stamp: string): Promise<boolean> {
    return (await this.redis.get(this.key('levelled', targetId))) === stamp;
  }

  async markLevelled(targetId: string, stamp: string): Promise<void> {
    await this.redis.set(this.key('levelled', targetId), stamp);
  }

  /**
   * Where a target's paced backfill stands (ADR 0603): the last resource id queued and how many
   * were. Null when none runs. In Redis, so whichever replica runs the next catch-up goes on.
   */
  async backfill(targetId: string): Promise<BackfillState | null> {
    const v = await this.redis.hgetall(this.key('backfill', targetId));
    return v.after ? { after: v.after, queued: Number(v.queued ?? 0), base: Number(v.base ?? 1) } : null;
  }

  async setBackfill(targetId: string, state: BackfillState | null): Promise<void> {
    const key = this.key('backfill', targetId);
    if (!state) await this.redis.del(key);
    else
      await this.redis.hset(key, {
        after: state.after,
        queued: String(state.queued),
        base: String(state.base),
      });
  }

  /**
   * The catch-up's lease: one run at a time across every replica. The job scheduler queues the
   * next run when one starts, so a run that outlasts its tick (levelling 100,000 records takes
   * seconds) would overlap the next one: both level the same new target, queue its backfill
   * twice and reset its position. The holder renews the lease while it runs; a killed worker's
   * lease lapses after `leaseMs`.
   */
  async claimCatchUp(holder: string, leaseMs: number): Promise<boolean> {
    return (await this.redis.set(this.key('catch-up', 'all'), holder, 'PX', leaseMs, 'NX')) === 'OK';
  }

  /** False when the lease lapsed and may be someone else's now. */
  async renewCatchUp(holder: string, leaseMs: number): Promise<boolean> {
    return Number(await this.cmd().gateRenewLease(this.key('catch-up', 'all'), holder, leaseMs)) === 1;
  }

  async endCatchUp(holder: string): Promise<void> {
    await this.cmd().gateEndLease(this.key('catch-up', 'all'), holder);
  }

  async onApplicationShutdown(): Promise<void> {
    this.redis.disconnect();
  }

  private key(kind: string, targetId: string): string {
    return `${this.prefix}:{${targetId}}:${kind}`;
  }

  private cmd() {
    return this.redis as unknown as {
      gateReserve(key: string, intervalUs: number, maxWaitMs: number): Promise<number>;
      gatePause(key: string, ms: number): Promise<number>;
      gateAcquire(key: string, limit: number, holder: string, leaseMs: number): Promise<number>;
      gateClaim(key: string, room: number, holder: string, leaseMs: number): Promise<number>;
      gateAcquireMany(key: string, limit: number, leaseMs: number, ...holders: string[]): Promise<number>;
      gateRenewMany(key: string, leaseMs: number, ...holders: string[]): Promise<unknown[]>;
      gateAcquireWithToken(
        slots: string,
        rate: string,
        limit: number,
        holder: string,
        leaseMs: number,
        intervalUs: number,
        maxWaitMs: number,
      ): Promise<number>;
      gateRelease(slots: string, streak: string, holder: string, resetStreak: 0 | 1): Promise<number>;
      gateRenewLease(key: string, holder: string, leaseMs: number): Promise<number>;
      gateEndLease(key: string, holder: string): Promise<number>;
    };
  }
}

/**
 * The rate the GCRA spaces requests at. Evenly spaced requests put ⌊r⌋ + 1 into some closed
 * one-second window, and send-to-arrival jitter can add one more, so a low limit needs two
 * requests of room as well as the 5 % (at 15/s: 13/s, not 14.25/s; at 300/s: 285/s).
 */
export function effectiveRate(ratePerSecond: number): number {
  const rate = Math.max(0.01, ratePerSecond);
  return Math.min(rate * RATE_HEADROOM, Math.max(rate - 2, rate * 0.5));
}
