/**
 * `throttle` and `rateLimit` as Inngest enforces them: both are GCRA, a "theoretical arrival
 * time" per key (pkg/execution/ratelimit/lua/ratelimit.lua and pkg/constraintapi/lua/helper/
 * gcra.lua in inngest/inngest). `limit` starts are spread evenly over `period` (one every
 * period / limit), and `burst` more may start at once.
 *
 * - rateLimit is lossy: a run over the limit is skipped. Its burst is limit / 10, rounded down
 *   (ratelimit_lua.go). A function's `idempotency` is a rate limit of 1 per 24 hours
 *   (pkg/sdk/function.go), which the executor keeps as a dedupe key instead.
 * - throttle delays: a run over the limit waits in the queue until it may start. Its burst is
 *   the configured one, 0 by default.
 */
export type Gcra = { limit: number; periodMs: number; burst: number };

export type GcraDecision = { allowed: true; tat: number } | { allowed: false; retryAt: number };

/** Whether one more start is allowed at `now`, given the key's stored arrival time `tat`. */
export function gcra(tat: number | undefined, now: number, { limit, periodMs, burst }: Gcra): GcraDecision {
  const emission = periodMs / Math.max(limit, 1);
  const tolerance = emission * (burst + 1);
  const next = Math.max(tat ?? now, now) + emission;
  const allowAt = next - tolerance;
  return now < allowAt ? { allowed: false, retryAt: allowAt } : { allowed: true, tat: next };
}

export function rateLimitBurst(limit: number): number {
  return Math.floor(limit / 10);
}
