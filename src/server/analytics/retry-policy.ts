/**
 * When to try a failed HTTP call again: exponential backoff with jitter, and the server's
 * own Retry-After when it gives one.
 */

export interface RetryPolicy {
  /** Retries after the first attempt (3 means up to 4 attempts). */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /**
   * A Retry-After longer than this is not waited out: the call fails with Tinybird's 429
   * (RATE_LIMITED) at once, rather than hold a worker for minutes. Nothing retries it later
   * either, since the provider is the only layer that retries Tinybird calls.
   */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  retries: 3,
  baseDelayMs: 250,
  maxDelayMs: 10_000,
  maxRetryAfterMs: 60_000,
};

/**
 * The delay before retry number `retry` (0 for the first retry): base·2^retry, capped, of
 * which the upper half is random ("equal jitter"), so that callers that failed together do
 * not retry together, yet none retries almost at once.
 */
export function backoffDelayMs(retry: number, policy: Pick<RetryPolicy, "baseDelayMs" | "maxDelayMs">, random = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return ceiling / 2 + random() * (ceiling / 2);
}

/**
 * Parses a Retry-After header, either delta-seconds ("120") or an HTTP date, into
 * milliseconds from `now`. Returns undefined when absent or unreadable, and never a
 * negative number.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value == null) return undefined;
  const text = value.trim();
  if (text === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
