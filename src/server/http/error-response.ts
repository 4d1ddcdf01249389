/**
 * The API's one error shape, as an HTTP answer:
 *
 *   { "code": "not_found", "message": "…", "error": "…", …safe details }
 *
 * Flat, so that the originals' own frontends show the real reason unchanged: Papermark's
 * modal toasts `error` as a string, Buster's reads `message`; programs branch on `code`.
 * `error` and `message` are the same text.
 *
 * It depends on nothing but the error type, so the layer in front of Next's router
 * (request-gate.ts), the REST routes and the tRPC route all answer in the same shape.
 */
import { AppError } from "~/server/errors";

export function errorResponse(error: AppError): Response {
  return Response.json(
    { ...error.details, code: error.code.toLowerCase(), message: error.message, error: error.message },
    { status: error.httpStatus, headers: error.code === "RATE_LIMITED" ? rateLimitHeaders(error.details) : undefined },
  );
}

/** What a rate-limited caller needs to know to come back later (REST and tRPC alike). */
export function rateLimitHeaders(details: Record<string, unknown> = {}): Record<string, string> {
  return {
    "Retry-After": String(details.retryAfterSeconds ?? 60),
    "X-RateLimit-Limit": String(details.limit ?? ""),
    "X-RateLimit-Remaining": String(details.remaining ?? 0),
    "X-RateLimit-Reset": String(Math.ceil(Number(details.reset ?? Date.now()) / 1000)),
  };
}

/** A 405 in the error shape, with the methods the resource allows. */
export function methodNotAllowedResponse(allow: readonly string[], message = `Use ${allow.join(" or ")} on this endpoint`): Response {
  const response = errorResponse(new AppError("METHOD_NOT_ALLOWED", message));
  response.headers.set("Allow", allow.join(", "));
  return response;
}

/** A method a route refuses outright, as a route handler. */
export function methodNotAllowed(allow: string[]) {
  return (): Response => methodNotAllowedResponse(allow);
}
