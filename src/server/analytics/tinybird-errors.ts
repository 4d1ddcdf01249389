/**
 * How a failed Tinybird call is reported. Every failure is an AppError, so the edges map it
 * like any other; `details.retryable` says whether trying again can help, and the job layer
 * maps `isRetryable(error) === false` to Inngest's NonRetriableError, and `retryAfterMs` to
 * its RetryAfterError. The flags live in `details` (plain data) so that they survive being
 * serialised between steps.
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
    const details: Record<string, unknown> = { upstream: "tinybird", retryable: init.retryable };
    if (init.status !== undefined) details.status = init.status;
    if (init.retryAfterMs !== undefined) details.retryAfterMs = init.retryAfterMs;
    super(code, message, { details });
    this.name = "TinybirdError";
    this.retryable = init.retryable;
    this.status = init.status;
    this.retryAfterMs = init.retryAfterMs;
  }
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === "AbortError";
}

/**
 * Whether trying the same work again may succeed. False for AppErrors marked
 * `retryable: false` (a 4xx other than 429, a malformed response) and for cancellations;
 * true for other errors, which are presumed transient, as Inngest presumes.
 */
export function isRetryable(error: unknown): boolean {
  if (isAbort(error)) return false;
  if (isAppError(error)) {
    const flag = error.details?.retryable;
    return typeof flag === "boolean" ? flag : true;
  }
  return true;
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
