/**
 * The one error type of the domain. Code that detects a problem throws an AppError with a
 * code; the edges (tRPC, REST) map the code once, here, to their own status.
 */
export const errorCodes = {
  BAD_REQUEST: { http: 400, trpc: "BAD_REQUEST" },
  QUERY_FAILED: { http: 400, trpc: "BAD_REQUEST" },
  UNAUTHORIZED: { http: 401, trpc: "UNAUTHORIZED" },
  FORBIDDEN: { http: 403, trpc: "FORBIDDEN" },
  NOT_FOUND: { http: 404, trpc: "NOT_FOUND" },
  METHOD_NOT_ALLOWED: { http: 405, trpc: "METHOD_NOT_SUPPORTED" },
  CONFLICT: { http: 409, trpc: "CONFLICT" },
  FILE_TOO_LARGE: { http: 413, trpc: "PAYLOAD_TOO_LARGE" },
  PAYLOAD_TOO_LARGE: { http: 413, trpc: "PAYLOAD_TOO_LARGE" },
  UNPROCESSABLE: { http: 422, trpc: "UNPROCESSABLE_CONTENT" },
  RATE_LIMITED: { http: 429, trpc: "TOO_MANY_REQUESTS" },
  INTERNAL: { http: 500, trpc: "INTERNAL_SERVER_ERROR" },
  UPSTREAM_UNAVAILABLE: { http: 502, trpc: "BAD_GATEWAY" },
  STORAGE_UNAVAILABLE: { http: 502, trpc: "BAD_GATEWAY" },
  TIMEOUT: { http: 504, trpc: "TIMEOUT" },
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
