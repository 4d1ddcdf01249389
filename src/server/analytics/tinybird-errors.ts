/**
 * How a failed Tinybird call is reported. Every failure is an AppError, so the edges map it
 * like any other. `details.retryable` says whether trying the call again can help (a 429 or a
 * 5xx, not a 4xx), which the provider's own retries act on (`isRetryable` in errors.ts). The
 * provider is the one layer that retries Tinybird calls, so every error it lets out is marked
 * `retriedByClient`: the export's step records it as the export's failure, with its code,
 * rather than run the batch, and its retries, again. The flags live in `details` (plain data).
 */
import { AppError, isAppError, type ErrorCode } from "~/server/errors";

export interface TinybirdErrorInit {
  retryable: boolean;
  /** The HTTP status Tinybird answered with; absent for network errors. */
  status?: number;
  /** How long Tinybird asked us to wait (Retry-After), in milliseconds. */
  retryAfterMs?: number;
}

export class TinybirdError extends AppError {
  readonly retryable: boolean;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, init: TinybirdErrorInit) {
    const details: Record<string, unknown> = { upstream: "tinybird", retryable: init.retryable, retriedByClient: true };
    if (init.status !== undefined) details.status = init.status;
    if (init.retryAfterMs !== undefined) details.retryAfterMs = init.retryAfterMs;
    super(code, message, { details });
    this.name = "TinybirdError";
    this.retryable = init.retryable;
    this.status = init.status;
    this.retryAfterMs = init.retryAfterMs;
  }
}

/** The wait Tinybird asked for, if the error carries one. */
export function retryAfterMs(error: unknown): number | undefined {
  if (!isAppError(error)) return undefined;
  const value = error.details?.retryAfterMs;
  return typeof value === "number" ? value : undefined;
}

/** Removes the token from text that came back from the network, before it reaches a message. */
export function redactToken(text: string, token: string): string {
  return token ? text.split(token).join("[redacted]") : text;
}
