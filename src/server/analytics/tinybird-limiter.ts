/**
 * The Tinybird call limit — at most `maxConcurrent` calls in flight and at least `minGapMs`
 * between call starts — shared by every process and worker through Redis.
 *
 * Why Lua scripts on Redis rather than Bottleneck clustering or @upstash/ratelimit + a
 * semaphore:
 * - Both rules must be decided together. Two separate primitives (a sliding-window limiter
 *   for the gap, a semaphore for concurrency) can each say yes while the pair breaks the
 *   limit, or hold a slot while waiting on the other. One script checks both and grants
 *   atomically, so there is nothing to interleave.
 * - @upstash/ratelimit counts requests per window; it cannot express "200 ms since the last
 *   start" (a window of 1 per 200 ms allows two starts 1 ms apart across a window edge).
 * - Bottleneck's cluster mode needs ioredis/node-redis and pub/sub, so it cannot run over
 *   Upstash's HTTP API; these scripts run through the `@upstash/redis` client on Upstash
 *   and, via the project's TCP requester, on plain Redis.
 * - The scripts read the clock with Redis `TIME`, so the gap is measured on one clock and
 *   skew between worker machines does not matter.
 *
 * The gap is measured from when a call is sent, not from when its slot was granted. A
 * worker can stall between the two (a busy CPU, a GC pause, CSV work on the same event
 * loop), and then its call reaches Tinybird late, too close to the next one. So a grant is
 * provisional: until its holder confirms the start (`Lease.start()`, sent in the same tick as
 * the HTTP request), no other call is granted; the confirmation sets the next start to
 * now + gap. A holder that dies before confirming blocks the others for `confirmTimeoutMs`.
 * The confirmation travels to Redis while the request travels to Tinybird; when it is the
 * slower of the two (Upstash over HTTPS), that only widens the gaps.
 *
 * Starts are `minGapMs + gapMarginMs` apart (200 + 10 ms by default), because Tinybird sees
 * arrivals: the gap between starts plus the difference in the two calls' time in transit
 * after the start is recorded. That is 1–3 ms on a quiet machine; a loaded one adds tens of
 * ms now and then, which no affordable margin covers (a 429 is then retried after its
 * Retry-After). The margin costs ~5% of the ceiling (4.76 instead of 5 calls/s). A call that will
 * likely open a new connection (its caller knows; the limiter does not) asks for
 * `extraGapMs` on top: such a call was measured arriving 35–65 ms after it was sent, and
 * over TLS it would be a handshake later still.
 *
 * State, under one hash tag so that all keys live on the same cluster slot:
 * - `{prefix}:leases`: a ZSET of lease id → expiry (ms, Redis clock). Expired leases are
 *   pruned on every attempt, so a holder that crashed frees its slot after `leaseTtlMs`.
 *   The TTL must exceed the longest call (the provider's request timeout), or a slow call
 *   would lose its lease while still in flight.
 * - `{prefix}:next-start`: the earliest time the next call may start. `holdOff` pushes it
 *   later when Tinybird answers 429 with Retry-After, so every worker backs off, not only the
 *   one that was told.
 * - `{prefix}:pending`: the lease granted but not yet started, with a TTL.
 *
 * A refused attempt returns how long to wait; waiters sleep that long plus a little jitter
 * and try again. The gap wait is exact. When all slots are taken the release time is
 * unknown, so the wait is `pollMs` (or the earliest lease expiry, if sooner). Waiters are not
 * served in FIFO order; at these rates (a handful of workers, 5 calls/s) that is fair enough,
 * and a queue would need state that a crashed waiter could leave behind.
 *
 * Each decision is published on the diagnostics channel `TINYBIRD_LIMITER_CHANNEL` (see
 * LimiterEvent), stamped with the Redis TIME the script decided on. That record is what the
 * limit can be checked against: arrival times at Tinybird (or at a test's fake) add the
 * scheduling jitter of two busy processes, which the limiter does not control.
 */
import { randomUUID } from "node:crypto";
import { channel } from "node:diagnostics_channel";
import { setTimeout as sleep } from "node:timers/promises";

import type { Redis } from "@upstash/redis";

/** What the Tinybird provider needs from a limiter; tests may pass their own. */
export interface CallLimiter {
  /** How many calls may be in flight at once; the provider starts no more local tasks than this. */
  readonly maxConcurrent: number;
  /**
   * Runs `fn` once a slot is granted, and frees the slot when it settles. `fn` must send its
   * request synchronously, before its first `await`: the start is recorded as it is called.
   */
  run<T>(fn: () => Promise<T>, opts?: AcquireOptions): Promise<T>;
  /** No call may start for `ms` from now, in any process. */
  holdOff(ms: number): Promise<void>;
}

export interface TinybirdLimiterOptions {
  redis: Redis;
  /** Keys are `{keyPrefix}:leases`, `{keyPrefix}:next-start` and `{keyPrefix}:pending` (default TINYBIRD_LIMITER_KEY_PREFIX). */
  keyPrefix?: string;
  maxConcurrent?: number;
  minGapMs?: number;
  /** Added to minGapMs between starts, for jitter in transit (see above). */
  gapMarginMs?: number;
  /** How long a lease lives if its holder never releases it (it crashed). */
  leaseTtlMs?: number;
  /** How long a granted lease may take to confirm its start before others may go. */
  confirmTimeoutMs?: number;
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

/** The limit's keys when no keyPrefix is given: one limit for the app's one Tinybird token. */
export const TINYBIRD_LIMITER_KEY_PREFIX = "tinybird-limiter";

export type AcquireAttempt = { granted: true; leaseId: string } | { granted: false; waitMs: number };

/** The `node:diagnostics_channel` name on which every TinybirdLimiter publishes its LimiterEvents. */
export const TINYBIRD_LIMITER_CHANNEL = "export-center:tinybird-limiter";

/**
 * One decision of a limiter, as Redis made it. `atMs` is Redis TIME in ms, the one clock every
 * worker's decisions are taken on. `keyPrefix` tells limits apart (one per Tinybird token).
 * - `grant`: a lease was granted; `inFlight` counts the leases held right after, this one included.
 * - `start`: its holder confirmed the call's start; the next start may come `minGapMs +
 *   gapMarginMs` (+ extraGapMs) later.
 * - `hold-off`: no call may start before `untilMs` (a Retry-After).
 */
export type LimiterEvent =
  | { type: "grant"; keyPrefix: string; leaseId: string; atMs: number; inFlight: number }
  | { type: "start"; keyPrefix: string; leaseId: string; atMs: number }
  | { type: "hold-off"; keyPrefix: string; atMs: number; untilMs: number };

const limiterChannel = channel(TINYBIRD_LIMITER_CHANNEL);

function publish(event: LimiterEvent): void {
  if (limiterChannel.hasSubscribers) limiterChannel.publish(event);
}

export interface Lease {
  readonly id: string;
  /**
   * Records the call's start; call it right before sending. Not awaited by `run`: it travels
   * alongside the request. A lease that is never started holds the others back until
   * `confirmTimeoutMs`, or until it is released.
   */
  start(): Promise<void>;
  release(): Promise<void>;
}

const NOW_MS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

// KEYS: leases, next-start, pending. ARGV: leaseId, maxConcurrent, gapMs, leaseTtlMs, pollMs,
// confirmTimeoutMs. Returns {1, now, leases held} when granted, {0, waitMs} otherwise.
const ACQUIRE_SCRIPT = `${NOW_MS}
local maxConcurrent = tonumber(ARGV[2])
local gap = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
local poll = tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local gapWait = tonumber(redis.call('GET', KEYS[2]) or '0') - now
local inFlight = redis.call('ZCARD', KEYS[1])
local pendingTtl = redis.call('PTTL', KEYS[3])
if inFlight >= maxConcurrent or pendingTtl > 0 then
  local wait = poll
  if inFlight >= maxConcurrent then
    local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    wait = math.min(wait, tonumber(first[2]) - now)
  end
  if pendingTtl > 0 then wait = math.min(wait, pendingTtl) end
  if gapWait > wait then wait = gapWait end
  if wait < 1 then wait = 1 end
  return {0, wait}
end
if gapWait > 0 then
  return {0, gapWait}
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('SET', KEYS[3], ARGV[1], 'PX', tonumber(ARGV[6]))
-- Provisional: if the holder never confirms, the gap still counts from here.
redis.call('SET', KEYS[2], now + gap, 'PX', gap + 1000)
return {1, now, inFlight + 1}
`;

// KEYS: next-start, pending. ARGV: leaseId, gapMs. The start is now: the next may go at
// now + gap. Never moves next-start earlier (a holdOff may be in force). Returns now.
const START_SCRIPT = `${NOW_MS}
if redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('DEL', KEYS[2])
end
local gap = tonumber(ARGV[2])
if now + gap > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], now + gap, 'PX', gap + 1000)
end
return now
`;

// KEYS: leases, pending. ARGV: leaseId. A lease released unstarted (its call was cancelled)
// stops holding the others back.
const RELEASE_SCRIPT = `
redis.call('ZREM', KEYS[1], ARGV[1])
if redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('DEL', KEYS[2])
end
return 1
`;

// KEYS: next-start. ARGV: ms. Never moves next-start earlier. Returns {now, next-start}.
const HOLD_OFF_SCRIPT = `${NOW_MS}
local target = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if target > current then
  redis.call('SET', KEYS[1], target, 'PX', tonumber(ARGV[1]) + 1000)
  current = target
end
return {now, current}
`;

export class TinybirdLimiter implements CallLimiter {
  readonly maxConcurrent: number;
  readonly minGapMs: number;
  readonly gapMarginMs: number;
  readonly leaseTtlMs: number;
  readonly confirmTimeoutMs: number;
  readonly keyPrefix: string;
  private readonly redis: Redis;
  private readonly pollMs: number;
  private readonly jitterMs: number;
  private readonly leasesKey: string;
  private readonly nextStartKey: string;
  private readonly pendingKey: string;
  private readonly acquireScript;
  private readonly startScript;
  private readonly releaseScript;
  private readonly holdOffScript;

  constructor(options: TinybirdLimiterOptions) {
    this.redis = options.redis;
    this.maxConcurrent = options.maxConcurrent ?? TINYBIRD_LIMITS.maxConcurrent;
    this.minGapMs = options.minGapMs ?? TINYBIRD_LIMITS.minGapMs;
    this.gapMarginMs = options.gapMarginMs ?? 10;
    this.leaseTtlMs = options.leaseTtlMs ?? 60_000;
    this.confirmTimeoutMs = options.confirmTimeoutMs ?? 2_000;
    this.pollMs = options.pollMs ?? 25;
    this.jitterMs = options.jitterMs ?? 2;
    if (this.maxConcurrent < 1 || this.leaseTtlMs < 1 || this.confirmTimeoutMs < 1) {
      throw new RangeError("TinybirdLimiter: maxConcurrent, leaseTtlMs and confirmTimeoutMs must be positive");
    }
    if (this.minGapMs < 0 || this.gapMarginMs < 0) throw new RangeError("TinybirdLimiter: minGapMs and gapMarginMs must not be negative");
    this.keyPrefix = options.keyPrefix ?? TINYBIRD_LIMITER_KEY_PREFIX;
    const tag = `{${this.keyPrefix}}`;
    this.leasesKey = `${tag}:leases`;
    this.nextStartKey = `${tag}:next-start`;
    this.pendingKey = `${tag}:pending`;
    this.acquireScript = this.redis.createScript<[number, number, number?]>(ACQUIRE_SCRIPT);
    this.startScript = this.redis.createScript<number>(START_SCRIPT);
    this.releaseScript = this.redis.createScript<number>(RELEASE_SCRIPT);
    this.holdOffScript = this.redis.createScript<[number, number]>(HOLD_OFF_SCRIPT);
  }

  private gapFor(extraGapMs = 0): number {
    return this.minGapMs + this.gapMarginMs + Math.max(0, Math.ceil(extraGapMs));
  }

  /** One attempt, no waiting. A granted lease is pending until `start` or `release`. */
  async tryAcquire(leaseId: string = randomUUID(), extraGapMs = 0): Promise<AcquireAttempt> {
    const [granted, nowOrWaitMs, inFlight] = await this.acquireScript.exec(
      [this.leasesKey, this.nextStartKey, this.pendingKey],
      [leaseId, String(this.maxConcurrent), String(this.gapFor(extraGapMs)), String(this.leaseTtlMs), String(this.pollMs), String(this.confirmTimeoutMs)],
    );
    if (Number(granted) !== 1) return { granted: false, waitMs: Number(nowOrWaitMs) };
    publish({ type: "grant", keyPrefix: this.keyPrefix, leaseId, atMs: Number(nowOrWaitMs), inFlight: Number(inFlight) });
    return { granted: true, leaseId };
  }

  /** Waits for a slot. The lease must be started, then released; `run` does both for you. */
  async acquire(opts: AcquireOptions = {}): Promise<Lease> {
    const { signal, extraGapMs } = opts;
    const leaseId = randomUUID();
    const gap = this.gapFor(extraGapMs);
    for (;;) {
      signal?.throwIfAborted();
      const attempt = await this.tryAcquire(leaseId, extraGapMs);
      if (attempt.granted) {
        const lease: Lease = {
          id: leaseId,
          start: async () => {
            const atMs = await this.startScript.exec([this.nextStartKey, this.pendingKey], [leaseId, String(gap)]);
            publish({ type: "start", keyPrefix: this.keyPrefix, leaseId, atMs: Number(atMs) });
          },
          release: () => this.release(leaseId),
        };
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
    await this.releaseScript.exec([this.leasesKey, this.pendingKey], [leaseId]);
  }

  async run<T>(fn: () => Promise<T>, opts: AcquireOptions = {}): Promise<T> {
    const lease = await this.acquire(opts);
    // Sent in the same tick as fn's request, so that Redis records the start when the
    // request leaves, not after a round trip. If it is lost, the pending grant times out.
    const started = lease.start().catch(() => undefined);
    try {
      return await fn();
    } finally {
      // The release waits for the start's confirmation, so the two reach Redis in order (the
      // start may take a second trip to load its script) and the start is on record before
      // `run` returns. If Redis is unreachable here the lease simply expires after
      // leaseTtlMs; failing the call that already succeeded would only make the caller repeat it.
      await started;
      await lease.release().catch(() => undefined);
    }
  }

  async holdOff(ms: number): Promise<void> {
    if (!(ms > 0)) return;
    const [atMs, untilMs] = await this.holdOffScript.exec([this.nextStartKey], [String(Math.ceil(ms))]);
    publish({ type: "hold-off", keyPrefix: this.keyPrefix, atMs: Number(atMs), untilMs: Number(untilMs) });
  }
}
