/**
 * The one error type of the domain, and the one place that says what a failure is. Code that
 * detects a problem throws an AppError with a code; the edges (tRPC, REST) map the code once,
 * here, to their own status, and every layer that retries asks `failureOf` whether to.
 *
 * `retryable` says whether the same work, tried again, may succeed: an outage may pass (a
 * source, storage or Tinybird that cannot be reached, a rate limit), a refusal will not (bad
 * input, a missing resource, a query error, a cap, a timeout past the export's own limit).
 * Errors that are not AppErrors (a dropped connection, Redis or the database down) count as
 * outages, as Inngest presumes.
 */
export const errorCodes = {
  BAD_REQUEST: { http: 400, trpc: "BAD_REQUEST", retryable: false },
  QUERY_FAILED: { http: 400, trpc: "BAD_REQUEST", retryable: false },
  UNAUTHORIZED: { http: 401, trpc: "UNAUTHORIZED", retryable: false },
  FORBIDDEN: { http: 403, trpc: "FORBIDDEN", retryable: false },
  NOT_FOUND: { http: 404, trpc: "NOT_FOUND", retryable: false },
  METHOD_NOT_ALLOWED: { http: 405, trpc: "METHOD_NOT_SUPPORTED", retryable: false },
  CONFLICT: { http: 409, trpc: "CONFLICT", retryable: false },
  /** What existed and never will again: an export's file past its lifetime, deleted, or never made. */
  GONE: { http: 410, trpc: "NOT_FOUND", retryable: false },
  FILE_TOO_LARGE: { http: 413, trpc: "PAYLOAD_TOO_LARGE", retryable: false },
  PAYLOAD_TOO_LARGE: { http: 413, trpc: "PAYLOAD_TOO_LARGE", retryable: false },
  UNPROCESSABLE: { http: 422, trpc: "UNPROCESSABLE_CONTENT", retryable: false },
  RATE_LIMITED: { http: 429, trpc: "TOO_MANY_REQUESTS", retryable: true },
  INTERNAL: { http: 500, trpc: "INTERNAL_SERVER_ERROR", retryable: true },
  UPSTREAM_UNAVAILABLE: { http: 502, trpc: "BAD_GATEWAY", retryable: true },
  STORAGE_UNAVAILABLE: { http: 502, trpc: "BAD_GATEWAY", retryable: true },
  TIMEOUT: { http: 504, trpc: "TIMEOUT", retryable: false },
} as const;

export type ErrorCode = keyof typeof errorCodes;

export class AppError extends Error {
  readonly code: ErrorCode;
  /** Extra fields that are safe to show to the caller (never secrets). */
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options?: { details?: Record<string, unknown>; cause?: unknown }) {
    super(message, { cause: options?.cause });
    this.name = "AppError";
    this.code = code;
    this.details = options?.details;
  }

  get httpStatus(): number {
    return errorCodes[this.code].http;
  }

  get trpcCode() {
    return errorCodes[this.code].trpc;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === "AbortError";
}

/**
 * Whether trying the same work again may succeed. An AppError's `details.retryable`, when set,
 * says so for that one error (Tinybird's 4xx is UPSTREAM_UNAVAILABLE, yet final); otherwise its
 * code does. A cancelled call is not retried; any other error is presumed transient.
 */
export function isRetryable(error: unknown): boolean {
  if (isAbort(error)) return false;
  if (!isAppError(error)) return true;
  const flag = error.details?.retryable;
  return typeof flag === "boolean" ? flag : errorCodes[error.code].retryable;
}

/** What a failure is, for whoever records it or decides to try again. */
export type Failure = {
  code: ErrorCode;
  /** Fit to show the user: an AppError's own message; anything else, its message as the cause. */
  message: string;
  /**
   * Whether the caller's layer should try again: retryable, and not already retried where it
   * was raised. A client that retries its own calls (the Tinybird provider) marks its errors
   * `details.retriedByClient`, so that each call is retried by exactly one layer.
   */
  retry: boolean;
};

export function failureOf(error: unknown): Failure {
  const retry = isRetryable(error) && !(isAppError(error) && error.details?.retriedByClient === true);
  if (isAppError(error)) return { code: error.code, message: error.message, retry };
  return { code: "INTERNAL", message: error instanceof Error ? error.message : String(error), retry };
}
