/**
 * Inngest's retry schedule, from its queue (pkg/backoff/backoff.go in inngest/inngest,
 * `TableBackoff`, the `DefaultBackoff` that pkg/execution/queue/process.go applies to the
 * attempt that just failed): 15 s, 30 s, 1 min, 2, 5, 10, 20, 40 min, 1 h, then 2 h for every
 * later retry, each plus 0–30 s of random jitter. A `Retry-After` from the app replaces it.
 */
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const TABLE_MS = [15 * SECOND, 30 * SECOND, MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 20 * MINUTE, 40 * MINUTE, 60 * MINUTE, 120 * MINUTE];
const JITTER_MS = 30 * SECOND;

/**
 * How long to wait after attempt `attempt` (0 for the first) failed. `scale` shrinks the whole
 * schedule, jitter included, so that tests keep Inngest's shape without its minutes.
 */
export function retryDelayMs(attempt: number, scale = 1, random: () => number = Math.random): number {
  const base = TABLE_MS[Math.min(Math.max(attempt, 0), TABLE_MS.length - 1)]!;
  return (base + Math.floor(random() * JITTER_MS)) * scale;
}

/** A `Retry-After` value (seconds, or a date as RFC 9110 and SDK_SPEC allow) in ms from now; null if absent or past. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (!header) return null;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * SECOND : Date.parse(header) - now;
  return ms > 0 ? ms : null;
}
