/**
 * The Tinybird call limit — at most `maxConcurrent` calls in flight and at least `minGapMs`
 * between call starts — shared by every process and worker through Redis.
 *
 * Why one Lua script rather than Bottleneck clustering or @upstash/ratelimit + a semaphore:
 * - Both rules must be decided together. Two separate primitives (a sliding-window limiter
 *   for the gap, a semaphore for concurrency) can each say yes while the pair breaks the
 *   limit, or hold a slot while waiting on the other. One script checks both and grants
 *   atomically, so there is nothing to interleave.
 * - @upstash/ratelimit counts requests per window; it cannot express "200 ms since the last
 *   start" (a window of 1 per 200 ms allows two starts 1 ms apart across a window edge).
 * - Bottleneck's cluster mode needs ioredis/node-redis and pub/sub, so it cannot run over
 *   Upstash's HTTP API; this script runs through the `@upstash/redis` client on Upstash
 *   and, via the project's TCP requester, on plain Redis.
 * - The script reads the clock with Redis `TIME`, so the gap is measured on one clock and
 *   skew between worker machines does not matter.
 *
 * Grants are `minGapMs + gapMarginMs` apart (200 + 15 ms by default). Tinybird sees the gap
 * between arrivals, which is the gap between grants plus the difference in the two calls'
 * time from grant to arrival. That is ~1 ms normally, but a process's first request is
 * ~10 ms slower (HTTP client and connection setup) and a loaded machine adds more, so grants
 * exactly 200 ms apart were measured arriving 175–191 ms apart. The margin costs ~7% of the
 * ceiling (4.65 instead of 5 calls/s). A call that will likely open a new connection (its
 * caller knows; the limiter does not) asks for `extraGapMs` on top: measured, such a first
 * call arrives 35–65 ms after it was sent on a loaded machine, and over TLS it would be a
 * handshake later still.
 *
 * State, under one hash tag so that both keys live on the same cluster slot:
 * - `{prefix}:leases`: a ZSET of lease id → expiry (ms, Redis clock). Expired leases are
 *   pruned on every attempt, so a holder that crashed frees its slot after `leaseTtlMs`.
 *   The TTL must exceed the longest call (the provider's request timeout), or a slow call
 *   would lose its lease while still in flight.
 * - `{prefix}:next-start`: the earliest time the next call may start. A grant sets it to
 *   now + minGapMs; `holdOff` pushes it later when Tinybird answers 429 with Retry-After,
 *   so every worker backs off, not only the one that was told.
 *
 * A refused attempt returns how long to wait; waiters sleep that long plus a little jitter
 * and try again. The gap wait is exact. When all slots are taken the release time is
 * unknown, so the wait is `pollMs` (or the earliest lease expiry, if sooner). Waiters are not
 * served in FIFO order; at these rates (a handful of workers, 5 calls/s) that is fair enough,
 * and a queue would need state that a crashed waiter could leave behind.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";

import type { Redis } from "@upstash/redis";

/** What the Tinybird provider needs from a limiter; tests may pass their own. */
export interface CallLimiter {
  /** How many calls may be in flight at once; the provider starts no more local tasks than this. */
  readonly maxConcurrent: number;
  /** Runs `fn` once a slot is granted, and frees the slot when it settles. */
  run<T>(fn: () => Promise<T>, opts?: AcquireOptions): Promise<T>;
  /** No call may start for `ms` from now, in any process. */
  holdOff(ms: number): Promise<void>;
}

export interface TinybirdLimiterOptions {
  redis: Redis;
  /** Keys are `{keyPrefix}:leases` and `{keyPrefix}:next-start`. */
  keyPrefix?: string;
  maxConcurrent?: number;
  minGapMs?: number;
  /** Added to minGapMs between grants, for jitter in transit (see above). */
  gapMarginMs?: number;
  /** How long a lease lives if its holder never releases it (it crashed). */
  leaseTtlMs?: number;
  /** The retry interval while every slot is taken. */
  pollMs?: number;
  /** Up to this much random delay is added to each wait, so waiters do not retry in lockstep. */
  jitterMs?: number;
}

export interface AcquireOptions {
  signal?: AbortSignal;
  /**
   * Widens the gap after this call only. For a call that will likely open a new connection,
   * whose time in transit is longer than usual (see TinybirdAnalyticsProvider).
   */
  extraGapMs?: number;
}

export const TINYBIRD_LIMITS = { maxConcurrent: 5, minGapMs: 200 } as const;

export type AcquireAttempt = { granted: true; leaseId: string } | { granted: false; waitMs: number };

export interface Lease {
  readonly id: string;
  release(): Promise<void>;
}

const NOW_MS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

// KEYS: leases, next-start. ARGV: leaseId, maxConcurrent, minGapMs, leaseTtlMs, pollMs.
// Returns {1, 0} when granted, {0, waitMs} otherwise.
const ACQUIRE_SCRIPT = `${NOW_MS}
local maxConcurrent = tonumber(ARGV[2])
local minGap = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
local poll = tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local nextStart = tonumber(redis.call('GET', KEYS[2]) or '0')
local gapWait = nextStart - now
local inFlight = redis.call('ZCARD', KEYS[1])
if inFlight >= maxConcurrent then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  local wait = math.min(poll, tonumber(first[2]) - now)
  if gapWait > wait then wait = gapWait end
  if wait < 1 then wait = 1 end
  return {0, wait}
end
if gapWait > 0 then
  return {0, gapWait}
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('SET', KEYS[2], now + minGap, 'PX', minGap + 1000)
return {1, 0}
`;

// KEYS: next-start. ARGV: ms. Never moves next-start earlier.
const HOLD_OFF_SCRIPT = `${NOW_MS}
local target = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if target > current then
  redis.call('SET', KEYS[1], target, 'PX', tonumber(ARGV[1]) + 1000)
end
return 1
`;

export class TinybirdLimiter implements CallLimiter {
  readonly maxConcurrent: number;
  readonly minGapMs: number;
  readonly gapMarginMs: number;
  readonly leaseTtlMs: number;
  private readonly redis: Redis;
  private readonly pollMs: number;
  private readonly jitterMs: number;
  private readonly leasesKey: string;
  private readonly nextStartKey: string;
  private readonly acquireScript;
  private readonly holdOffScript;

  constructor(options: TinybirdLimiterOptions) {
    this.redis = options.redis;
    this.maxConcurrent = options.maxConcurrent ?? TINYBIRD_LIMITS.maxConcurrent;
    this.minGapMs = options.minGapMs ?? TINYBIRD_LIMITS.minGapMs;
    this.gapMarginMs = options.gapMarginMs ?? 15;
    this.leaseTtlMs = options.leaseTtlMs ?? 60_000;
    this.pollMs = options.pollMs ?? 25;
    this.jitterMs = options.jitterMs ?? 5;
    if (this.maxConcurrent < 1 || this.minGapMs < 0 || this.gapMarginMs < 0 || this.leaseTtlMs < 1) {
      throw new RangeError("TinybirdLimiter: maxConcurrent and leaseTtlMs must be positive, minGapMs and gapMarginMs not negative");
    }
    const tag = `{${options.keyPrefix ?? "tinybird-limiter"}}`;
    this.leasesKey = `${tag}:leases`;
    this.nextStartKey = `${tag}:next-start`;
    this.acquireScript = this.redis.createScript<[number, number]>(ACQUIRE_SCRIPT);
    this.holdOffScript = this.redis.createScript<number>(HOLD_OFF_SCRIPT);
  }

  /** One attempt, no waiting. */
  async tryAcquire(leaseId: string = randomUUID(), extraGapMs = 0): Promise<AcquireAttempt> {
    const [granted, waitMs] = await this.acquireScript.exec(
      [this.leasesKey, this.nextStartKey],
      [leaseId, String(this.maxConcurrent), String(this.minGapMs + this.gapMarginMs + Math.max(0, Math.ceil(extraGapMs))), String(this.leaseTtlMs), String(this.pollMs)],
    );
    return Number(granted) === 1 ? { granted: true, leaseId } : { granted: false, waitMs: Number(waitMs) };
  }

  /** Waits for a slot. The lease must be released; `run` does that for you. */
  async acquire(opts: AcquireOptions = {}): Promise<Lease> {
    const { signal, extraGapMs } = opts;
    const leaseId = randomUUID();
    for (;;) {
      signal?.throwIfAborted();
      const attempt = await this.tryAcquire(leaseId, extraGapMs);
      if (attempt.granted) {
        const lease = { id: leaseId, release: () => this.release(leaseId) };
        if (signal?.aborted) {
          await lease.release().catch(() => undefined);
          signal.throwIfAborted();
        }
        return lease;
      }
      await sleep(attempt.waitMs + Math.random() * this.jitterMs, undefined, { signal });
    }
  }

  async release(leaseId: string): Promise<void> {
    await this.redis.zrem(this.leasesKey, leaseId);
  }

  async run<T>(fn: () => Promise<T>, opts: AcquireOptions = {}): Promise<T> {
    const lease = await this.acquire(opts);
    try {
      return await fn();
    } finally {
      // If Redis is unreachable here the lease simply expires after leaseTtlMs; failing the
      // call that already succeeded would only make the caller repeat it.
      await lease.release().catch(() => undefined);
    }
  }

  async holdOff(ms: number): Promise<void> {
    if (!(ms > 0)) return;
    await this.holdOffScript.exec([this.nextStartKey], [String(Math.ceil(ms))]);
  }
}

export function createTinybirdLimiter(options: TinybirdLimiterOptions): TinybirdLimiter {
  return new TinybirdLimiter(options);
}
